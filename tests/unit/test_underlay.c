/* SPDX-License-Identifier: ISC */
/* test_underlay.c -- unit tests of the UDP underlay (lib/underlay.c) over
 * the loopback interface of a private network namespace.
 *
 * The raw sending socket needs CAP_NET_RAW and the namespace root: as
 * another user the whole program is skipped.  Only 127.0.0.1 is used, in
 * a namespace of this process alone.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <linux/in6.h> /* IPV6_FLOWINFO, after netinet/in.h */
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "taddr.h"
#include "vnet/underlay.h"
#include "vnet/vxlan.h" /* vnet_outer_flowlabel */

#define SEC 1000000000ULL
#define MAXD 512

/* What a receive callback saw: each datagram's source and bytes. */
struct seen {
	unsigned n;
	int stop_at; /* return -EPIPE for datagram stop_at (1-based), or 0 */
	struct {
		struct vnet_addr src;
		uint16_t sport;
		size_t len;
		uint8_t b[2048];
	} d[MAXD];
};

static int collect(void *arg, const struct vnet_underlay_dgram *d)
{
	struct seen *s = arg;

	if (s->n < MAXD) {
		s->d[s->n].src = d->src;
		s->d[s->n].sport = d->sport;
		s->d[s->n].len = d->len;
		memcpy(s->d[s->n].b, d->data,
		       d->len < sizeof(s->d[0].b) ? d->len : sizeof(s->d[0].b));
	}
	s->n++;
	if (s->stop_at && (int)s->n == s->stop_at)
		return -EPIPE;
	return 0;
}

/* Receive on u until want datagrams (segments) were handed over, for at
 * most two seconds.  Returns what vnet_underlay_recv returned last. */
static int recv_until(struct vnet_underlay *u, struct seen *s, unsigned want)
{
	struct pollfd p = { .fd = vnet_underlay_fd(u), .events = POLLIN };
	int i, r = 0;

	for (i = 0; i < 200 && s->n < want; i++) {
		if (poll(&p, 1, 10) < 0)
			break;
		if ((r = vnet_underlay_recv(u, collect, s)) < 0)
			break;
	}
	return r;
}

static struct vnet_underlay *open_on(const char *addr, int gso, uint8_t ttl,
				     uint8_t tos)
{
	struct vnet_underlay_conf c = {
		.bind = ip(addr),
		.ttl = ttl,
		.tos = tos,
		.gso = gso,
	};
	char buf[VNET_ERR_STRLEN];
	struct vnet_err e;
	struct vnet_underlay *u = vnet_underlay_open(&c, &e);

	if (!u)
		T_FAIL("vnet_underlay_open %s: %s", addr,
		       vnet_err_str(&e, buf, sizeof(buf)));
	return u;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t port = 0;
	struct vnet_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    vnet_addr_from_sockaddr(&a, &port, (struct sockaddr *)&ss))
		return 0;
	return port;
}

/* A UDP port of 127.0.0.1 nobody holds right now. */
static uint16_t free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint16_t port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		T_FAIL("free_port: %s", strerror(errno));
	port = port_of(fd);
	close(fd);
	return port;
}

/* A payload of n bytes; byte i of the payload with tag t. */
static void fill(uint8_t *b, size_t n, unsigned t)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(t * 37 + i);
}

static void test_open_refuses(void)
{
	struct vnet_underlay_conf c = { .bind = ip("::") };
	char buf[VNET_ERR_STRLEN];
	struct vnet_err e;

	/* IPv6 needs a source address: the raw socket sends it as is. */
	errno = 0;
	T_ASSERT(vnet_underlay_open(&c, &e) == NULL);
	T_EQ(errno, EDESTADDRREQ);
	T_STREQ(vnet_err_str(&e, buf, sizeof(buf)),
		"udp:[::]:0: an IPv6 underlay needs a source address "
		"(--local)");
	c.bind = ip("::1");
	c.local = ip("127.0.0.1");
	errno = 0;
	T_ASSERT(vnet_underlay_open(&c, &e) == NULL);
	T_EQ(errno, EAFNOSUPPORT);
	T_STREQ(vnet_err_str(&e, buf, sizeof(buf)),
		"udp:[::1]:0: the source address is not of the underlay's "
		"family");
	c.bind = ip("127.0.0.1");
	c.local = ip("2001:db8::1");
	errno = 0;
	T_ASSERT(vnet_underlay_open(&c, NULL) == NULL);
	T_EQ(errno, EAFNOSUPPORT);
	c.local.family = 0;
	c.batch = VNET_UNDERLAY_BATCH_MAX + 1;
	errno = 0;
	T_ASSERT(vnet_underlay_open(&c, &e) == NULL);
	T_EQ(errno, EINVAL);
	T_STREQ(vnet_err_str(&e, buf, sizeof(buf)),
		"udp:127.0.0.1:0: configure: Invalid argument");
	vnet_underlay_close(NULL);
}

