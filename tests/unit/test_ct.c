/* SPDX-License-Identifier: ISC */
/* test_ct.c -- unit tests of connection tracking (cmd/vnet-acl/ct.c). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "harness.h"
#include "taddr.h"
#include "vnet-acl/ct.h"
#include "vnet/bytes.h"
#include "vnet/pkt.h"

#define SEC 1000000000ULL

/* Short names for the flags that the tests below spell out. */
#define FIN VNET_TCP_FIN
#define SYN VNET_TCP_SYN
#define RST VNET_TCP_RST
#define PSH VNET_TCP_PSH
#define ACK VNET_TCP_ACK

/* A frame and its parse. */
struct fr {
	uint8_t b[512];
	size_t len;
	struct vnet_pkt p;
};

/* Ethernet (+ an 802.1Q tag when vlan) and an IP header for l4len bytes
 * of protocol proto; returns the offset of the L4 header.  frag: IPv4
 * fragment offset field (flags | offset/8), or for IPv6 a fragment
 * header is added with it when nonzero. */
static size_t ip_hdr(struct fr *f, uint16_t vlan, const char *src,
		     const char *dst, uint8_t proto, size_t l4len,
		     uint16_t frag)
{
	struct vnet_addr s = ip(src), d = ip(dst);
	size_t off = 12;
	uint8_t *b = f->b;

	memset(f, 0, sizeof(*f));
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (vlan) {
		vnet_put16(b + off, 0x8100);
		vnet_put16(b + off + 2, vlan);
		off += 4;
	}
	if (s.family == AF_INET) {
		vnet_put16(b + off, 0x0800);
		off += 2;
		b[off] = 0x45;
		vnet_put16(b + off + 2, (unsigned)(20 + l4len));
		vnet_put16(b + off + 6, frag);
		b[off + 8] = 64;
		b[off + 9] = proto;
		memcpy(b + off + 12, s.b, 4);
		memcpy(b + off + 16, d.b, 4);
		off += 20;
	} else {
		vnet_put16(b + off, 0x86dd);
		off += 2;
		b[off] = 0x60;
		vnet_put16(b + off + 4, (unsigned)(l4len + (frag ? 8 : 0)));
		b[off + 6] = frag ? 44 : proto;
		b[off + 7] = 64;
		memcpy(b + off + 8, s.b, 16);
		memcpy(b + off + 24, d.b, 16);
		off += 40;
		if (frag) {
			b[off] = proto;
			vnet_put16(b + off + 2, frag);
			off += 8;
		}
	}
	f->len = off + l4len;
	return off;
}

static void parse(struct fr *f)
{
	if (vnet_pkt_parse(f->b, f->len, &f->p))
		T_FAIL("frame does not parse");
}

static struct fr *tcp_v(struct fr *f, uint16_t vlan, const char *src,
			unsigned sport, const char *dst, unsigned dport,
			uint8_t flags)
{
	size_t o = ip_hdr(f, vlan, src, dst, 6, 20, 0);

	vnet_put16(f->b + o, sport);
	vnet_put16(f->b + o + 2, dport);
	f->b[o + 12] = 0x50;
	f->b[o + 13] = flags;
	parse(f);
	return f;
}

static struct fr *tcp(struct fr *f, const char *src, unsigned sport,
		      const char *dst, unsigned dport, uint8_t flags)
{
	return tcp_v(f, 0, src, sport, dst, dport, flags);
}

static struct fr *udp(struct fr *f, const char *src, unsigned sport,
		      const char *dst, unsigned dport)
{
	size_t o = ip_hdr(f, 0, src, dst, 17, 12, 0);

	vnet_put16(f->b + o, sport);
	vnet_put16(f->b + o + 2, dport);
	vnet_put16(f->b + o + 4, 12);
	parse(f);
	return f;
}

/* SCTP: the common header (12 bytes) and a 4-byte chunk header. */
static struct fr *sctp(struct fr *f, const char *src, unsigned sport,
		       const char *dst, unsigned dport)
{
	size_t o = ip_hdr(f, 0, src, dst, 132, 16, 0);

	vnet_put16(f->b + o, sport);
	vnet_put16(f->b + o + 2, dport);
	parse(f);
	return f;
}

/* ICMP (v4 or v6 by the address family) with the 4-byte rest of header
 * carrying id in its first half, and the payload q (quoted packet). */
static struct fr *icmp_q(struct fr *f, const char *src, const char *dst,
			 uint8_t type, uint8_t code, unsigned id,
			 const uint8_t *q, size_t qlen)
{
	int v6 = ip(src).family == AF_INET6;
	size_t o = ip_hdr(f, 0, src, dst, v6 ? 58 : 1, 8 + qlen, 0);

	f->b[o] = type;
	f->b[o + 1] = code;
	vnet_put16(f->b + o + 4, id);
	if (qlen)
		memcpy(f->b + o + 8, q, qlen);
	parse(f);
	return f;
}

static struct fr *icmp(struct fr *f, const char *src, const char *dst,
		       uint8_t type, unsigned id)
{
	return icmp_q(f, src, dst, type, 0, id, NULL, 0);
}

/* An ICMP error from src to dst quoting frame q's IP header and the
 * first 8 bytes after it (qmore more bytes, may be negative to cut). */
static struct fr *icmp_err(struct fr *f, const char *src, const char *dst,
			   uint8_t type, const struct fr *q, int cut)
{
	size_t l3 = q->p.l3_off, n = q->p.l4_off - l3 + 8;

	if (cut)
		n -= (size_t)cut;
	return icmp_q(f, src, dst, type, 0, 0, q->b + l3, n);
}

static struct fr *proto(struct fr *f, const char *src, const char *dst,
			uint8_t pr, uint16_t frag)
{
	ip_hdr(f, 0, src, dst, pr, 16, frag);
	parse(f);
	return f;
}

static struct vnet_ct *ct_new(uint32_t max, uint32_t reserve, uint32_t quota)
{
	struct vnet_ct_config c;
	struct vnet_ct *ct;

	vnet_ct_config_default(&c);
	c.max = max;
	c.reserve = reserve;
	c.quota = quota;
	ct = vnet_ct_new(&c);
	if (!ct)
		T_FAIL("vnet_ct_new: %s", strerror(errno));
	return ct;
}

/* Check the table's structure, then free it. */
static void ct_done(struct vnet_ct *ct)
{
	T_EQ(vnet_ct_check(ct), 0);
	vnet_ct_free(ct);
}

static enum vnet_ct_res look(struct vnet_ct *ct, struct fr *f, uint64_t now)
{
	struct vnet_ct_entry *e;

	return vnet_ct_lookup(ct, &f->p, 0, now, &e);
}

static struct vnet_ct_entry *make(struct vnet_ct *ct, struct fr *f,
				  uint16_t seg, int reserve, uint64_t now)
{
	struct vnet_ct_entry *e = NULL;
	int r = vnet_ct_create(ct, &f->p, seg, 0, reserve, now, &e);

	if (r)
		T_FAIL("vnet_ct_create: %d", r);
	return e;
}

