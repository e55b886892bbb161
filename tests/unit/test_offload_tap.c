/* SPDX-License-Identifier: ISC */
/* test_offload_tap.c -- tap offloads against the kernel, in a private netns.
 *
 *   kernel TCP 198.18.99.1 -- tap vnoff0 -- this test: peers 198.18.99.2
 *   (listener :7777)          (vnet_hdr,     and 198.18.99.3, both at
 *                              CSUM, TSO4/6)  02:00:5e:10:00:02
 *
 * The test unshares a network namespace first, so the tap and its address
 * die with the process.  It plays the peers by writing and reading frames
 * on the tap (answering the kernel's ARP requests itself):
 *  - a connect() toward 198.18.99.3 gives a SYN with a partial checksum
 *    that vnet_gso_segment() completes;
 *  - a handshake with the listener, then a vnet_gro super-frame of three
 *    segments and a plain frame, which the kernel must deliver in order;
 *  - the kernel's answer of 20 KB comes as TSO super-frames, cut by
 *    vnet_gso_segment() into segments whose checksums are checked.
 * Without root, unshare or /dev/net/tun it skips; VNET_TEST_STRICT=1 turns
 * the skip into a failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "harness.h"
#include "vnet/bytes.h"
#include "vnet/offload.h"
#include "vnet/pkt.h"
#include "refcsum.h"

#define TAP	"vnoff0"
#define LPORT	7777
#define PPORT	5555

static const uint8_t ip_local[4] = {198, 18, 99, 1};
static const uint8_t ip_peer[4] = {198, 18, 99, 2};
static const uint8_t ip_peer2[4] = {198, 18, 99, 3};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};
static uint8_t tap_mac[6];
static int tapfd = -1;
static unsigned arp_answered;

static uint8_t rbuf[VNET_VHDR_LEN + 65536 + 1024];
static uint8_t scratch[VNET_SEG_MAX * VNET_SEG_HDR_MAX];
static struct vnet_seg segs[VNET_SEG_MAX];
static uint8_t pat[32768];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The TCP checksum of an IPv4/TCP packet at ip, as found (0: valid) or
 * as to store (field zeroed first by the caller). */
static uint16_t ref_tcp4(const uint8_t *ip)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4, l4len = vnet_get16(ip + 2) - ihl;
	uint8_t ph[12];

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	vnet_put16(ph + 10, (unsigned)l4len);
	return ref_csum2(ph, 12, ip + ihl, l4len);
}

/* Ethernet (peer -> tap) + IPv4 + TCP [+ MSS option] + payload, with
 * every checksum complete. */
static size_t build_tcp(uint8_t *f, const uint8_t *src, uint32_t seq,
			uint32_t ack, uint8_t flags, const uint8_t *payload,
			size_t plen)
{
	static uint16_t id = 1;
	size_t thl = flags & VNET_TCP_SYN ? 24 : 20;
	uint8_t *ip = f + 14, *th = f + 34;

	memcpy(f, tap_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	vnet_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	vnet_put16(ip + 2, (unsigned)(20 + thl + plen));
	vnet_put16(ip + 4, id++);
	vnet_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	vnet_put16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, ip_local, 4);
	vnet_put16(ip + 10, ref_csum2(ip, 20, NULL, 0));
	vnet_put16(th, PPORT);
	vnet_put16(th + 2, LPORT);
	vnet_put32(th + 4, seq);
	vnet_put32(th + 8, ack);
	th[12] = (uint8_t)(thl / 4 << 4);
	th[13] = flags;
	vnet_put16(th + 14, 65535);
	vnet_put32(th + 16, 0);
	if (thl == 24)
		memcpy(th + 20, "\x02\x04\x05\xb4", 4); /* MSS 1460 */
	if (plen)
		memcpy(th + thl, payload, plen);
	vnet_put16(th + 16, ref_tcp4(ip));
	return 34 + thl + plen;
}

static ssize_t tap_write(const struct vnet_vhdr *h, const uint8_t *f, size_t n)
{
	uint8_t hb[VNET_VHDR_LEN];
	struct iovec iov[2] = {
	    {.iov_base = hb, .iov_len = sizeof(hb)},
	    {.iov_base = (void *)f, .iov_len = n},
	};

	vnet_vhdr_encode(hb, h);
	return writev(tapfd, iov, 2);
}