/* An ADDR:PORT that a socket holds is refused, not shared: a second VTEP
 * would take the first one's datagrams (SO_REUSEADDR on both lets the
 * newer bind win them).  A socket that set SO_REUSEADDR itself does not
 * open the door either; once the holder is gone the port is free. */
static void test_open_in_use(void)
{
	struct vnet_underlay_conf c = { .bind = ip("127.0.0.1") };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct vnet_underlay *u, *v;
	char buf[VNET_ERR_STRLEN], want[160];
	struct vnet_err e = { .line = 0 };
	int fd, one = 1;

	c.port = free_port();
	u = vnet_underlay_open(&c, &e);
	T_ASSERT(u);
	errno = 0;
	v = vnet_underlay_open(&c, &e);
	T_ASSERT(!v);
	T_EQ(errno, EADDRINUSE);
	T_EQ(e.errnum, EADDRINUSE);
	snprintf(want, sizeof(want), "udp:127.0.0.1:%u: bind: %s (another "
		 "VTEP or process holds it; ss -ulpn)", c.port,
		 strerror(EADDRINUSE));
	T_STREQ(vnet_err_str(&e, buf, sizeof(buf)), want);
	/* The wildcard address overlaps it as well. */
	c.bind = ip("0.0.0.0");
	T_ASSERT(!vnet_underlay_open(&c, NULL));
	T_EQ(errno, EADDRINUSE);
	vnet_underlay_close(v);
	vnet_underlay_close(u);

	c.bind = ip("127.0.0.1");
	c.port = free_port();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(c.port);
	T_EQ(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	T_EQ(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	errno = 0;
	T_ASSERT(!vnet_underlay_open(&c, NULL));
	T_EQ(errno, EADDRINUSE);
	close(fd);
	u = vnet_underlay_open(&c, &e);
	T_ASSERT(u);
	vnet_underlay_close(u);
}

/* The raw path: every queued datagram arrives from its own source port,
 * header then payload pieces, in order; more than a queue's worth makes
 * the queue flush itself; a refused datagram is counted and the rest go. */
static void test_queue_flush(void)
{
	static struct seen s;
	struct vnet_underlay *tx, *rx;
	const struct vnet_underlay_stats *ts;
	const struct vnet_addr lo = ip("127.0.0.1");
	const struct vnet_addr bcast = ip("255.255.255.255");
	const unsigned n = VNET_UNDERLAY_TXQ + 44;
	static uint8_t pay[VNET_UNDERLAY_TXQ + 44][64];
	uint8_t hdr[8];
	struct iovec iov[2];
	uint64_t bytes = 0;
	uint16_t dport;
	unsigned i;
	int ok = 1;

	memset(&s, 0, sizeof(s));
	tx = open_on("127.0.0.1", 1, 0, 0);
	rx = open_on("127.0.0.1", 0, 0, 0);
	if (!tx || !rx)
		goto out;
	T_EQ(vnet_underlay_gso(tx), 1);
	T_EQ(vnet_underlay_gso(rx), 0);
	dport = port_of(vnet_underlay_fd(rx));
	ts = vnet_underlay_stats(tx);
	for (i = 0; i < n; i++) {
		memset(hdr, (int)(i & 0xff), sizeof(hdr));
		fill(pay[i], sizeof(pay[i]), i);
		iov[0].iov_base = pay[i];
		iov[0].iov_len = 10;
		iov[1].iov_base = pay[i] + 10;
		iov[1].iov_len = 20 + i % 30;
		T_EQ(vnet_underlay_queue(tx, &lo, (uint16_t)(40000 + i), dport,
					 hdr, sizeof(hdr), iov, 2),
		     0);
		bytes += 28 + 8 + 30 + i % 30;
	}
	T_EQ(vnet_underlay_flush(tx), 0);
	T_ASSERT(recv_until(rx, &s, n) > 0);
	T_EQ(s.n, n);
	for (i = 0; i < s.n && i < n && ok; i++) {
		T_ASSERT(vnet_addr_eq(&s.d[i].src, &lo));
		T_EQ(s.d[i].sport, 40000 + i);
		T_EQ(s.d[i].len, 8 + 30 + i % 30);
		T_EQ(s.d[i].b[0], i & 0xff);
		T_EQ(s.d[i].b[7], i & 0xff);
		T_MEMEQ(s.d[i].b + 8, pay[i], 30 + i % 30);
		ok = !t_cur_failed;
	}
	T_EQ(ts->tx_packets, n);
	T_EQ(ts->tx_bytes, bytes);
	T_EQ(ts->send_errors, 0);
	T_EQ(ts->gso_sends, 0);
	T_EQ(vnet_underlay_stats(rx)->rx_datagrams, n);

	/* Refused (no SO_BROADCAST): counted, and the next one still goes. */
	s.n = 0;
	iov[0].iov_base = pay[0];
	iov[0].iov_len = 5;
	T_EQ(vnet_underlay_queue(tx, &bcast, 40000, dport, hdr, 2, iov, 1), 0);
	T_EQ(vnet_underlay_queue(tx, &lo, 40001, dport, hdr, 2, iov, 1), 0);
	T_EQ(vnet_underlay_flush(tx), 0);
	T_EQ(ts->send_errors, 1);
	T_ASSERT(ts->send_errno != 0);
	T_ASSERT(vnet_addr_eq(&ts->send_addr, &bcast));
	T_EQ(ts->tx_packets, n + 1);
	recv_until(rx, &s, 1);
	T_EQ(s.n, 1);
	T_EQ(s.d[0].sport, 40001);
	T_EQ(s.d[0].len, 7);
out:
	vnet_underlay_close(tx);
	vnet_underlay_close(rx);
}

static void test_queue_refuses(void)
{
	struct vnet_underlay *tx = open_on("127.0.0.1", 0, 0, 0);
	const struct vnet_addr six = ip("2001:db8::2");
	const struct vnet_addr lo = ip("127.0.0.1");
	static uint8_t big[65536];
	uint8_t hdr[VNET_UNDERLAY_HDR_MAX + 1] = { 0 };
	struct iovec iov[VNET_UNDERLAY_IOV_MAX + 1];
	unsigned i;

	if (!tx)
		return;
	for (i = 0; i <= VNET_UNDERLAY_IOV_MAX; i++) {
		iov[i].iov_base = hdr;
		iov[i].iov_len = 1;
	}
	T_EQ(vnet_underlay_queue(tx, &lo, 1, 2, hdr, sizeof(hdr), iov, 1),
	     -EINVAL);
	T_EQ(vnet_underlay_queue(tx, &lo, 1, 2, hdr, 8, iov,
				 VNET_UNDERLAY_IOV_MAX + 1),
	     -EINVAL);
	T_EQ(vnet_underlay_queue(tx, &six, 1, 2, hdr, 8, iov, 1),
	     -EAFNOSUPPORT);
	iov[0].iov_base = big;
	iov[0].iov_len = sizeof(big) - 28 - 8 + 1;
	T_EQ(vnet_underlay_queue(tx, &lo, 1, 2, hdr, 8, iov, 1), -EMSGSIZE);
	/* Nothing was queued: a flush sends nothing. */
	T_EQ(vnet_underlay_flush(tx), 0);
	T_EQ(vnet_underlay_stats(tx)->tx_packets, 0);
	T_EQ(vnet_underlay_stats(tx)->send_errors, 0);
	/* GSO off in the configuration: the caller sends one by one. */
	iov[0].iov_len = 100;
	T_EQ(vnet_underlay_gso(tx), 0);
	T_EQ(vnet_underlay_send_gso(tx, &lo, 40000, 2, iov, 1, 40, 0),
	     -EOPNOTSUPP);
	vnet_underlay_close(tx);
	tx = open_on("127.0.0.1", 1, 0, 0);
	if (!tx)
		return;
	T_EQ(vnet_underlay_send_gso(tx, &lo, 40000, 2, iov, 1, 0, 0), -EINVAL);
	iov[0].iov_len = 0;
	T_EQ(vnet_underlay_send_gso(tx, &lo, 40000, 2, iov, 1, 40, 0), -EINVAL);
	iov[0].iov_len = VNET_UNDERLAY_GSO_MAX + 1;
	T_EQ(vnet_underlay_send_gso(tx, &lo, 40000, 2, iov, 1, 1400, 0),
	     -EINVAL);
	iov[0].iov_len = 100;
	T_EQ(vnet_underlay_send_gso(tx, &six, 40000, 2, iov, 1, 40, 0),
	     -EAFNOSUPPORT);
	T_EQ(vnet_underlay_stats(tx)->gso_sends, 0);
	vnet_underlay_close(tx);
}

/* A run: segments of seg bytes (the last shorter), each an 8-byte header
 * and a frame in two pieces, as a VTEP gathers them.  Fills iov and the
 * expected datagrams; returns the iovec count. */
#define RUN_SEGS 5
#define RUN_SEG 700
#define RUN_LAST 300
static uint8_t run_hdr[8] = { 'H', 'D', 'R', 0, 0, 0, 1, 0 };
static uint8_t run_frames[RUN_SEGS][RUN_SEG];

static unsigned build_run(struct iovec *iov)
{
	unsigned i, k = 0;
	size_t flen;

	for (i = 0; i < RUN_SEGS; i++) {
		flen = (i == RUN_SEGS - 1 ? RUN_LAST : RUN_SEG) - 8;
		fill(run_frames[i], flen, 100 + i);
		iov[k].iov_base = run_hdr;
		iov[k++].iov_len = sizeof(run_hdr);
		iov[k].iov_base = run_frames[i];
		iov[k++].iov_len = 12;
		iov[k].iov_base = run_frames[i] + 12;
		iov[k++].iov_len = flen - 12;
	}
	return k;
}

static void check_run(const struct seen *s, uint16_t sport)
{
	const struct vnet_addr lo = ip("127.0.0.1");
	unsigned i;
	size_t len;

	T_EQ(s->n, RUN_SEGS);
	for (i = 0; i < s->n && i < RUN_SEGS; i++) {
		len = i == RUN_SEGS - 1 ? RUN_LAST : RUN_SEG;
		T_ASSERT(vnet_addr_eq(&s->d[i].src, &lo));
		T_EQ(s->d[i].sport, sport);
		T_EQ(s->d[i].len, len);
		T_MEMEQ(s->d[i].b, run_hdr, 8);
		T_MEMEQ(s->d[i].b + 8, run_frames[i], len - 8);
	}
}

/* One UDP GSO send; a UDP_GRO receiver gets it as one datagram and hands
 * it over cut at the segment size, from the run's source port. */
static void test_gso_to_gro(void)
{
	static struct seen s;
	struct vnet_underlay *tx, *rx;
	const struct vnet_underlay_stats *ts, *rs;
	const struct vnet_addr lo = ip("127.0.0.1");
	struct iovec iov[RUN_SEGS * 3];
	uint16_t dport, sport = free_port();
	unsigned niov = build_run(iov);

	memset(&s, 0, sizeof(s));
	tx = open_on("127.0.0.1", 1, 0, 0);
	rx = open_on("127.0.0.1", 1, 0, 0);
	if (!tx || !rx)
		goto out;
	ts = vnet_underlay_stats(tx);
	rs = vnet_underlay_stats(rx);
	dport = port_of(vnet_underlay_fd(rx));
	T_EQ(vnet_underlay_send_gso(tx, &lo, sport, dport, iov, niov, RUN_SEG,
				    SEC),
	     0);
	T_EQ(ts->gso_sends, 1);
	T_EQ(ts->gso_segments, RUN_SEGS);
	T_EQ(ts->tx_packets, RUN_SEGS);
	T_EQ(ts->tx_bytes,
	     (RUN_SEGS - 1) * (28 + RUN_SEG) + 28 + RUN_LAST);
	T_EQ(recv_until(rx, &s, RUN_SEGS), 1);
	check_run(&s, sport);
	T_EQ(rs->rx_datagrams, 1);
	T_EQ(rs->rx_gro_datagrams, 1);
	T_EQ(rs->rx_gro_segments, RUN_SEGS);

	/* A negative return of the callback stops the batch. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	T_EQ(vnet_underlay_send_gso(tx, &lo, sport, dport, iov, niov, RUN_SEG,
				    SEC),
	     0);
	T_EQ(recv_until(rx, &s, 2), -EPIPE);
	T_EQ(s.n, 2);
out:
	vnet_underlay_close(tx);
	vnet_underlay_close(rx);
}

/* The same send to a receiver without UDP_GRO: the kernel cuts it, and
 * the datagrams are the same; queued datagrams leave before the run. */
static void test_gso_to_plain(void)
{
	static struct seen s;
	struct vnet_underlay *tx, *rx;
	const struct vnet_addr lo = ip("127.0.0.1");
	struct iovec iov[RUN_SEGS * 3], one = { run_hdr, 4 };
	uint16_t dport, sport = free_port();
	unsigned niov = build_run(iov), i;

	memset(&s, 0, sizeof(s));
	tx = open_on("127.0.0.1", 1, 0, 0);
	rx = open_on("127.0.0.1", 0, 0, 0);
	if (!tx || !rx)
		goto out;
	dport = port_of(vnet_underlay_fd(rx));
	T_EQ(vnet_underlay_queue(tx, &lo, 999, dport, NULL, 0, &one, 1), 0);
	T_EQ(vnet_underlay_send_gso(tx, &lo, sport, dport, iov, niov, RUN_SEG,
				    SEC),
	     0);
	T_EQ(vnet_underlay_stats(tx)->tx_packets, 1 + RUN_SEGS);
	recv_until(rx, &s, 1 + RUN_SEGS);
	T_EQ(s.n, 1 + RUN_SEGS);
	if (s.n < 1)
		goto out;
	T_EQ(s.d[0].sport, 999);
	T_EQ(s.d[0].len, 4);
	/* check_run on the rest */
	memmove(&s.d[0], &s.d[1], sizeof(s.d[0]) * RUN_SEGS);
	s.n--;
	check_run(&s, sport);
	T_EQ(vnet_underlay_stats(rx)->rx_gro_datagrams, 0);
	for (i = 0; i < RUN_SEGS; i++)
		T_EQ(s.d[i].sport, sport);
out:
	vnet_underlay_close(tx);
	vnet_underlay_close(rx);
}

/* The source-port pool: VNET_UNDERLAY_SOCKS ports at once; a new port
 * finds no socket until a slot has been idle long enough, then takes it. */
static void test_pool(void)
{
	static struct seen s;
	struct vnet_underlay *tx, *rx;
	const struct vnet_addr lo = ip("127.0.0.1");
	uint8_t b[40] = { 0 };
	struct iovec iov = { b, sizeof(b) };
	uint16_t dport, late;
	unsigned i;

	memset(&s, 0, sizeof(s));
	tx = open_on("127.0.0.1", 1, 0, 0);
	rx = open_on("127.0.0.1", 0, 0, 0);
	if (!tx || !rx)
		goto out;
	dport = port_of(vnet_underlay_fd(rx));
	/* Fill the pool at time 1 s (a port someone holds still takes its
	 * slot; its run is refused). */
	for (i = 0; i < VNET_UNDERLAY_SOCKS; i++) {
		int r = vnet_underlay_send_gso(tx, &lo, (uint16_t)(41000 + i),
					       dport, &iov, 1, 20, SEC);

		T_ASSERT(r == 0 || r == -EOPNOTSUPP);
	}
	late = free_port();
	T_EQ(vnet_underlay_send_gso(tx, &lo, late, dport, &iov, 1, 20, 2 * SEC),
	     -EOPNOTSUPP);
	/* A port in the pool keeps its socket. */
	T_EQ(vnet_underlay_gso(tx), 1);
	/* Idle for VNET_UNDERLAY_SOCK_IDLE_NS: a slot is reused. */
	T_EQ(vnet_underlay_send_gso(tx, &lo, late, dport, &iov, 1, 20,
				    SEC + VNET_UNDERLAY_SOCK_IDLE_NS + 1),
	     0);
	recv_until(rx, &s, 2 * VNET_UNDERLAY_SOCKS + 2);
	T_ASSERT(s.n >= 2);
	if (s.n >= 2) {
		T_EQ(s.d[s.n - 1].sport, late);
		T_EQ(s.d[s.n - 2].sport, late);
		T_EQ(s.d[s.n - 1].len, 20);
	}
out:
	vnet_underlay_close(tx);
	vnet_underlay_close(rx);
}

/* TTL and TOS of the configuration on both ways of sending. */
static void test_ttl_tos(void)
{
	struct vnet_underlay *tx;
	const struct vnet_addr lo = ip("127.0.0.1");
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct iovec iov[RUN_SEGS * 3], riov;
	unsigned niov = build_run(iov), got = 0, i;
	uint8_t buf[2048];
	union {
		struct cmsghdr align;
		uint8_t b[256];
	} c;
	struct pollfd p;
	int fd, one = 1;

	tx = open_on("127.0.0.1", 1, 7, 0x20);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!tx || fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one))) {
		T_FAIL("receiver: %s", strerror(errno));
		goto out;
	}
	T_EQ(vnet_underlay_queue(tx, &lo, 50000, port_of(fd), NULL, 0, iov, 1),
	     0);
	T_EQ(vnet_underlay_flush(tx), 0);
	T_EQ(vnet_underlay_send_gso(tx, &lo, free_port(), port_of(fd), iov,
				    niov, RUN_SEG, SEC),
	     0);
	p.fd = fd;
	p.events = POLLIN;
	for (i = 0; i < 200 && got < 1 + RUN_SEGS; i++) {
		struct msghdr m = { 0 };
		struct cmsghdr *cm;
		int ttl = -1, tos = -1;

		riov.iov_base = buf;
		riov.iov_len = sizeof(buf);
		m.msg_iov = &riov;
		m.msg_iovlen = 1;
		m.msg_control = c.b;
		m.msg_controllen = sizeof(c.b);
		if (recvmsg(fd, &m, 0) < 0) {
			poll(&p, 1, 10);
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level != IPPROTO_IP)
				continue;
			if (cm->cmsg_type == IP_TTL)
				memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
			if (cm->cmsg_type == IP_TOS)
				tos = *CMSG_DATA(cm);
		}
		T_EQ(ttl, 7);
		T_EQ(tos, 0x20);
		got++;
	}
	T_EQ(got, 1 + RUN_SEGS);