static void test_config(void)
{
	struct vnet_ct_config c;

	vnet_ct_config_default(&c);
	T_EQ(c.max, 65536);
	T_EQ(c.reserve, 4096);
	T_EQ(c.quota, (65536 - 4096) / 2);
	T_ASSERT(c.seg_quota == NULL);
	T_EQ(c.timeout[VNET_CT_T_TCP_SYN], 30 * SEC);
	T_EQ(c.timeout[VNET_CT_T_TCP_EST], 7200 * SEC);
	T_EQ(c.timeout[VNET_CT_T_TCP_FIN], 120 * SEC);
	T_EQ(c.timeout[VNET_CT_T_TCP_CLOSE], 10 * SEC);
	T_EQ(c.timeout[VNET_CT_T_UDP], 30 * SEC);
	T_EQ(c.timeout[VNET_CT_T_UDP_STREAM], 180 * SEC);
	T_EQ(c.timeout[VNET_CT_T_ICMP], 30 * SEC);
	T_EQ(c.timeout[VNET_CT_T_OTHER], 60 * SEC);
	vnet_ct_config_set_max(&c, 1600);
	T_EQ(c.reserve, 100);
	T_EQ(c.quota, 750);

	for (int i = 0; i < VNET_CT_T_MAX; i++)
		T_EQ(vnet_ct_timeout_parse(vnet_ct_timeout_name(i)), i);
	T_EQ(vnet_ct_timeout_parse("udp-stream"), VNET_CT_T_UDP_STREAM);
	T_EQ(vnet_ct_timeout_parse("tcp"), -1);
	T_EQ(vnet_ct_timeout_parse(""), -1);
	T_ASSERT(vnet_ct_timeout_name(VNET_CT_T_MAX) == NULL);
	T_ASSERT(vnet_ct_timeout_name(-1) == NULL);
	T_STREQ(vnet_ct_state_name(VNET_CT_TIME_WAIT), "TIME_WAIT");
	T_STREQ(vnet_ct_state_name(VNET_CT_UDP_REPLIED), "UDP_REPLIED");
	T_STREQ(vnet_ct_state_name(VNET_CT_OTHER), "OTHER");
	T_STREQ(vnet_ct_state_name(99), "?");

	vnet_ct_config_default(&c);
	c.max = 0;
	errno = 0;
	T_ASSERT(vnet_ct_new(&c) == NULL && errno == EINVAL);
	c.max = 10;
	c.reserve = 11;
	T_ASSERT(vnet_ct_new(&c) == NULL && errno == EINVAL);
	c.reserve = 1;
	c.quota = 0;
	T_ASSERT(vnet_ct_new(&c) == NULL && errno == EINVAL);
	c.quota = 5;
	c.timeout[VNET_CT_T_ICMP] = 0;
	T_ASSERT(vnet_ct_new(&c) == NULL && errno == EINVAL);
	vnet_ct_free(NULL);
	vnet_ct_free(vnet_ct_new(NULL));
}

/* The handshake and an orderly close by the originator. */
static void test_tcp_handshake(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e, *x;
	struct fr f;
	const char *a = "198.18.0.1", *b = "198.18.0.2";

	T_EQ(vnet_ct_lookup(ct, &tcp(&f, a, 40000, b, 80, SYN)->p, 0, 1, &e),
	     VNET_CT_MISS);
	T_ASSERT(e == NULL);
	e = make(ct, &f, 0, 0, 1);
	T_ASSERT(e != NULL);
	T_EQ(e->state, VNET_CT_SYN_SENT);
	T_EQ(e->proto, 6);
	T_EQ(e->sport, 40000);
	T_EQ(e->dport, 80);
	T_ASSERT(vnet_addr_eq(&e->saddr, &(struct vnet_addr){0}) == 0);
	T_EQ(e->packets[0], 1);
	T_EQ(e->bytes[0], f.len);
	T_EQ(e->created, 1);
	T_EQ(vnet_ct_stats(ct)->entries, 1);
	T_EQ(vnet_ct_stats(ct)->created, 1);
	/* Creating it again: -EEXIST with the entry. */
	T_EQ(vnet_ct_create(ct, &f.p, 0, 0, 0, 1, &x), -EEXIST);
	T_ASSERT(x == e);

	/* A retransmitted SYN. */
	T_EQ(vnet_ct_lookup(ct, &f.p, 0, 2, &x), VNET_CT_ORIG);
	T_ASSERT(x == e);
	T_EQ(e->state, VNET_CT_SYN_SENT);
	T_EQ(vnet_ct_lookup(ct, &tcp(&f, b, 80, a, 40000, SYN | ACK)->p, 0, 3,
			    &x),
	     VNET_CT_REPLY);
	T_ASSERT(x == e);
	T_EQ(e->state, VNET_CT_SYN_RECV);
	T_EQ(look(ct, tcp(&f, a, 40000, b, 80, ACK), 4), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_ESTABLISHED);
	T_EQ(look(ct, tcp(&f, b, 80, a, 40000, ACK | PSH), 5), VNET_CT_REPLY);
	T_EQ(look(ct, tcp(&f, a, 40000, b, 80, ACK | PSH), 6), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_ESTABLISHED);
	T_EQ(look(ct, tcp(&f, a, 40000, b, 80, ACK | FIN), 7), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_FIN_WAIT);
	/* Data still flows from the responder. */
	T_EQ(look(ct, tcp(&f, b, 80, a, 40000, ACK), 8), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_FIN_WAIT);
	T_EQ(look(ct, tcp(&f, b, 80, a, 40000, ACK | FIN), 9), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_TIME_WAIT);
	T_EQ(look(ct, tcp(&f, a, 40000, b, 80, ACK), 10), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_TIME_WAIT);
	T_EQ(e->packets[0], 6);
	T_EQ(e->packets[1], 4);
	T_EQ(e->bytes[1], 4 * f.len);
	T_EQ(e->last_seen, 10);
	T_EQ(e->created, 1);
	T_EQ(vnet_ct_stats(ct)->invalid, 0);

	/* A SYN reopens TIME_WAIT. */
	T_EQ(look(ct, tcp(&f, a, 40000, b, 80, SYN), 11), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_SYN_SENT);
	T_EQ(vnet_ct_stats(ct)->entries, 1);
	ct_done(ct);
}

/* The responder closes first; IPv6. */
static void test_tcp_close_wait(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e;
	struct fr f;
	const char *a = "2001:db8::1", *b = "2001:db8::2";

	T_EQ(look(ct, tcp(&f, a, 1234, b, 22, SYN), 1), VNET_CT_MISS);
	e = make(ct, &f, 0, 0, 1);
	T_EQ(look(ct, tcp(&f, b, 22, a, 1234, SYN | ACK), 2), VNET_CT_REPLY);
	T_EQ(look(ct, tcp(&f, a, 1234, b, 22, ACK), 3), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_ESTABLISHED);
	T_EQ(look(ct, tcp(&f, b, 22, a, 1234, ACK | FIN), 4), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_CLOSE_WAIT);
	/* Another FIN from the same side changes nothing. */
	T_EQ(look(ct, tcp(&f, b, 22, a, 1234, ACK | FIN), 5), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_CLOSE_WAIT);
	T_EQ(look(ct, tcp(&f, a, 1234, b, 22, ACK | FIN), 6), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_TIME_WAIT);
	/* A SYN from the responder is no reopen. */
	T_EQ(look(ct, tcp(&f, b, 22, a, 1234, SYN), 7), VNET_CT_INVALID);
	T_EQ(e->state, VNET_CT_TIME_WAIT);
	ct_done(ct);
}

static void test_tcp_rst(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e;
	struct fr f;
	const char *a = "198.18.0.1", *b = "198.18.0.2";

	/* Refused: RST+ACK answers the SYN. */
	e = make(ct, tcp(&f, a, 5000, b, 81, SYN), 0, 0, 1);
	T_EQ(look(ct, tcp(&f, b, 81, a, 5000, RST | ACK), 2), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_CLOSED);
	T_EQ(look(ct, tcp(&f, a, 5000, b, 81, ACK), 3), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 81, a, 5000, RST), 3), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 81, a, 5000, SYN), 3), VNET_CT_INVALID);
	T_EQ(e->state, VNET_CT_CLOSED);
	T_EQ(e->last_seen, 2);
	/* Reopened by the originator's SYN. */
	T_EQ(look(ct, tcp(&f, a, 5000, b, 81, SYN), 4), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_SYN_SENT);

	/* RST from the originator of an established connection. */
	e = make(ct, tcp(&f, a, 5001, b, 80, SYN), 0, 0, 1);
	look(ct, tcp(&f, b, 80, a, 5001, SYN | ACK), 2);
	look(ct, tcp(&f, a, 5001, b, 80, ACK), 3);
	T_EQ(e->state, VNET_CT_ESTABLISHED);
	T_EQ(look(ct, tcp(&f, a, 5001, b, 80, RST), 4), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_CLOSED);
	T_EQ(vnet_ct_stats(ct)->invalid, 3);
	ct_done(ct);
}