/* Answer an ARP request for a peer address; 1 if the frame was one. */
static int answer_arp(const uint8_t *f, size_t n)
{
	static const struct vnet_vhdr none;
	uint8_t r[42];

	if (n < 42 || vnet_get16(f + 12) != 0x0806 || vnet_get16(f + 20) != 1)
		return 0;
	if (memcmp(f + 38, ip_peer, 4) && memcmp(f + 38, ip_peer2, 4))
		return 0;
	memcpy(r, f + 6, 6);
	memcpy(r + 6, peer_mac, 6);
	vnet_put16(r + 12, 0x0806);
	memcpy(r + 14, f + 14, 6); /* htype, ptype, hlen, plen */
	vnet_put16(r + 20, 2);
	memcpy(r + 22, peer_mac, 6);
	memcpy(r + 28, f + 38, 4);
	memcpy(r + 32, f + 22, 10); /* the asker's MAC and IP */
	if (tap_write(&none, r, sizeof(r)) == (ssize_t)(VNET_VHDR_LEN + 42))
		arp_answered++;
	return 1;
}

/* The next IPv4/TCP frame the kernel sends, ARP answered on the way and
 * everything else (IPv6 DAD, MLD, ...) skipped.  Returns the frame length
 * (the frame at rbuf + VNET_VHDR_LEN, its header in *h) or -1. */
static ssize_t tap_read_tcp(struct vnet_vhdr *h, int timeout_ms)
{
	long end = now_ms() + timeout_ms;
	struct pollfd pfd = {.fd = tapfd, .events = POLLIN};
	ssize_t r;

	for (;;) {
		long left = end - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		r = read(tapfd, rbuf, sizeof(rbuf));
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r < VNET_VHDR_LEN + 14)
			return -1;
		vnet_vhdr_decode(rbuf, h);
		r -= VNET_VHDR_LEN;
		if (answer_arp(rbuf + VNET_VHDR_LEN, (size_t)r))
			continue;
		if (r >= 54 &&
		    vnet_get16(rbuf + VNET_VHDR_LEN + 12) == VNET_ETH_P_IP &&
		    rbuf[VNET_VHDR_LEN + 14 + 9] == 6)
			return r;
	}
}

/* Every segment of what vnet_gso_segment() made is a valid frame. */
static int check_segs(int n, uint32_t *seq, size_t *bytes,
		      const uint8_t *expect)
{
	static uint8_t f[2048];
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		size_t fl = segs[i].hdr_len + segs[i].data_len;
		const uint8_t *th;

		if (!segs[i].hdr || fl > sizeof(f)) {
			if (segs[i].hdr)
				bad++;
			fl = segs[i].data_len;
			if (fl > sizeof(f))
				return -1;
			memcpy(f, segs[i].data, fl);
		} else {
			memcpy(f, segs[i].hdr, segs[i].hdr_len);
			memcpy(f + segs[i].hdr_len, segs[i].data,
			       segs[i].data_len);
		}
		th = f + 34;
		if (ref_csum2(f + 14, 20, NULL, 0) || ref_tcp4(f + 14))
			bad++;
		if (vnet_get32(th + 4) != *seq)
			bad++;
		fl -= 34 + (size_t)(th[12] >> 4) * 4;
		if (memcmp(th + (th[12] >> 4) * 4, expect + *bytes, fl))
			bad++;
		*seq += (uint32_t)fl;
		*bytes += fl;
	}
	return bad;
}