out:
	if (fd >= 0)
		close(fd);
	vnet_underlay_close(tx);
}

/* IPv6 over ::1: the raw path writes the header and the UDP checksum
 * (the kernel of the receiver drops a wrong one), payload pieces of odd
 * lengths included; a datagram of the other family is refused. */
static void test_queue6(void)
{
	static struct seen s;
	struct vnet_underlay *tx, *rx;
	const struct vnet_underlay_stats *ts;
	const struct vnet_addr lo6 = ip("::1"), lo = ip("127.0.0.1");
	static uint8_t pay[40][80];
	uint8_t hdr[8];
	struct iovec iov[3];
	uint64_t bytes = 0;
	uint16_t dport;
	unsigned i, n = 40;

	memset(&s, 0, sizeof(s));
	tx = open_on("::1", 1, 0, 0);
	rx = open_on("::1", 0, 0, 0);
	if (!tx || !rx)
		goto out;
	dport = port_of(vnet_underlay_fd(rx));
	ts = vnet_underlay_stats(tx);
	for (i = 0; i < n; i++) {
		memset(hdr, (int)i, sizeof(hdr));
		fill(pay[i], sizeof(pay[i]), i);
		iov[0].iov_base = pay[i];
		iov[0].iov_len = 1 + i % 3;
		iov[1].iov_base = pay[i] + iov[0].iov_len;
		iov[1].iov_len = 11 + i % 5;
		iov[2].iov_base = pay[i] + iov[0].iov_len + iov[1].iov_len;
		iov[2].iov_len = 7 + i;
		T_EQ(vnet_underlay_queue(tx, &lo6, (uint16_t)(40000 + i), dport,
					 hdr, 3 + i % 6, iov, 3),
		     0);
		bytes += 48 + 3 + i % 6 + iov[0].iov_len + iov[1].iov_len +
			 iov[2].iov_len;
	}
	T_EQ(vnet_underlay_queue(tx, &lo, 1, dport, hdr, 8, iov, 1),
	     -EAFNOSUPPORT);
	T_EQ(vnet_underlay_flush(tx), 0);
	T_ASSERT(recv_until(rx, &s, n) > 0);
	T_EQ(s.n, n);
	for (i = 0; i < s.n && i < n; i++) {
		size_t hl = 3 + i % 6;

		T_ASSERT(vnet_addr_eq(&s.d[i].src, &lo6));
		T_EQ(s.d[i].sport, 40000 + i);
		T_EQ(s.d[i].len, hl + 1 + i % 3 + 11 + i % 5 + 7 + i);
		T_EQ(s.d[i].b[0], i);
		T_MEMEQ(s.d[i].b + hl, pay[i], s.d[i].len - hl);
	}
	T_EQ(ts->tx_packets, n);
	T_EQ(ts->tx_bytes, bytes);
	T_EQ(ts->send_errors, 0);
out:
	vnet_underlay_close(tx);
	vnet_underlay_close(rx);
}