static void test_tcp_invalid(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e;
	struct fr f;
	const char *a = "198.18.0.1", *b = "198.18.0.2";
	uint64_t pk;

	/* Without an entry only a bare SYN is MISS. */
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, ACK), 1), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN | ACK), 1), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, RST), 1), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, FIN), 1), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN | FIN), 1), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, 0), 1), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN | PSH), 1), VNET_CT_MISS);
	T_EQ(vnet_ct_stats(ct)->invalid, 6);
	/* ... and only it can be created. */
	T_EQ(vnet_ct_create(ct, &tcp(&f, a, 1, b, 2, ACK)->p, 0, 0, 0, 1, &e),
	     -EINVAL);
	T_EQ(vnet_ct_create(ct, &tcp(&f, a, 1, b, 2, SYN | ACK)->p, 0, 0, 0, 1,
			    &e),
	     -EINVAL);
	T_EQ(vnet_ct_stats(ct)->entries, 0);

	e = make(ct, tcp(&f, a, 1, b, 2, SYN), 0, 0, 1);
	/* SYN_SENT: SYN+ACK from the originator, SYN from the responder,
	 * data before the handshake. */
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN | ACK), 2), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, SYN), 2), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, ACK), 2), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, ACK), 2), VNET_CT_INVALID);
	T_EQ(e->state, VNET_CT_SYN_SENT);
	T_EQ(e->packets[0], 1);
	T_EQ(e->packets[1], 0);
	T_EQ(e->last_seen, 1);
	/* SYN_RECV: SYN+ACK from the originator, SYN from the responder. */
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, SYN | ACK), 3), VNET_CT_REPLY);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN | ACK), 3), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, SYN), 3), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, SYN | ACK), 3), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_SYN_RECV);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, ACK), 4), VNET_CT_ORIG);
	/* ESTABLISHED: a new SYN either way; a SYN+ACK from the
	 * originator.  A retransmitted SYN+ACK is accepted. */
	pk = e->packets[0];
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN), 5), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, SYN), 5), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN | ACK), 5), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, 0), 5), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, FIN), 5), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, SYN | ACK), 5), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_ESTABLISHED);
	T_EQ(e->packets[0], pk);
	/* FIN_WAIT: no SYN. */
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, FIN | ACK), 6), VNET_CT_ORIG);
	T_EQ(look(ct, tcp(&f, b, 2, a, 1, SYN | ACK), 6), VNET_CT_INVALID);
	T_EQ(look(ct, tcp(&f, a, 1, b, 2, SYN), 6), VNET_CT_INVALID);
	T_EQ(e->state, VNET_CT_FIN_WAIT);
	T_EQ(vnet_ct_stats(ct)->invalid, 6 + 4 + 2 + 5 + 2);
	ct_done(ct);
}

static void test_udp(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e, *x;
	struct fr f;
	const char *a = "198.18.1.1", *b = "198.18.1.2";

	T_EQ(look(ct, udp(&f, a, 5353, b, 53), 1), VNET_CT_MISS);
	e = make(ct, &f, 0, 0, 1);
	T_EQ(e->state, VNET_CT_UDP_NEW);
	T_EQ(vnet_ct_lookup(ct, &f.p, 0, 2, &x), VNET_CT_ORIG);
	T_ASSERT(x == e);
	T_EQ(e->state, VNET_CT_UDP_NEW);
	/* Another port is another connection. */
	T_EQ(look(ct, udp(&f, b, 53, a, 5354), 3), VNET_CT_MISS);
	T_EQ(look(ct, udp(&f, b, 53, a, 5353), 3), VNET_CT_REPLY);
	T_EQ(e->state, VNET_CT_UDP_REPLIED);
	T_EQ(look(ct, udp(&f, a, 5353, b, 53), 4), VNET_CT_ORIG);
	T_EQ(e->state, VNET_CT_UDP_REPLIED);
	T_EQ(e->packets[0], 3);
	T_EQ(e->packets[1], 1);
	/* Another segment is another connection. */
	T_EQ(vnet_ct_lookup(ct, &f.p, 5, 4, &x), VNET_CT_MISS);
	T_ASSERT(x == NULL);
	x = make(ct, &f, 5, 0, 4);
	T_ASSERT(x != e && x->segment == 5);
	T_EQ(vnet_ct_segment_count(ct, 0), 1);
	T_EQ(vnet_ct_segment_count(ct, 5), 1);
	T_EQ(vnet_ct_segment_count(ct, 4095), 0);
	T_EQ(vnet_ct_segment_count(ct, 4096), 0);
	/* The same tuple in another orientation is the same connection. */
	T_EQ(vnet_ct_create(ct, &udp(&f, b, 53, a, 5353)->p, 0, 0, 0, 5, &x),
	     -EEXIST);
	T_ASSERT(x == e);
	T_EQ(vnet_ct_create(ct, &f.p, 4096, 0, 0, 5, &x), -EINVAL);
	ct_done(ct);
}

static char *dump(struct vnet_ct *ct, uint64_t now);

/* SCTP is tracked as UDP is: by its ports, new until a reply; an ICMP
 * error quoting it is related; the dump names it. */
static void test_sctp(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e, *x;
	struct fr f, q, err;
	const char *a = "198.18.1.1", *b = "198.18.1.2";

	T_EQ(look(ct, sctp(&f, a, 40000, b, 3868), 1), VNET_CT_MISS);
	q = f;
	e = make(ct, &f, 0, 0, 1);
	T_EQ(e->state, VNET_CT_UDP_NEW);
	T_EQ(e->sport, 40000);
	T_EQ(e->dport, 3868);
	T_EQ(e->noports, 0);
	T_EQ(look(ct, sctp(&f, b, 3868, a, 40001), 2), VNET_CT_MISS);
	T_EQ(vnet_ct_lookup(ct, &sctp(&f, b, 3868, a, 40000)->p, 0, 2, &x),
	     VNET_CT_REPLY);
	T_ASSERT(x == e);
	T_EQ(e->state, VNET_CT_UDP_REPLIED);
	T_EQ(look(ct, icmp_err(&err, b, a, 3, &q, 0), 3), VNET_CT_RELATED);
	/* UDP with the same ports is another connection. */
	T_EQ(look(ct, udp(&f, a, 40000, b, 3868), 3), VNET_CT_MISS);
	T_STREQ(dump(ct, 0), "0\tsctp\t198.18.1.1\t40000\t198.18.1.2\t3868"
			     "\tUDP_REPLIED\tegress\t0\t0\t0\t1\t50\t1\t50\n");
	ct_done(ct);
}

static void test_icmp_echo(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e, *x;
	struct fr f;
	const char *a = "198.18.1.1", *b = "198.18.1.2";
	const char *a6 = "2001:db8::a", *b6 = "2001:db8::b";

	T_EQ(look(ct, icmp(&f, a, b, 8, 77), 1), VNET_CT_MISS);
	e = make(ct, &f, 0, 0, 1);
	T_EQ(e->state, VNET_CT_ICMP);
	T_EQ(e->sport, 77);
	T_EQ(e->dport, 77);
	T_EQ(e->icmp_type, 8);
	T_EQ(e->noports, 0);
	T_EQ(look(ct, icmp(&f, b, a, 0, 77), 2), VNET_CT_REPLY);
	T_EQ(look(ct, icmp(&f, a, b, 8, 77), 3), VNET_CT_ORIG);
	/* Another id; a reply the wrong way; a request the other way. */
	T_EQ(look(ct, icmp(&f, b, a, 0, 78), 3), VNET_CT_MISS);
	T_EQ(look(ct, icmp(&f, a, b, 0, 77), 3), VNET_CT_MISS);
	T_EQ(look(ct, icmp(&f, b, a, 8, 77), 3), VNET_CT_MISS);
	x = make(ct, &f, 0, 0, 3);
	T_ASSERT(x != e);
	T_EQ(look(ct, icmp(&f, a, b, 0, 77), 4), VNET_CT_REPLY);
	T_EQ(x->packets[1], 1);
	T_EQ(e->packets[0], 2);
	T_EQ(e->packets[1], 1);
	/* An echo reply and an error are not tracked. */
	T_EQ(vnet_ct_create(ct, &icmp(&f, b, a, 0, 99)->p, 0, 0, 0, 4, &x),
	     -EINVAL);
	T_EQ(vnet_ct_create(ct, &icmp(&f, b, a, 3, 0)->p, 0, 0, 0, 4, &x),
	     -EINVAL);

	/* ICMPv6 echo. */
	T_EQ(look(ct, icmp(&f, a6, b6, 128, 1), 5), VNET_CT_MISS);
	e = make(ct, &f, 0, 0, 5);
	T_EQ(e->proto, 58);
	T_EQ(look(ct, icmp(&f, b6, a6, 129, 1), 6), VNET_CT_REPLY);
	T_EQ(look(ct, icmp(&f, b6, a6, 129, 2), 6), VNET_CT_MISS);

	/* Other informational ICMP: a timestamp request and its reply. */
	T_EQ(look(ct, icmp(&f, a, b, 13, 5), 7), VNET_CT_MISS);
	e = make(ct, &f, 0, 0, 7);
	T_EQ(e->state, VNET_CT_ICMP);
	T_EQ(e->sport, 0);
	T_EQ(e->icmp_type, 13);
	T_EQ(look(ct, icmp(&f, b, a, 14, 5), 8), VNET_CT_REPLY);
	T_EQ(vnet_ct_stats(ct)->entries, 4);
	ct_done(ct);
}

