/* SPDX-License-Identifier: ISC */
/* entropy.c -- vnet-bench entropy: how N inner flows spread over the
 * outer UDP source ports of an encapsulation stage, and over K ECMP
 * next hops that hash the outer 5-tuple (RFC 7348 section 5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vnet-bench/bench.h"
#include "vnet/hash.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/pkt.h"
#include "vnet/sig.h"

#define ECMP_SEED 0x7642 /* the simulated routers' hash seed */

struct entropy {
	const struct bench_conf *cf;
	uint64_t *port;	  /* frames by outer UDP source port */
	uint64_t *bucket; /* frames by ECMP bucket */
	uint64_t frames, udp, other;
};

static int on_frames(void *arg, struct vnet_port *p, struct vnet_frame *f,
		     unsigned n)
{
	struct entropy *en = arg;
	struct vnet_pkt pk;
	unsigned i;

	(void)p;
	for (i = 0; i < n; i++) {
		en->frames++;
		if (vnet_pkt_parse(f[i].data, f[i].len, &pk) < 0 ||
		    !(pk.layers & VNET_L_UDP)) {
			en->other++;
			continue;
		}
		en->udp++;
		en->port[pk.sport]++;
		en->bucket[vnet_flow_hash(&pk, ECMP_SEED, 0) %
			   en->cf->buckets]++;
	}
	return 0;
}

static void report(FILE *f, const struct entropy *en)
{
	const struct bench_conf *cf = en->cf;
	uint64_t max = 0, min = UINT64_MAX;
	unsigned i, ports = 0, k = 0;

	for (i = 0; i < 65536; i++)
		ports += en->port[i] != 0;
	for (i = 0; i < cf->buckets; i++) {
		if (en->bucket[i] > max)
			max = en->bucket[i];
		if (en->bucket[i] < min)
			min = en->bucket[i];
	}
	if (cf->json) {
		fprintf(f,
			"{\"flows\":%u,\"frames\":%llu,\"udp\":%llu,"
			"\"other\":%llu,\"ports\":%u,\"buckets\":%u,"
			"\"bucket_max\":%llu,\"bucket_min\":%llu,"
			"\"ratio\":",
			cf->t.nflows, (unsigned long long)en->frames,
			(unsigned long long)en->udp,
			(unsigned long long)en->other, ports, cf->buckets,
			(unsigned long long)max, (unsigned long long)min);
		if (min)
			fprintf(f, "%.3f", (double)max / (double)min);
		else
			fprintf(f, "null");
		fprintf(f, ",\"bucket\":[");
		for (i = 0; i < cf->buckets; i++)
			fprintf(f, "%s%llu", i ? "," : "",
				(unsigned long long)en->bucket[i]);
		fprintf(f, "],\"port\":{");
		for (i = 0; i < 65536; i++)
			if (en->port[i])
				fprintf(f, "%s\"%u\":%llu", k++ ? "," : "", i,
					(unsigned long long)en->port[i]);
		fprintf(f, "}}\n");
		return;
	}
	fprintf(f,
		"flows\t%u\nframes\t%llu\nudp\t%llu\nother\t%llu\n"
		"ports\t%u\nbuckets\t%u\nbucket_max\t%llu\n"
		"bucket_min\t%llu\n",
		cf->t.nflows, (unsigned long long)en->frames,
		(unsigned long long)en->udp, (unsigned long long)en->other,
		ports, cf->buckets, (unsigned long long)max,
		(unsigned long long)min);
	if (min)
		fprintf(f, "ratio\t%.3f\n", (double)max / (double)min);
	else
		fprintf(f, "ratio\tinf\n");
	for (i = 0; i < cf->buckets; i++)
		fprintf(f, "bucket\t%u\t%llu\n", i,
			(unsigned long long)en->bucket[i]);
}

int bench_entropy(const struct bench_conf *cf)
{
	struct entropy en = {.cf = cf};
	struct vnet_port_spec sp = {.kind = VNET_PORT_FD, .wfd = -1};
	struct vnet_port *in = NULL;
	struct vnet_loop *l = NULL;
	struct vnet_err e;
	char count[32], flows[32], size[32];
	char *v[16];
	int pids[2] = {-1, -1}, fd = -1, i = 0, r, ret = 1;

	if ((r = vnet_sig_init()) < 0) {
		vnet_log(VNET_LOG_ERR, "signals: %s", strerror(-r));
		goto out;
	}
	if (!(en.port = calloc(65536, sizeof(*en.port))) ||
	    !(en.bucket = calloc(cf->buckets, sizeof(*en.bucket)))) {
		vnet_log(VNET_LOG_ERR, "entropy: %s", strerror(errno));
		goto out;
	}
	snprintf(count, sizeof(count), "%llu",
		 (unsigned long long)(cf->count ? cf->count : cf->t.nflows));
	snprintf(flows, sizeof(flows), "%u", cf->t.nflows);
	snprintf(size, sizeof(size), "%u", cf->nsizes ? cf->sizes[0] : 128);
	v[i++] = "vnet-bench";
	v[i++] = "gen";
	v[i++] = "-c";
	v[i++] = count;
	v[i++] = "-n";
	v[i++] = flows;
	v[i++] = "-s";
	v[i++] = size;
	v[i++] = "--vary";
	v[i++] = (char *)(cf->vary_arg ? cf->vary_arg : "src-port");
	if (cf->t.family == AF_INET6)
		v[i++] = "--ipv6";
	v[i] = NULL;
	if (bench_spawn(cf, v, pids, &fd) < 0)
		goto out;
	sp.rfd = fd;
	if (!(in = vnet_port_open(&sp, VNET_PORT_NO_WRITE, cf->o.fmt, &e))) {
		vnet_log_err(&e, "open");
		goto out;
	}
	r = -ENOMEM;
	if (!(l = vnet_loop_new()) ||
	    (r = vnet_loop_add_port(l, in, VNET_LOOP_READ, cf->argv[0],
				    on_frames, &en)) < 0) {
		vnet_log(VNET_LOG_ERR, "event loop: %s", strerror(-r));
		goto out;
	}
	r = vnet_loop_run(l);
	vnet_log_loop(l, r);
	if (r < 0)
		goto out;
	if ((r = bench_reap(pids))) {
		vnet_log(VNET_LOG_ERR, "entropy: %s exited with status %d",
			 cf->argv[0], r);
		goto out;
	}
	report(stdout, &en);
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	vnet_loop_free(l);
	vnet_port_close(in);
	if (fd >= 0)
		close(fd);
	bench_reap(pids);
	free(en.port);
	free(en.bucket);
	return ret;
}