/* UDP GSO over IPv6 to a UDP_GRO receiver; the IPv6 limit is the payload
 * length field. */
static void test_gso6(void)
{
	static struct seen s;
	struct vnet_underlay *tx, *rx;
	const struct vnet_underlay_stats *ts;
	const struct vnet_addr lo6 = ip("::1"), lo = ip("127.0.0.1");
	struct iovec iov[RUN_SEGS * 3];
	static uint8_t big[VNET_UNDERLAY_GSO_MAX6 + 1];
	struct iovec one = { big, sizeof(big) };
	uint16_t dport, sport = free_port();
	unsigned niov = build_run(iov), i;

	memset(&s, 0, sizeof(s));
	tx = open_on("::1", 1, 0, 0);
	rx = open_on("::1", 1, 0, 0);
	if (!tx || !rx)
		goto out;
	ts = vnet_underlay_stats(tx);
	dport = port_of(vnet_underlay_fd(rx));
	T_EQ(vnet_underlay_send_gso(tx, &lo6, sport, dport, iov, niov, RUN_SEG,
				    SEC),
	     0);
	T_EQ(ts->gso_sends, 1);
	T_EQ(ts->tx_packets, RUN_SEGS);
	T_EQ(ts->tx_bytes, (RUN_SEGS - 1) * (48 + RUN_SEG) + 48 + RUN_LAST);
	recv_until(rx, &s, RUN_SEGS);
	T_EQ(s.n, RUN_SEGS);
	for (i = 0; i < s.n && i < RUN_SEGS; i++) {
		size_t len = i == RUN_SEGS - 1 ? RUN_LAST : RUN_SEG;

		T_ASSERT(vnet_addr_eq(&s.d[i].src, &lo6));
		T_EQ(s.d[i].sport, sport);
		T_EQ(s.d[i].len, len);
		T_MEMEQ(s.d[i].b + 8, run_frames[i], len - 8);
	}
	T_EQ(vnet_underlay_send_gso(tx, &lo6, sport, dport, &one, 1, 1400,
				    SEC),
	     -EINVAL);
	T_EQ(vnet_underlay_send_gso(tx, &lo, sport, dport, iov, niov, RUN_SEG,
				    SEC),
	     -EAFNOSUPPORT);
out:
	vnet_underlay_close(tx);
	vnet_underlay_close(rx);
}