static void test_related(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e, *t, *u, *p, *x;
	struct fr f, q;
	const char *a = "198.18.1.1", *b = "198.18.1.2", *r = "198.18.9.9";
	const char *a6 = "2001:db8::a", *b6 = "2001:db8::b",
		   *r6 = "2001:db8::1";
	uint64_t pk;

	t = make(ct, tcp(&q, a, 40000, b, 80, SYN), 0, 0, 1);
	/* Port unreachable from the responder, quoting the SYN. */
	icmp_err(&f, b, a, 3, &q, 0);
	pk = t->packets[1];
	T_EQ(vnet_ct_lookup(ct, &f.p, 0, 2, &x), VNET_CT_RELATED);
	T_ASSERT(x == t);
	T_EQ(t->packets[1], pk);
	T_EQ(t->state, VNET_CT_SYN_SENT);
	/* Time exceeded from a router, quoting a reply-direction packet. */
	tcp(&q, b, 80, a, 40000, SYN | ACK);
	T_EQ(look(ct, icmp_err(&f, r, b, 11, &q, 0), 2), VNET_CT_RELATED);
	/* In another segment it is unknown. */
	T_EQ(vnet_ct_lookup(ct, &f.p, 1, 2, &x), VNET_CT_MISS);
	/* A forged error quoting an unknown flow. */
	tcp(&q, a, 40001, b, 80, SYN);
	T_EQ(look(ct, icmp_err(&f, b, a, 3, &q, 0), 2), VNET_CT_MISS);
	/* A quote cut short (7 bytes of TCP), or no quote at all. */
	tcp(&q, a, 40000, b, 80, SYN);
	T_EQ(look(ct, icmp_err(&f, b, a, 3, &q, 1), 2), VNET_CT_MISS);
	T_EQ(look(ct, icmp_err(&f, b, a, 3, &q, 8 + 19), 2), VNET_CT_MISS);
	T_EQ(look(ct, icmp(&f, b, a, 3, 0), 2), VNET_CT_MISS);
	/* A parameter problem quoting it: type 12. */
	T_EQ(look(ct, icmp_err(&f, b, a, 12, &q, 0), 2), VNET_CT_RELATED);
	/* Not an error type: informational types are their own thing. */
	T_EQ(look(ct, icmp_err(&f, b, a, 13, &q, 0), 2), VNET_CT_MISS);

	/* UDP and echo quoted. */
	u = make(ct, udp(&q, a, 1000, b, 53), 0, 0, 1);
	T_EQ(vnet_ct_lookup(ct, &icmp_err(&f, r, a, 4, &q, 0)->p, 0, 2, &x),
	     VNET_CT_RELATED);
	T_ASSERT(x == u);
	p = make(ct, icmp(&q, a, b, 8, 9), 0, 0, 1);
	T_EQ(vnet_ct_lookup(ct, &icmp_err(&f, r, a, 11, &q, 0)->p, 0, 2, &x),
	     VNET_CT_RELATED);
	T_ASSERT(x == p);
	/* The echo reply quoted by an error back to b. */
	icmp(&q, b, a, 0, 9);
	T_EQ(vnet_ct_lookup(ct, &icmp_err(&f, r, b, 3, &q, 0)->p, 0, 2, &x),
	     VNET_CT_RELATED);
	T_ASSERT(x == p);
	/* An error quoting an error is not related. */
	icmp_err(&q, b, a, 3, &f, 0);
	T_EQ(look(ct, icmp_err(&f, a, b, 3, &q, 0), 2), VNET_CT_MISS);

	/* IPv6: packet too big (2), unreachable (1), time exceeded (3),
	 * parameter problem (4) quoting a TCP connection. */
	e = make(ct, tcp(&q, a6, 443, b6, 8443, SYN), 0, 0, 1);
	for (int ty = 1; ty <= 4; ty++) {
		T_EQ(vnet_ct_lookup(
			 ct, &icmp_err(&f, r6, a6, (uint8_t)ty, &q, 0)->p, 0, 2,
			 &x),
		     VNET_CT_RELATED);
		T_ASSERT(x == e);
	}
	T_EQ(look(ct, icmp_err(&f, r6, a6, 2, &q, 1), 2), VNET_CT_MISS);
	tcp(&q, a6, 444, b6, 8443, SYN);
	T_EQ(look(ct, icmp_err(&f, r6, a6, 2, &q, 0), 2), VNET_CT_MISS);
	/* ICMPv6 type 128 quoting a packet is an echo request, not an
	 * error. */
	T_EQ(look(ct, icmp_err(&f, r6, a6, 129, &q, 0), 2), VNET_CT_MISS);
	/* A v4 error with a v6 quote. */
	T_EQ(look(ct, icmp_err(&f, r, a, 3, &q, 0), 2), VNET_CT_MISS);

	T_EQ(vnet_ct_stats(ct)->related, 3 + 3 + 4);
	/* An expired connection is no longer related. */
	tcp(&q, a, 40000, b, 80, SYN);
	T_EQ(look(ct, icmp_err(&f, b, a, 3, &q, 0), 1 + 30 * SEC + 1),
	     VNET_CT_MISS);
	ct_done(ct);
}

/* Quotes with IPv4 options, IPv6 extension headers, and lies. */
static void test_related_quotes(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *x;
	struct fr f, q;
	uint8_t b[128];
	size_t n;

	/* IPv4 with 4 bytes of options (IHL 6). */
	make(ct, tcp(&q, "198.18.0.1", 1000, "198.18.0.2", 80, SYN), 0, 0, 1);
	memcpy(b, q.b + 14, 20);
	b[0] = 0x46;
	memset(b + 20, 1, 4); /* NOPs */
	memcpy(b + 24, q.b + 34, 8);
	icmp_q(&f, "198.18.0.9", "198.18.0.1", 11, 0, 0, b, 32);
	T_EQ(vnet_ct_lookup(ct, &f.p, 0, 2, &x), VNET_CT_RELATED);
	/* IHL beyond the quote, or below 5, or version 6 in a v4 error. */
	b[0] = 0x4f;
	T_EQ(look(ct, icmp_q(&f, "198.18.0.9", "198.18.0.1", 11, 0, 0, b, 32),
		  2),
	     VNET_CT_MISS);
	b[0] = 0x44;
	T_EQ(look(ct, icmp_q(&f, "198.18.0.9", "198.18.0.1", 11, 0, 0, b, 32),
		  2),
	     VNET_CT_MISS);
	b[0] = 0x66;
	T_EQ(look(ct, icmp_q(&f, "198.18.0.9", "198.18.0.1", 11, 0, 0, b, 32),
		  2),
	     VNET_CT_MISS);
	/* A quoted later fragment names (addresses, protocol) only. */
	memcpy(b, q.b + 14, 20);
	vnet_put16(b + 6, 0x0004);
	T_EQ(look(ct, icmp_q(&f, "198.18.0.9", "198.18.0.1", 11, 0, 0, b, 28),
		  2),
	     VNET_CT_MISS);
	make(ct, proto(&f, "198.18.0.1", "198.18.0.2", 6, 0x0004), 0, 0, 2);
	T_EQ(look(ct, icmp_q(&f, "198.18.0.9", "198.18.0.1", 11, 0, 0, b, 28),
		  2),
	     VNET_CT_RELATED);

	/* IPv6: destination options (8 bytes) and an atomic fragment
	 * header before UDP. */
	make(ct, udp(&q, "2001:db8::1", 5000, "2001:db8::2", 53), 0, 0, 1);
	memcpy(b, q.b + 14, 40);
	b[6] = 60;
	b[40] = 44; /* next: fragment */
	b[41] = 0;
	memset(b + 42, 0, 6);
	b[48] = 17; /* next: UDP */
	memset(b + 49, 0, 7);
	memcpy(b + 56, q.b + 54, 8);
	n = 64;
	icmp_q(&f, "2001:db8::9", "2001:db8::1", 3, 0, 0, b, n);
	T_EQ(vnet_ct_lookup(ct, &f.p, 0, 2, &x), VNET_CT_RELATED);
	/* The chain runs past the quote. */
	b[41] = 20;
	T_EQ(look(ct, icmp_q(&f, "2001:db8::9", "2001:db8::1", 3, 0, 0, b, n),
		  2),
	     VNET_CT_MISS);
	/* Nine extension headers. */
	b[6] = 60;
	for (int i = 0; i < 9; i++) {
		b[40 + 8 * i] = 60;
		b[41 + 8 * i] = 0;
	}
	T_EQ(look(ct,
		  icmp_q(&f, "2001:db8::9", "2001:db8::1", 3, 0, 0, b,
			 40 + 72 + 8),
		  2),
	     VNET_CT_MISS);
	/* Only 30 bytes of IPv6 header. */
	T_EQ(look(ct, icmp_q(&f, "2001:db8::9", "2001:db8::1", 3, 0, 0, b, 30),
		  2),
	     VNET_CT_MISS);
	T_EQ(vnet_ct_stats(ct)->related, 3);
	ct_done(ct);
}

