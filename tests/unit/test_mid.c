/* SPDX-License-Identifier: ISC */
/* test_mid.c -- the middle-program loop over pipes: two-way forwarding,
 * replies, end of input, one-way refusal of the other direction. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/mid.h"
#include "vnet/sig.h"
#include "vnet/stream.h"

/* Write a pcap stream of n frames of len bytes (first byte = index + tag)
 * to fd and close it. */
static void write_stream(int fd, unsigned n, unsigned len, uint8_t tag)
{
	struct vnet_sw *w = vnet_sw_new(fd, VNET_FMT_PCAP, 0);
	uint8_t buf[256];

	for (unsigned i = 0; i < n; i++) {
		struct iovec v = { buf, len };

		memset(buf, 0, sizeof(buf));
		buf[0] = (uint8_t)(tag + i);
		buf[12] = 0x08;	/* EtherType IPv4, not that it matters */
		vnet_sw_put(w, 1000000000ULL * (i + 1), &v, 1);
	}
	vnet_sw_flush(w);
	vnet_sw_free(w);
	close(fd);
}

/* Read back a stream from fd: the first bytes of its frames into out. */
static unsigned read_stream(int fd, uint8_t *out, unsigned max)
{
	struct vnet_sr *r = vnet_sr_new(fd, 0);
	struct vnet_frame f;
	unsigned n = 0;

	for (;;) {
		int k = vnet_sr_next(r, &f);

		if (k == 1) {
			if (n < max)
				out[n] = f.data[0];
			n++;
			continue;
		}
		if (k < 0 || vnet_sr_fill(r) <= 0)
			break;
	}
	vnet_sr_free(r);
	close(fd);
	return n;
}

struct ctx {
	unsigned seen[2], replies, refused;
	int reply_every;
};

/* Forward everything; answer every reply_every-th egress frame back. */
static int frames(void *arg, struct vnet_mid *m, enum vnet_dir dir,
		  struct vnet_frame *f, unsigned n)
{
	struct ctx *c = arg;

	for (unsigned i = 0; i < n; i++) {
		struct iovec v = { (void *)f[i].data, f[i].len };
		int r;

		c->seen[dir]++;
		if (vnet_mid_send(m, dir, f[i].ts_ns, &v, 1) == -ENOTCONN)
			c->refused++;
		if (c->reply_every && dir == VNET_EGRESS &&
		    c->seen[dir] % (unsigned)c->reply_every == 0) {
			uint8_t rb[64] = { 0xee };

			v.iov_base = rb;
			v.iov_len = sizeof(rb);
			r = vnet_mid_reply(m, dir, f[i].ts_ns, &v, 1);
			if (r == 0)
				c->replies++;
			else if (r == -ENOTCONN)
				c->refused++;
		}
	}
	return 0;
}

static void test_two_way(void)
{
	int lin[2], lout[2], rin[2], rout[2];
	char l[32], r[32];
	struct vnet_mid_config c = { .left = l, .right = r };
	struct vnet_mid_ops ops = { .frames = frames };
	struct ctx cx = { .reply_every = 5 };
	struct vnet_mid *m;
	char buf[VNET_ERR_STRLEN];
	struct vnet_err e;
	uint8_t got[256];

	T_ASSERT(pipe(lin) == 0 && pipe(lout) == 0 && pipe(rin) == 0 &&
		 pipe(rout) == 0);
	for (int i = 0; i < 2; i++) {
		fcntl(lout[i], F_SETPIPE_SZ, 1 << 20);
		fcntl(rout[i], F_SETPIPE_SZ, 1 << 20);
	}
	write_stream(lin[1], 100, 60, 0);
	write_stream(rin[1], 7, 60, 0x80);
	snprintf(l, sizeof(l), "fd:%d,%d", lin[0], lout[1]);
	snprintf(r, sizeof(r), "fd:%d,%d", rin[0], rout[1]);
	m = vnet_mid_open(&c, &e);
	T_ASSERT(m != NULL);
	if (!m) {
		printf("# %s\n", vnet_err_str(&e, buf, sizeof(buf)));
		return;
	}
	T_EQ(vnet_mid_oneway(m), 0);
	T_EQ(vnet_mid_run(m, &ops, &cx), 0);
	vnet_mid_close(m);
	close(lout[1]);
	close(rout[1]);
	close(lin[0]);
	close(rin[0]);
	T_EQ(cx.seen[VNET_EGRESS], 100);
	T_EQ(cx.seen[VNET_INGRESS], 7);
	T_EQ(cx.replies, 20);
	T_EQ(cx.refused, 0);
	/* Right output: the 100 egress frames in order. */
	T_EQ(read_stream(rout[0], got, sizeof(got)), 100);
	T_EQ(got[0], 0);
	T_EQ(got[99], 99);
	/* Left output: 7 ingress frames and 20 replies, interleaved. */
	T_EQ(read_stream(lout[0], got, sizeof(got)), 27);
}