/* What a plain IPv6 socket sees of each datagram. */
struct rx6 {
	uint16_t sport;
	int hops, tclass;
	uint32_t flow;
};

static unsigned recv6(int fd, struct rx6 *r, unsigned want)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t buf[2048];
	unsigned got = 0, i;
	union {
		struct cmsghdr align;
		uint8_t b[256];
	} c;

	for (i = 0; i < 200 && got < want; i++) {
		struct sockaddr_in6 from;
		struct iovec riov = { buf, sizeof(buf) };
		struct msghdr m = { 0 };
		struct cmsghdr *cm;
		uint32_t fi = 0;

		m.msg_name = &from;
		m.msg_namelen = sizeof(from);
		m.msg_iov = &riov;
		m.msg_iovlen = 1;
		m.msg_control = c.b;
		m.msg_controllen = sizeof(c.b);
		if (recvmsg(fd, &m, MSG_DONTWAIT) < 0) {
			poll(&p, 1, 10);
			continue;
		}
		r[got].sport = ntohs(from.sin6_port);
		r[got].hops = r[got].tclass = -1;
		r[got].flow = 0;
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level != IPPROTO_IPV6)
				continue;
			if (cm->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&r[got].hops, CMSG_DATA(cm), 4);
			if (cm->cmsg_type == IPV6_TCLASS)
				memcpy(&r[got].tclass, CMSG_DATA(cm), 4);
			if (cm->cmsg_type == IPV6_FLOWINFO) {
				memcpy(&fi, CMSG_DATA(cm), 4);
				r[got].flow = ntohl(fi) & 0xfffff;
			}
		}
		got++;
	}
	return got;
}