/* Fragments and other protocols: (addresses, protocol). */
static void test_proto_frag(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e, *x;
	struct fr f;
	const char *a = "198.18.1.1", *b = "198.18.1.2";

	T_EQ(look(ct, proto(&f, a, b, 47, 0), 1), VNET_CT_MISS);
	e = make(ct, &f, 0, 0, 1);
	T_EQ(e->state, VNET_CT_OTHER);
	T_EQ(e->proto, 47);
	T_EQ(look(ct, proto(&f, b, a, 47, 0), 2), VNET_CT_REPLY);
	T_EQ(look(ct, proto(&f, a, b, 50, 0), 2), VNET_CT_MISS);

	/* A TCP connection, then a later fragment of it: MISS. */
	make(ct, tcp(&f, a, 1, b, 2, SYN), 0, 0, 1);
	proto(&f, a, b, 6, 100);
	T_ASSERT(f.p.layers & VNET_L_FRAG);
	T_ASSERT(!(f.p.layers & VNET_L_TCP));
	T_EQ(vnet_ct_lookup(ct, &f.p, 0, 2, &x), VNET_CT_MISS);
	x = make(ct, &f, 0, 0, 2);
	T_EQ(x->state, VNET_CT_OTHER);
	T_EQ(x->proto, 6);
	T_EQ(x->sport, 0);
	T_EQ(x->noports, 1);
	T_EQ(e->noports, 0);
	T_EQ(look(ct, proto(&f, a, b, 6, 200), 3), VNET_CT_ORIG);
	T_EQ(look(ct, proto(&f, b, a, 6, 300), 3), VNET_CT_REPLY);
	/* IPv6 fragment of UDP. */
	proto(&f, "2001:db8::1", "2001:db8::2", 17, 0x100);
	T_ASSERT(f.p.layers & VNET_L_FRAG);
	T_EQ(look(ct, &f, 3), VNET_CT_MISS);
	make(ct, &f, 0, 0, 3);
	T_EQ(look(ct, proto(&f, "2001:db8::2", "2001:db8::1", 17, 0x200), 4),
	     VNET_CT_REPLY);
	/* Not IP at all. */
	memset(&f, 0, sizeof(f));
	memcpy(f.b + 12, "\x08\x06", 2);
	f.len = 60;
	parse(&f);
	T_EQ(look(ct, &f, 5), VNET_CT_MISS);
	T_EQ(vnet_ct_create(ct, &f.p, 0, 0, 0, 5, &x), -EINVAL);
	/* TCP whose header is cut short. */
	tcp(&f, a, 1, b, 2, ACK);
	f.len -= 4;
	f.b[14 + 3] -= 4;
	parse(&f);
	T_ASSERT(!(f.p.layers & VNET_L_TCP) && (f.p.layers & VNET_L_IPV4));
	T_EQ(look(ct, &f, 5), VNET_CT_INVALID);
	T_EQ(vnet_ct_create(ct, &f.p, 0, 0, 0, 5, &x), -EINVAL);
	ct_done(ct);
}

/* Each state's timeout, strictly after it, with a fake clock. */
static void test_timeouts(void)
{
	static const struct {
		int state, t;
	} cases[] = {
	    {VNET_CT_SYN_SENT, VNET_CT_T_TCP_SYN},
	    {VNET_CT_SYN_RECV, VNET_CT_T_TCP_SYN},
	    {VNET_CT_ESTABLISHED, VNET_CT_T_TCP_EST},
	    {VNET_CT_FIN_WAIT, VNET_CT_T_TCP_FIN},
	    {VNET_CT_CLOSE_WAIT, VNET_CT_T_TCP_FIN},
	    {VNET_CT_TIME_WAIT, VNET_CT_T_TCP_CLOSE},
	    {VNET_CT_CLOSED, VNET_CT_T_TCP_CLOSE},
	    {VNET_CT_UDP_NEW, VNET_CT_T_UDP},
	    {VNET_CT_UDP_REPLIED, VNET_CT_T_UDP_STREAM},
	    {VNET_CT_ICMP, VNET_CT_T_ICMP},
	    {VNET_CT_OTHER, VNET_CT_T_OTHER},
	};
	struct vnet_ct_config c;
	const char *a = "198.18.1.1", *b = "198.18.1.2";

	vnet_ct_config_default(&c);
	c.max = 16;
	c.reserve = 0;
	c.quota = 16;
	/* Distinct timeouts, so that the wrong class shows. */
	for (int i = 0; i < VNET_CT_T_MAX; i++)
		c.timeout[i] = (uint64_t)(i + 1) * 100;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		for (int mode = 0; mode < 3; mode++) {
			struct vnet_ct *ct = vnet_ct_new(&c);
			struct vnet_ct_entry *e = NULL, *x;
			struct fr f, g, q, err;
			uint64_t t = 1000, to = c.timeout[cases[k].t];
			int st = cases[k].state, failed = t_cur_failed;

			t_cur_failed = 0;
			/* f opens, g looks it up later (q: a copy of the
			 * opening packet for an ICMP error to quote). */
			if (st <= VNET_CT_CLOSED) {
				e = make(ct, tcp(&f, a, 1, b, 2, SYN), 0, 0, t);
				q = f;
				if (st >= VNET_CT_SYN_RECV)
					look(ct, tcp(&f, b, 2, a, 1, SYN | ACK),
					     ++t);
				if (st >= VNET_CT_ESTABLISHED &&
				    st != VNET_CT_CLOSE_WAIT)
					look(ct, tcp(&f, a, 1, b, 2, ACK), ++t);
				if (st == VNET_CT_CLOSE_WAIT) {
					look(ct, tcp(&f, a, 1, b, 2, ACK), ++t);
					look(ct, tcp(&f, b, 2, a, 1, ACK | FIN),
					     ++t);
				}
				if (st >= VNET_CT_FIN_WAIT &&
				    st != VNET_CT_CLOSE_WAIT &&
				    st != VNET_CT_CLOSED)
					look(ct, tcp(&f, a, 1, b, 2, ACK | FIN),
					     ++t);
				if (st == VNET_CT_TIME_WAIT)
					look(ct, tcp(&f, b, 2, a, 1, ACK | FIN),
					     ++t);
				if (st == VNET_CT_CLOSED)
					look(ct, tcp(&f, b, 2, a, 1, RST), ++t);
				tcp(&g, a, 1, b, 2,
				    st == VNET_CT_SYN_SENT ||
					    st == VNET_CT_CLOSED
					? SYN
					: ACK);
			} else if (st <= VNET_CT_UDP_REPLIED) {
				e = make(ct, udp(&f, a, 1, b, 2), 0, 0, t);
				q = f;
				if (st == VNET_CT_UDP_REPLIED)
					look(ct, udp(&f, b, 2, a, 1), ++t);
				udp(&g, b, 2, a, 1);
			} else if (st == VNET_CT_ICMP) {
				e = make(ct, icmp(&f, a, b, 8, 1), 0, 0, t);
				q = f;
				icmp(&g, b, a, 0, 1);
			} else {
				e = make(ct, proto(&f, a, b, 47, 0), 0, 0, t);
				q = f;
				proto(&g, b, a, 47, 0);
			}
			if (!e)
				continue;
			T_EQ(e->state, st);
			T_EQ(e->last_seen, t);
			icmp_err(&err, b, a, 3, &q, 0);
			if (mode == 0) {
				/* An error (which does not refresh) finds
				 * it at the deadline, not after. */
				T_EQ(vnet_ct_lookup(ct, &err.p, 0, t + to, &x),
				     VNET_CT_RELATED);
				T_EQ(vnet_ct_lookup(ct, &err.p, 0, t + to + 1,
						    &x),
				     VNET_CT_MISS);
			} else if (mode == 1) {
				vnet_ct_expire(ct, t + to, 0);
				T_EQ(vnet_ct_stats(ct)->entries, 1);
				vnet_ct_expire(ct, t + to + 1, 0);
			} else {
				/* A packet after the deadline: as if there
				 * was no entry. */
				T_EQ(look(ct, &g, t + to + 1),
				     st <= VNET_CT_CLOSED &&
					     st != VNET_CT_SYN_SENT &&
					     st != VNET_CT_CLOSED
					 ? VNET_CT_INVALID
					 : VNET_CT_MISS);
			}
			T_EQ(vnet_ct_stats(ct)->entries, 0);
			T_EQ(vnet_ct_stats(ct)->expired, 1);
			T_EQ(vnet_ct_segment_count(ct, 0), 0);
			if (t_cur_failed)
				printf("# state %s mode %d\n",
				       vnet_ct_state_name(st), mode);
			t_cur_failed |= failed;
			ct_done(ct);
		}
	}
}