static int open_tap(void)
{
	struct ifreq ifr;
	unsigned int off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	int s, sz = VNET_VHDR_LEN, fd;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	T_EQ(ioctl(fd, TUNSETIFF, &ifr), 0);
	T_EQ(ioctl(fd, TUNSETVNETHDRSZ, &sz), 0);
	sz = 0;
	T_EQ(ioctl(fd, TUNGETVNETHDRSZ, &sz), 0);
	T_EQ(sz, VNET_VHDR_LEN);
	T_EQ(ioctl(fd, TUNSETOFFLOAD, off), 0);
	memset(&ifr, 0, sizeof(ifr));
	T_EQ(ioctl(fd, TUNGETIFF, &ifr), 0);
	T_ASSERT(ifr.ifr_flags & IFF_VNET_HDR);

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	T_ASSERT(s >= 0);
	if (s < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP);
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, ip_local, 4);
	T_EQ(ioctl(s, SIOCSIFADDR, &ifr), 0);
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	T_EQ(ioctl(s, SIOCSIFNETMASK, &ifr), 0);
	T_EQ(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	T_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	T_EQ(ioctl(s, SIOCGIFHWADDR, &ifr), 0);
	memcpy(tap_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	return fd;
}

static void test_offload_tap_open(void)
{
	tapfd = open_tap();
	T_ASSERT(tapfd >= 0);
}

/* The kernel resolves 198.18.99.3 (we answer), then hands out its SYN
 * with a partial checksum for us to complete. */
static void test_syn_needs_csum(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(PPORT)};
	struct vnet_vhdr h;
	uint8_t *f = rbuf + VNET_VHDR_LEN;
	ssize_t n;
	int s, r;

	if (tapfd < 0) {
		T_FAIL("no tap");
		return;
	}
	memcpy(&sa.sin_addr, ip_peer2, 4);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	T_ASSERT(s >= 0);
	r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	T_ASSERT(r < 0 && errno == EINPROGRESS);
	n = tap_read_tcp(&h, 3000);
	T_ASSERT(n > 0);
	T_ASSERT(arp_answered >= 1);
	if (n <= 0)
		goto out;
	T_MEMEQ(f + 30, ip_peer2, 4);
	T_EQ(vnet_get16(f + 36), PPORT);
	T_EQ(f[47], VNET_TCP_SYN);
	T_EQ(h.gso_type, VNET_GSO_NONE);
	T_EQ(h.flags & VNET_VHDR_F_NEEDS_CSUM, VNET_VHDR_F_NEEDS_CSUM);
	T_EQ(h.csum_start, 34);
	T_EQ(h.csum_offset, 16);
	/* Not yet a checksum: the pseudo-header sum. */
	T_ASSERT(ref_tcp4(f + 14) != 0);
	r = vnet_gso_segment(&h, f, (size_t)n, segs, VNET_SEG_MAX, scratch);
	T_EQ(r, 1);
	T_ASSERT(segs[0].data == f && segs[0].data_len == (size_t)n);
	T_EQ(ref_tcp4(f + 14), 0);
	T_EQ(ref_csum2(f + 14, 20, NULL, 0), 0);
out:
	close(s);
}

/* A handshake with the listener as 198.18.99.2, a coalesced super-frame
 * and a plain frame in, then 20 KB out as TSO super-frames. */