static int plain6(void)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;

	sin.sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one,
		       sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FLOWINFO, &one, sizeof(one))) {
		T_FAIL("IPv6 receiver: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Hop limit (ttl), traffic class (tos) and the flow label of the source
 * port, on the raw path and in a GSO send alike: one label per source
 * port (per inner flow), different labels for different ports. */
static void test_header6(void)
{
	const struct vnet_addr lo6 = ip("::1");
	struct vnet_underlay *tx;
	struct iovec iov[RUN_SEGS * 3];
	unsigned niov = build_run(iov), i;
	struct rx6 r[3 + RUN_SEGS];
	uint16_t gport = free_port();
	int fd;

	tx = open_on("::1", 1, 9, 0xb8);
	fd = plain6();
	if (!tx || fd < 0)
		goto out;
	T_EQ(vnet_underlay_queue(tx, &lo6, 50000, port_of(fd), NULL, 0, iov,
				 1),
	     0);
	T_EQ(vnet_underlay_queue(tx, &lo6, 50001, port_of(fd), NULL, 0, iov,
				 1),
	     0);
	T_EQ(vnet_underlay_queue(tx, &lo6, gport, port_of(fd), NULL, 0, iov,
				 1),
	     0);
	T_EQ(vnet_underlay_flush(tx), 0);
	T_EQ(vnet_underlay_send_gso(tx, &lo6, gport, port_of(fd), iov, niov,
				    RUN_SEG, SEC),
	     0);
	T_EQ(recv6(fd, r, 3 + RUN_SEGS), 3 + RUN_SEGS);
	for (i = 0; i < 3 + RUN_SEGS; i++) {
		T_EQ(r[i].hops, 9);
		T_EQ(r[i].tclass, 0xb8);
		T_EQ(r[i].flow, vnet_outer_flowlabel(r[i].sport));
		T_ASSERT(r[i].flow != 0);
	}
	T_EQ(r[0].sport, 50000);
	T_EQ(r[1].sport, 50001);
	T_ASSERT(r[0].flow != r[1].flow);
	/* The raw path and the GSO path give a port the same label. */
	for (i = 3; i < 3 + RUN_SEGS; i++) {
		T_EQ(r[i].sport, gport);
		T_EQ(r[i].flow, r[2].flow);
	}
out:
	if (fd >= 0)
		close(fd);
	vnet_underlay_close(tx);
}

/* Zero checksums over IPv6 only when configured (RFC 6935/6936): sent
 * with VNET_UNDERLAY_ZERO_TX (and no GSO then), dropped by a receiver
 * without VNET_UNDERLAY_ZERO_RX, taken by one with it. */
static void test_zero_csum6(void)
{
	static struct seen s;
	struct vnet_underlay_conf c = { .bind = ip("::1"), .gso = 1 };
	const struct vnet_addr lo6 = ip("::1");
	struct vnet_underlay *ztx = NULL, *tx, *rx, *zrx = NULL;
	uint8_t b[30] = { 1, 2, 3 };
	struct iovec iov = { b, sizeof(b) };
	uint16_t dport;

	memset(&s, 0, sizeof(s));
	tx = open_on("::1", 0, 0, 0);
	rx = open_on("::1", 0, 0, 0);
	c.zero_csum = VNET_UNDERLAY_ZERO_TX;
	ztx = vnet_underlay_open(&c, NULL);
	c.zero_csum = VNET_UNDERLAY_ZERO_RX;
	c.gso = 0;
	zrx = vnet_underlay_open(&c, NULL);
	if (!tx || !rx || !ztx || !zrx) {
		T_FAIL("open: %s", strerror(errno));
		goto out;
	}
	T_EQ(vnet_underlay_gso(ztx), 0);
	T_EQ(vnet_underlay_send_gso(ztx, &lo6, 41000, 1, &iov, 1, 10, SEC),
	     -EOPNOTSUPP);
	/* Not allowed: the zero one is dropped, the next one arrives. */
	dport = port_of(vnet_underlay_fd(rx));
	T_EQ(vnet_underlay_queue(ztx, &lo6, 41001, dport, NULL, 0, &iov, 1),
	     0);
	T_EQ(vnet_underlay_flush(ztx), 0);
	T_EQ(vnet_underlay_queue(tx, &lo6, 41002, dport, NULL, 0, &iov, 1), 0);
	T_EQ(vnet_underlay_flush(tx), 0);
	recv_until(rx, &s, 1);
	T_EQ(s.n, 1);
	T_EQ(s.d[0].sport, 41002);
	/* Allowed. */
	s.n = 0;
	dport = port_of(vnet_underlay_fd(zrx));
	T_EQ(vnet_underlay_queue(ztx, &lo6, 41003, dport, NULL, 0, &iov, 1),
	     0);
	T_EQ(vnet_underlay_flush(ztx), 0);
	recv_until(zrx, &s, 1);
	T_EQ(s.n, 1);
	T_EQ(s.d[0].sport, 41003);
	T_MEMEQ(s.d[0].b, b, sizeof(b));
out:
	vnet_underlay_close(ztx);
	vnet_underlay_close(zrx);
	vnet_underlay_close(tx);
	vnet_underlay_close(rx);
}

static int skip(const char *why)
{
	return t_skip_all("underlay", why);
}

/* Bring up lo of the new namespace (127.0.0.1 comes with it). */
static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return r;
}

int main(void)
{
	static char why[128];

	if (geteuid() != 0)
		return skip("not root (the raw socket needs CAP_NET_RAW)");
	if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0) {
		snprintf(why, sizeof(why), "private namespace with lo: %s",
			 strerror(errno));
		return skip(why);
	}
	T_RUN(test_open_refuses);
	T_RUN(test_open_in_use);
	T_RUN(test_queue_flush);
	T_RUN(test_queue_refuses);
	T_RUN(test_gso_to_gro);
	T_RUN(test_gso_to_plain);
	T_RUN(test_pool);
	T_RUN(test_ttl_tos);
	T_RUN(test_queue6);
	T_RUN(test_gso6);
	T_RUN(test_header6);
	T_RUN(test_zero_csum6);
	return T_DONE();
}