/* Budgeted expiry removes the most overdue first and counts. */
static void test_expire_budget(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct fr f;
	int i;

	for (i = 0; i < 10; i++)
		make(ct, udp(&f, "198.18.0.1", 1000 + i, "198.18.0.2", 53), 0,
		     0, (uint64_t)i * SEC);
	for (i = 0; i < 5; i++)
		make(ct, proto(&f, "198.18.0.1", "198.18.0.2", 100 + i, 0), 0,
		     0, (uint64_t)i * SEC);
	/* At 36 s: UDP (30 s) entries 0..5 are over; OTHER (60 s) none. */
	vnet_ct_expire(ct, 36 * SEC, 4);
	T_EQ(vnet_ct_stats(ct)->expired, 3); /* 4 looks: 3 UDP, 1 OTHER */
	vnet_ct_expire(ct, 36 * SEC, 0);
	T_EQ(vnet_ct_stats(ct)->expired, 6);
	T_EQ(vnet_ct_stats(ct)->entries, 9);
	/* The survivors are the newest. */
	T_EQ(look(ct, udp(&f, "198.18.0.1", 1005, "198.18.0.2", 53), 36 * SEC),
	     VNET_CT_MISS);
	T_EQ(look(ct, udp(&f, "198.18.0.1", 1006, "198.18.0.2", 53), 36 * SEC),
	     VNET_CT_ORIG);
	/* A refresh moves an entry back in its class. */
	vnet_ct_expire(ct, 40 * SEC, 0);
	T_EQ(vnet_ct_stats(ct)->entries, 6); /* 1006 refreshed; 1007-1009 */
	T_EQ(look(ct, udp(&f, "198.18.0.1", 1006, "198.18.0.2", 53), 40 * SEC),
	     VNET_CT_ORIG);
	vnet_ct_expire(ct, 1000 * SEC, 0);
	T_EQ(vnet_ct_stats(ct)->entries, 0);
	T_EQ(vnet_ct_stats(ct)->expired, 15);
	T_EQ(vnet_ct_segment_count(ct, 0), 0);
	ct_done(ct);
}

/* At quota the least recently used unreplied entry goes. */
static void test_lru_eviction(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 3);
	struct vnet_ct_entry *e;
	struct fr f;
	const char *a = "198.18.0.1", *b = "198.18.0.2";

	make(ct, udp(&f, a, 1, b, 53), 0, 0, 1);	       /* A */
	make(ct, udp(&f, a, 2, b, 53), 0, 0, 2);	       /* B */
	make(ct, udp(&f, a, 3, b, 53), 0, 0, 3);	       /* C */
	T_EQ(look(ct, udp(&f, a, 1, b, 53), 4), VNET_CT_ORIG); /* A used */
	make(ct, udp(&f, a, 4, b, 53), 0, 0, 5);	       /* D evicts B */
	T_EQ(vnet_ct_stats(ct)->evicted, 1);
	T_EQ(look(ct, udp(&f, a, 2, b, 53), 6), VNET_CT_MISS);
	T_EQ(look(ct, udp(&f, b, 53, a, 3), 6), VNET_CT_REPLY); /* C replied */
	make(ct, udp(&f, a, 5, b, 53), 0, 0, 7);		/* E evicts A */
	T_EQ(look(ct, udp(&f, a, 1, b, 53), 8), VNET_CT_MISS);
	T_EQ(look(ct, udp(&f, a, 3, b, 53), 8), VNET_CT_ORIG);
	T_EQ(look(ct, udp(&f, a, 4, b, 53), 8), VNET_CT_ORIG);
	T_EQ(look(ct, udp(&f, a, 5, b, 53), 8), VNET_CT_ORIG);
	/* D and E replied too: nothing to evict. */
	look(ct, udp(&f, b, 53, a, 4), 9);
	look(ct, udp(&f, b, 53, a, 5), 9);
	T_EQ(vnet_ct_create(ct, &udp(&f, a, 6, b, 53)->p, 0, 0, 0, 10, &e),
	     -EDQUOT);
	T_ASSERT(e == NULL);
	T_EQ(vnet_ct_stats(ct)->evicted, 2);
	T_EQ(vnet_ct_stats(ct)->refused_quota, 1);
	T_EQ(vnet_ct_segment_count(ct, 0), 3);
	ct_done(ct);

	/* A TCP connection reopened from TIME_WAIT is unreplied again. */
	ct = ct_new(100, 0, 2);
	make(ct, tcp(&f, a, 1, b, 80, SYN), 0, 0, 1);
	look(ct, tcp(&f, b, 80, a, 1, SYN | ACK), 1);
	look(ct, tcp(&f, a, 1, b, 80, ACK | FIN), 1);
	look(ct, tcp(&f, b, 80, a, 1, ACK | FIN), 1);
	T_EQ(look(ct, tcp(&f, a, 1, b, 80, ACK), 1), VNET_CT_ORIG);
	make(ct, udp(&f, a, 1, b, 53), 0, 0, 2);
	look(ct, udp(&f, b, 53, a, 1), 2);
	T_EQ(vnet_ct_create(ct, &tcp(&f, a, 2, b, 80, SYN)->p, 0, 0, 0, 3, &e),
	     -EDQUOT);
	T_EQ(look(ct, tcp(&f, a, 1, b, 80, SYN), 4), VNET_CT_ORIG);
	make(ct, tcp(&f, a, 2, b, 80, SYN), 0, 0, 5);
	T_EQ(look(ct, tcp(&f, a, 1, b, 80, SYN), 6), VNET_CT_MISS);
	T_EQ(vnet_ct_stats(ct)->evicted, 1);
	ct_done(ct);

	/* CLOSED entries (refused connections) are evicted like unreplied
	 * ones, oldest first; replied ones stay. */
	ct = ct_new(100, 0, 3);
	make(ct, udp(&f, a, 1, b, 53), 0, 0, 1);
	look(ct, udp(&f, b, 53, a, 1), 1);
	make(ct, tcp(&f, a, 1, b, 81, SYN), 0, 0, 2);
	T_EQ(look(ct, tcp(&f, b, 81, a, 1, RST | ACK), 2), VNET_CT_REPLY);
	make(ct, tcp(&f, a, 2, b, 81, SYN), 0, 0, 3);
	T_EQ(look(ct, tcp(&f, b, 81, a, 2, RST | ACK), 3), VNET_CT_REPLY);
	make(ct, tcp(&f, a, 3, b, 81, SYN), 0, 0, 4);
	T_EQ(vnet_ct_stats(ct)->evicted, 1);
	T_EQ(look(ct, tcp(&f, a, 1, b, 81, SYN), 5), VNET_CT_MISS);
	T_EQ(look(ct, tcp(&f, a, 2, b, 81, ACK), 5), VNET_CT_INVALID);
	T_EQ(look(ct, udp(&f, a, 1, b, 53), 5), VNET_CT_ORIG);
	ct_done(ct);
}