/* The left output's reader stops reading: egress goes on, all of it;
 * the right input (a stream) is held while the left output is full, and
 * nothing of it is dropped.  The tick closes the left reader once egress
 * is through, which ends the run (EPIPE). */
struct sctx {
	struct ctx c;
	int close_fd;
};

static int count_frames(void *arg, struct vnet_mid *m, enum vnet_dir dir,
			struct vnet_frame *f, unsigned n)
{
	return frames(arg, m, dir, f, n);
}

static void close_when_through(void *arg, struct vnet_mid *m, uint64_t now)
{
	struct sctx *s = arg;

	(void)m;
	(void)now;
	if (s->c.seen[VNET_EGRESS] == 100 && s->close_fd >= 0) {
		close(s->close_fd);
		s->close_fd = -1;
	}
}

static void test_stalled_direction(void)
{
	int lin[2], lout[2], rin[2], rout[2], st = 0;
	char l[32], r[32];
	struct vnet_mid_config c = { .left = l, .right = r };
	struct vnet_mid_ops ops = { .frames = count_frames,
				    .tick = close_when_through };
	struct sctx sx = { .c = { .reply_every = 0 } };
	const struct vnet_sw_stats *ws;
	struct vnet_mid *m;
	uint8_t got[256];
	pid_t pid;

	T_ASSERT(pipe(lin) == 0 && pipe(lout) == 0 && pipe(rin) == 0 &&
		 pipe(rout) == 0);
	fcntl(rout[1], F_SETPIPE_SZ, 1 << 20);
	write_stream(lin[1], 100, 60, 0);
	/* 20000 frames of 256 bytes (5 MB) from a child, more than the
	 * queue and its reserve: the child waits. */
	pid = fork();
	if (pid == 0) {
		close(rin[0]);
		close(lin[0]);
		close(lout[0]);
		close(lout[1]);
		close(rout[0]);
		close(rout[1]);
		write_stream(rin[1], 20000, 256, 0x80);
		_exit(0);
	}
	T_ASSERT(pid > 0);
	close(rin[1]);
	sx.close_fd = lout[0];
	snprintf(l, sizeof(l), "fd:%d,%d", lin[0], lout[1]);
	snprintf(r, sizeof(r), "fd:%d,%d", rin[0], rout[1]);
	m = vnet_mid_open(&c, NULL);
	T_ASSERT(m != NULL);
	if (!m)
		return;
	T_EQ(vnet_mid_run(m, &ops, &sx), 0);
	/* Ended by the left reader that went away. */
	T_ASSERT(strstr(vnet_loop_note(vnet_mid_loop(m), NULL)->obj,
			"left ") != NULL);
	T_EQ(sx.c.seen[VNET_EGRESS], 100);
	T_ASSERT(sx.c.seen[VNET_INGRESS] > 0);
	T_ASSERT(sx.c.seen[VNET_INGRESS] < 20000);
	ws = vnet_mid_wstats(m, VNET_INGRESS);
	T_ASSERT(ws && ws->queue_drops == 0);
	ws = vnet_mid_wstats(m, VNET_EGRESS);
	T_ASSERT(ws && ws->queue_drops == 0);
	vnet_mid_close(m);
	close(rout[1]);
	close(lout[1]);
	close(lin[0]);
	/* The right output: the 100 egress frames, in order. */
	T_EQ(read_stream(rout[0], got, sizeof(got)), 100);
	T_EQ(got[99], 99);
	close(rin[0]); /* the child's write fails: it ends */
	T_EQ(waitpid(pid, &st, 0), pid);
}

