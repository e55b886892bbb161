/* SPDX-License-Identifier: ISC */
/* bench.h -- what the files of vnet-bench share: the command line and
 * one run function a command. */
#ifndef VNET_BENCH_BENCH_H
#define VNET_BENCH_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "vnet-bench/tally.h"
#include "vnet-bench/tmpl.h"
#include "vnet/opt.h"
#include "vnet/port.h"

#define BENCH_MAX_SIZES	 64
#define BENCH_MAX_LADDER 32

/* The commands, as bits (which options go with which). */
enum bench_cmd {
	CMD_GEN = 1 << 0,
	CMD_SINK = 1 << 1,
	CMD_RFC2544 = 1 << 2,
	CMD_ENTROPY = 1 << 3,
	CMD_POLICE = 1 << 4,
};

/* A rate: frames a second, or bits a second (a frame's size with its
 * FCS, no preamble or gap); 0: as fast as possible. */
struct bench_rate {
	double pps, bps;
};

struct bench_conf {
	struct vnet_opt_common o;
	enum bench_cmd cmd;
	const char *port_arg;
	struct vnet_port_spec port;
	uint64_t count, duration_ns;
	unsigned sizes[BENCH_MAX_SIZES], nsizes;
	const char *sizes_arg; /* as given (rfc2544 passes it on) */
	int imix;
	struct bench_rate rate;
	uint64_t burst;
	struct vnet_tmpl_conf t; /* flows, addresses, protocol, VLAN */
	const char *vary_arg, *proto_arg;
	int json;
	/* police */
	uint64_t drop_every, dup_every, swap_every, delay_ns;
	/* rfc2544 */
	double tolerance, resolution, max_rate;
	uint64_t trial_ns;
	double ladder[BENCH_MAX_LADDER];
	unsigned nladder;
	/* entropy */
	unsigned buckets;
	char **argv;	  /* the command after --, NULL-terminated */
	const char *self; /* how to run vnet-bench itself */
};

/* Each returns the exit status (0, 1), after logging what failed. */
int bench_gen(const struct bench_conf *cf);
int bench_sink(const struct bench_conf *cf);
int bench_police(const struct bench_conf *cf);
int bench_rfc2544(const struct bench_conf *cf);
int bench_entropy(const struct bench_conf *cf);

/* The sink's table (a terminal: aligned, latencies in us; else tab
 * separated, in ns) or JSON of t. */
void bench_report(FILE *f, const struct vnet_tally *t, int json, int tty);

/* Count the frames of port in into t until its end, count stamped
 * frames (0: no bound) or duration_ns (0: none): 0 or -errno (logged). */
int bench_sink_loop(const struct bench_conf *cf, struct vnet_port *in,
		    struct vnet_tally *t, uint64_t count, uint64_t duration_ns);

/* gen ARGS... | CMD: start both (CMD one-way: its fds 3 and 4 closed)
 * and give the read end of CMD's stdout in *rfd; pids[0] gen, pids[1]
 * CMD.  0 or -errno (logged). */
int bench_spawn(const struct bench_conf *cf, char *const *genargs, int pids[2],
		int *rfd);
/* End what bench_spawn started: what still runs 2 s after gets SIGTERM;
 * wait.
 * The exit status of CMD when it exited with one (127: it could not be
 * run), else 0. */
int bench_reap(int pids[2]);

/* The size (FCS counted) of frame k of cf's schedule. */
unsigned bench_size_of(const struct bench_conf *cf, uint64_t k);

#endif