/* Establish a TCP connection number i of segment seg. */
static int est(struct vnet_ct *ct, uint16_t seg, int i, int reserve)
{
	struct vnet_ct_entry *e;
	struct fr f;
	int r;

	r = vnet_ct_create(
	    ct,
	    &tcp_v(&f, seg, "198.18.0.1", 1024 + i, "198.18.0.2", 80, SYN)->p,
	    seg, 0, reserve, 1, &e);
	if (r)
		return r;
	tcp_v(&f, seg, "198.18.0.2", 80, "198.18.0.1", 1024 + i, SYN | ACK);
	if (vnet_ct_lookup(ct, &f.p, seg, 2, &e) != VNET_CT_REPLY)
		T_FAIL("no reply");
	return 0;
}

static void test_quota_reserve(void)
{
	struct vnet_ct *ct = ct_new(100, 10, 45);
	struct vnet_ct_entry *e;
	struct fr f;
	int i, n;

	for (n = 0, i = 0; i < 60; i++)
		n += est(ct, 1, i, 0) == 0;
	T_EQ(n, 45);
	T_EQ(vnet_ct_segment_count(ct, 1), 45);
	T_EQ(vnet_ct_stats(ct)->refused_quota, 15);
	for (n = 0, i = 0; i < 60; i++)
		n += est(ct, 2, i, 0) == 0;
	T_EQ(n, 45);
	T_EQ(vnet_ct_segment_count(ct, 2), 45);
	T_EQ(vnet_ct_stats(ct)->refused_quota, 30);
	/* 90 = max - reserve: a third segment is refused (full). */
	T_EQ(est(ct, 3, 0, 0), -ENOSPC);
	T_EQ(vnet_ct_stats(ct)->refused_full, 1);
	/* A reserve connection still gets in, even in a full segment. */
	T_EQ(est(ct, 1, 100, 1), 0);
	T_EQ(vnet_ct_segment_count(ct, 1), 46);
	for (n = 0, i = 0; i < 20; i++)
		n += est(ct, 3, 200 + i, 1) == 0;
	T_EQ(n, 9);
	T_EQ(vnet_ct_stats(ct)->entries, 100);
	T_EQ(vnet_ct_stats(ct)->refused_full, 12);
	T_EQ(vnet_ct_stats(ct)->evicted, 0);
	T_EQ(vnet_ct_segment_count(ct, 3), 9);

	/* An unreplied reserve entry is evicted by a reserve connection
	 * when the table is full, never by a normal one. */
	vnet_ct_remove(
	    ct,
	    vnet_ct_lookup(
		ct, &tcp_v(&f, 3, "198.18.0.2", 80, "198.18.0.1", 1224, ACK)->p,
		3, 3, &e) == VNET_CT_REPLY
		? e
		: NULL);
	T_EQ(vnet_ct_stats(ct)->removed, 1);
	T_EQ(vnet_ct_create(
		 ct, &tcp_v(&f, 3, "198.18.0.1", 7, "198.18.0.2", 80, SYN)->p,
		 3, 0, 1, 4, &e),
	     0);
	T_ASSERT(e->reserve);
	T_EQ(vnet_ct_create(
		 ct, &tcp_v(&f, 3, "198.18.0.1", 8, "198.18.0.2", 80, SYN)->p,
		 3, 0, 0, 5, &e),
	     -ENOSPC);
	T_EQ(vnet_ct_create(ct, &f.p, 3, 0, 1, 5, &e), 0);
	T_EQ(vnet_ct_stats(ct)->evicted, 1);
	T_EQ(look(ct, tcp_v(&f, 3, "198.18.0.1", 7, "198.18.0.2", 80, SYN), 6),
	     VNET_CT_MISS);
	T_EQ(vnet_ct_stats(ct)->entries, 100);
	T_EQ(vnet_ct_segment_count(ct, 1) + vnet_ct_segment_count(ct, 2) +
		 vnet_ct_segment_count(ct, 3),
	     100);
	ct_done(ct);

	/* Table full of unreplied entries: the LRU of any segment goes. */
	ct = ct_new(100, 10, 45);
	for (i = 0; i < 45; i++)
		make(ct, udp(&f, "198.18.0.1", 1000 + i, "198.18.0.2", 53), 1,
		     0, 10 + (uint64_t)i);
	for (i = 0; i < 45; i++) {
		struct vnet_ct_entry *x;

		make(ct, udp(&f, "198.18.0.1", 1000 + i, "198.18.0.2", 53), 2,
		     0, 100 + (uint64_t)i);
		T_EQ(vnet_ct_lookup(
			 ct,
			 &udp(&f, "198.18.0.2", 53, "198.18.0.1", 1000 + i)->p,
			 2, 200, &x),
		     VNET_CT_REPLY);
	}
	T_EQ(vnet_ct_create(ct, &udp(&f, "198.18.0.1", 1, "198.18.0.2", 53)->p,
			    3, 0, 0, 300, &e),
	     0);
	T_EQ(vnet_ct_stats(ct)->evicted, 1);
	T_EQ(vnet_ct_segment_count(ct, 1), 44);
	T_EQ(vnet_ct_segment_count(ct, 3), 1);
	T_EQ(vnet_ct_lookup(ct,
			    &udp(&f, "198.18.0.1", 1000, "198.18.0.2", 53)->p,
			    1, 301, &e),
	     VNET_CT_MISS);
	T_EQ(vnet_ct_lookup(ct,
			    &udp(&f, "198.18.0.1", 1001, "198.18.0.2", 53)->p,
			    1, 301, &e),
	     VNET_CT_ORIG);
	ct_done(ct);
}

static void test_seg_quota(void)
{
	static uint32_t sq[VNET_CT_SEGMENTS];
	struct vnet_ct_config c;
	struct vnet_ct *ct;
	int i, n;

	vnet_ct_config_default(&c);
	vnet_ct_config_set_max(&c, 1000);
	sq[7] = 5;
	sq[8] = 700;
	c.seg_quota = sq;
	ct = vnet_ct_new(&c);
	sq[7] = 1; /* copied at creation */
	for (n = 0, i = 0; i < 10; i++)
		n += est(ct, 7, i, 0) == 0;
	T_EQ(n, 5);
	for (n = 0, i = 0; i < 800; i++)
		n += est(ct, 8, i, 0) == 0;
	T_EQ(n, 700);
	for (n = 0, i = 0; i < 800; i++)
		n += est(ct, 9, i, 0) == 0;
	T_EQ(n, 1000 - 62 - 705);
	T_EQ(vnet_ct_stats(ct)->refused_quota, 5 + 100);
	T_EQ(vnet_ct_stats(ct)->refused_full, 800 - 233);
	ct_done(ct);
}

/* A flood of new connections degrades: the table keeps its unreplied
 * newest, established ones survive, every refusal is counted. */