static void test_bad_spec(void)
{
	struct vnet_mid_config c = { .left = "udp:198.18.0.1",
				     .right = "fd:0,1" };
	char buf[VNET_ERR_STRLEN];
	const char *what;
	struct vnet_err e;

	vnet_err_clear(&e);
	T_ASSERT(vnet_mid_open(&c, &e) == NULL);
	what = vnet_err_str(&e, buf, sizeof(buf));
	T_ASSERT(vnet_err_isset(&e) && strstr(what, "not udp:"));
	c.left = "bogus:x";
	vnet_err_clear(&e);
	T_ASSERT(vnet_mid_open(&c, &e) == NULL);
	what = vnet_err_str(&e, buf, sizeof(buf));
	T_ASSERT(vnet_err_isset(&e) && strstr(what, "--left 'bogus:x'"));
}

/* vnet_mid_check: the specs by their options, and a stream for a
 * terminal refused unless forced. */
static void test_check(void)
{
	struct vnet_mid_config c = { .left = "bogus:x", .right = "-" };
	char buf[VNET_ERR_STRLEN], spec[32], want[128];
	struct vnet_err e;
	int mfd, sfd;

	T_EQ(vnet_mid_check(&c, &e), -EINVAL);
	T_STREQ(vnet_err_str(&e, buf, sizeof(buf)),
		"--left 'bogus:x': unknown port type (expected -, fd:, tap:, "
		"pcap: or udp:)");
	/* (A left side that writes nothing: the test's stdout may be a
	 * terminal.) */
	c.left = "pcap:x.pcap";
	c.right = "udp:198.18.0.1";
	T_EQ(vnet_mid_check(&c, &e), -EINVAL);
	T_ASSERT(strstr(vnet_err_str(&e, buf, sizeof(buf)),
			"--right 'udp:198.18.0.1': ") == buf);
	/* A sink reads its left side only: the right one is not looked at. */
	c.sink = 1;
	T_EQ(vnet_mid_check(&c, &e), 0);
	c.sink = 0;
	/* The right side writes to a pseudo-terminal. */
	mfd = posix_openpt(O_RDWR | O_NOCTTY);
	if (mfd < 0 || grantpt(mfd) || unlockpt(mfd) ||
	    (sfd = open(ptsname(mfd), O_RDWR | O_NOCTTY)) < 0) {
		printf("# no pseudo-terminal: %s\n", strerror(errno));
		return;
	}
	snprintf(spec, sizeof(spec), "fd:0,%d", sfd);
	c.right = spec;
	T_EQ(vnet_mid_check(&c, &e), -ENOTTY);
	snprintf(want, sizeof(want), "fd %d is a terminal: redirect it "
		 "(%d>FILE) or give --force", sfd, sfd);
	T_STREQ(vnet_err_str(&e, buf, sizeof(buf)), want);
	c.force = 1;
	T_EQ(vnet_mid_check(&c, &e), 0);
	close(sfd);
	close(mfd);
}

static void test_dir_names(void)
{
	enum vnet_dir d;

	T_EQ(vnet_dir_parse("ingress", &d), 0);
	T_EQ(d, VNET_INGRESS);
	T_EQ(vnet_dir_parse("egress", &d), 0);
	T_EQ(d, VNET_EGRESS);
	T_EQ(vnet_dir_parse("both", &d), -EINVAL);
	T_STREQ(vnet_dir_name(VNET_INGRESS), "ingress");
}

int main(void)
{
	vnet_sig_init();
	T_RUN(test_two_way);
	T_RUN(test_stalled_direction);
	T_RUN(test_bad_spec);
	T_RUN(test_check);
	T_RUN(test_dir_names);
	return T_DONE();
}