static void test_gro_in_tso_out(void)
{
	static const struct vnet_vhdr none;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(LPORT)};
	static uint8_t f[4096], got[32768];
	struct pollfd pfd;
	struct vnet_vhdr h;
	struct vnet_gro *g = NULL;
	const uint8_t *out;
	uint32_t isn, seq, kseq;
	size_t len, n_got, bytes, sent;
	int ls = -1, cs = -1, one = 1, i, r, gso_frames = 0, max_segs = 0;
	long end;
	ssize_t n;

	if (tapfd < 0) {
		T_FAIL("no tap");
		return;
	}
	memcpy(&sa.sin_addr, ip_local, 4);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	T_ASSERT(ls >= 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	T_EQ(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	T_EQ(listen(ls, 4), 0);
	g = vnet_gro_new();
	T_ASSERT(g != NULL);
	if (t_cur_failed)
		goto out;

	/* SYN, SYN-ACK (the kernel ARPs for us first), ACK. */
	seq = 100000;
	len = build_tcp(f, ip_peer, seq, 0, VNET_TCP_SYN, NULL, 0);
	T_EQ(tap_write(&none, f, len), (ssize_t)(VNET_VHDR_LEN + len));
	n = tap_read_tcp(&h, 3000);
	T_ASSERT(n > 0);
	if (n <= 0)
		goto out;
	T_EQ(rbuf[VNET_VHDR_LEN + 47], VNET_TCP_SYN | VNET_TCP_ACK);
	T_EQ(vnet_get32(rbuf + VNET_VHDR_LEN + 42), seq + 1);
	isn = vnet_get32(rbuf + VNET_VHDR_LEN + 38);
	seq++;
	len = build_tcp(f, ip_peer, seq, isn + 1, VNET_TCP_ACK, NULL, 0);
	T_EQ(tap_write(&none, f, len), (ssize_t)(VNET_VHDR_LEN + len));
	pfd.fd = ls;
	pfd.events = POLLIN;
	T_EQ(poll(&pfd, 1, 3000), 1);
	cs = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	T_ASSERT(cs >= 0);
	if (cs < 0)
		goto out;

	/* Three segments coalesced into one GSO frame. */
	for (i = 0; i < 3; i++) {
		len = build_tcp(f, ip_peer, seq + (uint32_t)i * 1000, isn + 1,
				VNET_TCP_ACK | (i == 2 ? VNET_TCP_PSH : 0),
				pat + i * 1000, 1000);
		T_EQ(vnet_gro_add(g, f, len), 1);
	}
	T_EQ(vnet_gro_take(g, &h, &out, &len), 3);
	T_EQ(h.gso_type, VNET_GSO_TCPV4);
	T_EQ(tap_write(&h, out, len), (ssize_t)(VNET_VHDR_LEN + len));
	seq += 3000;
	/* And one plain frame after it. */
	len = build_tcp(f, ip_peer, seq, isn + 1, VNET_TCP_ACK | VNET_TCP_PSH,
			pat + 3000, 500);
	T_EQ(tap_write(&none, f, len), (ssize_t)(VNET_VHDR_LEN + len));
	seq += 500;

	n_got = 0;
	end = now_ms() + 3000;
	while (n_got < 3500 && now_ms() < end) {
		pfd.fd = cs;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) != 1)
			continue;
		n = recv(cs, got + n_got, sizeof(got) - n_got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		n_got += (size_t)n;
	}
	T_EQ(n_got, 3500);
	T_MEMEQ(got, pat, n_got < 3500 ? n_got : 3500);

	/* 20 KB back: TSO super-frames, acknowledged as they come (the send
	 * buffer may not take it all at once). */
	kseq = isn + 1;
	bytes = sent = 0;
	end = now_ms() + 5000;
	while (bytes < 20000 && now_ms() < end) {
		if (sent < 20000) {
			n = send(cs, pat + sent, 20000 - sent, MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		n = tap_read_tcp(&h, 200);
		if (n <= 0)
			continue;
		memcpy(f, rbuf + VNET_VHDR_LEN, 54);
		if (vnet_get16(f + 34) != LPORT ||
		    vnet_get16(f + 16) - 20u == (size_t)(f[46] >> 4) * 4)
			continue; /* a pure ACK */
		if (h.gso_type != VNET_GSO_NONE) {
			gso_frames++;
			T_EQ(h.gso_type & ~VNET_GSO_ECN, VNET_GSO_TCPV4);
			T_EQ(h.flags & VNET_VHDR_F_NEEDS_CSUM,
			     VNET_VHDR_F_NEEDS_CSUM);
			T_ASSERT(h.gso_size > 0 && h.gso_size <= 1460);
		}
		r = vnet_gso_segment(&h, rbuf + VNET_VHDR_LEN, (size_t)n, segs,
				     VNET_SEG_MAX, scratch);
		T_ASSERT(r >= 1);
		if (r < 1)
			break;
		if (r > max_segs)
			max_segs = r;
		T_EQ(check_segs(r, &kseq, &bytes, pat), 0);
		len = build_tcp(f, ip_peer, seq, kseq, VNET_TCP_ACK, NULL, 0);
		T_EQ(tap_write(&none, f, len), (ssize_t)(VNET_VHDR_LEN + len));
		if (t_cur_failed)
			break;
	}
	T_EQ(bytes, 20000);
	T_ASSERT(gso_frames >= 1);
	T_ASSERT(max_segs > 1);
	printf("# %d GSO frame(s), up to %d segments\n", gso_frames, max_segs);
out:
	vnet_gro_free(g);
	if (cs >= 0)
		close(cs);
	if (ls >= 0)
		close(ls);
}

static int skip(const char *why)
{
	return t_skip_all("offload_tap", why);
}

int main(void)
{
	static char why[128];
	size_t i;

	if (geteuid() != 0)
		return skip("not root");
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return skip(why);
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		snprintf(why, sizeof(why), "/dev/net/tun: %s", strerror(errno));
		return skip(why);
	}
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 131 + (i >> 8));
	T_RUN(test_offload_tap_open);
	T_RUN(test_syn_needs_csum);
	T_RUN(test_gro_in_tso_out);
	if (tapfd >= 0)
		close(tapfd);
	return T_DONE();
}