static void test_flood(void)
{
	struct vnet_ct *ct = ct_new(1000, 50, 400);
	struct vnet_ct_entry *e;
	struct fr f;
	int i, ok = 0;

	for (i = 0; i < 300; i++)
		T_EQ(est(ct, 1, i, 0), 0);
	for (i = 0; i < 200000; i++) {
		uint8_t o3 = (uint8_t)(i >> 16), o4 = (uint8_t)(i >> 8);
		char src[32];

		snprintf(src, sizeof(src), "198.19.%u.%u", o3, o4);
		tcp_v(&f, 1, src, 1024 + (i & 0xff), "198.18.0.2", 80, SYN);
		ok += vnet_ct_create(ct, &f.p, 1, 0, 0, 3, &e) == 0;
	}
	T_EQ(ok, 200000);
	T_EQ(vnet_ct_stats(ct)->evicted, 200000 - 100);
	T_EQ(vnet_ct_segment_count(ct, 1), 400);
	/* The established ones are all there. */
	for (ok = 0, i = 0; i < 300; i++) {
		tcp_v(&f, 1, "198.18.0.1", 1024 + i, "198.18.0.2", 80, ACK);
		ok += vnet_ct_lookup(ct, &f.p, 1, 4, &e) == VNET_CT_ORIG;
	}
	T_EQ(ok, 300);
	/* Other segments fill the rest up to max - reserve, then a flood
	 * of new connections there takes the LRU unreplied of any segment. */
	for (i = 0; i < 1000; i++)
		vnet_ct_create(
		    ct, &udp(&f, "198.18.0.3", 1 + i, "198.18.0.4", 53)->p,
		    (uint16_t)(2 + i % 3), 0, 0, 5, &e);
	T_EQ(vnet_ct_stats(ct)->entries, 950);
	T_EQ(vnet_ct_segment_count(ct, 1) + vnet_ct_segment_count(ct, 2) +
		 vnet_ct_segment_count(ct, 3) + vnet_ct_segment_count(ct, 4),
	     950);
	ct_done(ct);
}

static int rm_odd(void *arg, struct vnet_ct_entry *e)
{
	(*(int *)arg)++;
	e->rule_id = 7;
	return e->sport & 1;
}

static int count_rule7(void *arg, struct vnet_ct_entry *e)
{
	*(int *)arg += e->rule_id == 7;
	return 0;
}

static void test_walk(void)
{
	struct vnet_ct *ct = ct_new(101, 1, 100);
	struct vnet_ct_entry *e;
	struct fr f;
	int i, n = 0;

	for (i = 0; i < 20; i++)
		make(ct, udp(&f, "198.18.0.1", 1000 + i, "198.18.0.2", 53),
		     (uint16_t)(i % 2 ? 10 : 11), 0, 1);
	vnet_ct_walk(ct, rm_odd, &n);
	T_EQ(n, 20);
	T_EQ(vnet_ct_stats(ct)->entries, 10);
	T_EQ(vnet_ct_stats(ct)->removed, 10);
	T_EQ(vnet_ct_segment_count(ct, 10), 0);
	T_EQ(vnet_ct_segment_count(ct, 11), 10);
	n = 0;
	vnet_ct_walk(ct, count_rule7, &n);
	T_EQ(n, 10);
	/* The room is usable again. */
	for (i = 0; i < 90; i++)
		make(ct, udp(&f, "198.18.0.9", 1000 + i, "198.18.0.2", 53), 0,
		     0, 1);
	T_EQ(vnet_ct_stats(ct)->entries, 100);
	/* The self-check notices a corrupted entry. */
	T_EQ(vnet_ct_check(ct), 0);
	e = make(ct, udp(&f, "198.18.0.8", 1, "198.18.0.2", 53), 0, 1, 1);
	if (e) {
		e->segment = 9;
		T_EQ(vnet_ct_check(ct), -EUCLEAN);
		e->segment = 0;
	}
	ct_done(ct);
}

static char *dump(struct vnet_ct *ct, uint64_t now)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	memset(buf, 0, sizeof(buf));
	if (!f)
		return NULL;
	T_EQ(vnet_ct_dump(ct, f, now), 0);
	fclose(f);
	return buf;
}

static void test_dump(void)
{
	struct vnet_ct *ct = ct_new(100, 0, 100);
	struct vnet_ct_entry *e;
	struct fr f;

	e = make(ct, tcp_v(&f, 42, "198.18.0.1", 40000, "198.18.0.2", 80, SYN),
		 42, 0, 1 * SEC);
	e->rule_id = 3;
	T_EQ(vnet_ct_lookup(ct,
			    &tcp_v(&f, 42, "198.18.0.2", 80, "198.18.0.1",
				   40000, SYN | ACK)
				 ->p,
			    42, 3 * SEC, &e),
	     VNET_CT_REPLY);
	T_STREQ(dump(ct, 10 * SEC + 5),
		"42\ttcp\t198.18.0.1\t40000\t198.18.0.2\t80\tSYN_RECV\tegress"
		"\t3\t9\t7\t1\t58\t1\t58\n");
	vnet_ct_remove(ct, e);
	vnet_ct_create(ct, &icmp(&f, "2001:db8::1", "2001:db8::2", 128, 5)->p,
		       0, 1, 0, 0, &e);
	T_STREQ(dump(ct, 0),
		"0\ticmp6\t2001:db8::1\t5\t2001:db8::2\t5\tICMP\tingress\t0\t0"
		"\t0\t1\t62\t0\t0\n");
	vnet_ct_remove(ct, e);
	vnet_ct_create(ct, &proto(&f, "198.18.0.1", "198.18.0.2", 47, 0)->p, 0,
		       0, 0, 0, &e);
	T_STREQ(dump(ct, 0),
		"0\t47\t198.18.0.1\t0\t198.18.0.2\t0\tOTHER\tegress\t0\t0\t0\t1"
		"\t50\t0\t0\n");
	vnet_ct_remove(ct, e);
	T_STREQ(dump(ct, 0), "");
	ct_done(ct);
}

/* The same seed and calls give the same table. */
static void test_seed(void)
{
	static char d1[4096];
	struct vnet_ct *ct[2];
	struct vnet_ct_entry *e;
	struct fr f;
	int k, i;

	for (k = 0; k < 2; k++) {
		ct[k] = ct_new(50, 0, 30);
		T_EQ(vnet_ct_set_seed(ct[k], 12345), 0);
		for (i = 0; i < 200; i++) {
			char src[32];

			snprintf(src, sizeof(src), "198.18.%d.%d", i / 50,
				 i % 50);
			vnet_ct_create(
			    ct[k],
			    &udp(&f, src, 1000 + i % 7, "198.18.9.9", 53)->p,
			    (uint16_t)(i % 3), 0, 0, (uint64_t)i * SEC, &e);
			if (i % 5 == 0)
				vnet_ct_lookup(ct[k],
					       &udp(&f, "198.18.9.9", 53, src,
						    1000 + i % 7)
						    ->p,
					       (uint16_t)(i % 3),
					       (uint64_t)i * SEC, &e);
			if (i % 11 == 0)
				vnet_ct_expire(ct[k], (uint64_t)i * SEC, 2);
		}
		if (k == 0)
			memcpy(d1, dump(ct[k], 300 * SEC), sizeof(d1));
	}
	T_ASSERT(d1[0] != 0);
	T_STREQ(dump(ct[1], 300 * SEC), d1);
	T_EQ(vnet_ct_set_seed(ct[0], 1), -EBUSY);
	vnet_ct_expire(ct[0], 10000 * SEC, 0);
	T_EQ(vnet_ct_stats(ct[0])->entries, 0);
	T_EQ(vnet_ct_set_seed(ct[0], 1), 0);
	ct_done(ct[0]);
	ct_done(ct[1]);
}

int main(void)
{
	T_RUN(test_config);
	T_RUN(test_tcp_handshake);
	T_RUN(test_tcp_close_wait);
	T_RUN(test_tcp_rst);
	T_RUN(test_tcp_invalid);
	T_RUN(test_udp);
	T_RUN(test_sctp);
	T_RUN(test_icmp_echo);
	T_RUN(test_related);
	T_RUN(test_related_quotes);
	T_RUN(test_proto_frag);
	T_RUN(test_timeouts);
	T_RUN(test_expire_budget);
	T_RUN(test_lru_eviction);
	T_RUN(test_quota_reserve);
	T_RUN(test_seg_quota);
	T_RUN(test_flood);
	T_RUN(test_walk);
	T_RUN(test_dump);
	T_RUN(test_seed);
	return T_DONE();
}
