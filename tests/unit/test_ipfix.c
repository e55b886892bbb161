/* SPDX-License-Identifier: ISC */
/* test_ipfix.c -- unit tests of the IPFIX messages (cmd/vnet-flowexport/ipfix.c): bytes
 * checked by hand and by decoding them back. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "vnet-flowexport/ipfix.h"
#include "vnet/bytes.h"

#define SEC 1000000000ULL
#define MS 1000000ULL
#define T0 (1700000000ULL * SEC)

/* Messages the memory output received. */
#define MAXMSG 256
static uint8_t msgs[MAXMSG][65536];
static size_t msglen[MAXMSG];
static unsigned nmsg;
static int out_ret; /* what the output returns */

static int out(void *arg, const uint8_t *m, size_t len)
{
	(void)arg;
	if (nmsg < MAXMSG) {
		memcpy(msgs[nmsg], m, len);
		msglen[nmsg] = len;
	}
	nmsg++;
	return out_ret;
}

static uint64_t getn(const uint8_t *b, unsigned len)
{
	uint64_t v = 0;

	while (len--)
		v = v << 8 | *b++;
	return v;
}

/* A decoded message. */
struct rec {
	unsigned tid;
	unsigned nf;
	uint16_t ie[32], len[32];
	const uint8_t *val[32];
};
struct dec {
	unsigned version, length, domain;
	uint32_t export_time, seq;
	unsigned ntpl, nopt;
	uint16_t tpl_id[4], tpl_n[4];
	uint16_t tpl_ie[4][32], tpl_len[4][32];
	unsigned nrec;
	struct rec rec[128];
	int bad;
};

static int tpl_find(const struct dec *d, unsigned id)
{
	unsigned i;

	for (i = 0; i < d->ntpl; i++)
		if (d->tpl_id[i] == id)
			return (int)i;
	return -1;
}

/* Decode message m strictly; templates persist across calls in *d when
 * keep is set (a session). */
static void decode(const uint8_t *m, size_t len, struct dec *d, int keep)
{
	size_t off = 16, end;
	unsigned i, sid, slen, n, scope;
	int t;

	if (!keep)
		memset(d, 0, sizeof(*d));
	d->nrec = 0;
	d->bad = 0;
	if (len < 16) {
		d->bad = 1;
		return;
	}
	d->version = vnet_get16(m);
	d->length = vnet_get16(m + 2);
	d->export_time = vnet_get32(m + 4);
	d->seq = vnet_get32(m + 8);
	d->domain = vnet_get32(m + 12);
	if (d->length != len)
		d->bad = 2;
	while (off < len) {
		if (len - off < 4) {
			d->bad = 3;
			return;
		}
		sid = vnet_get16(m + off);
		slen = vnet_get16(m + off + 2);
		if (slen < 4 || slen > len - off) {
			d->bad = 4;
			return;
		}
		end = off + slen;
		off += 4;
		if (sid == 2 || sid == 3) {
			while (off + 4 <= end) {
				i = d->ntpl < 4 ? d->ntpl++ : 3;
				d->tpl_id[i] = (uint16_t)vnet_get16(m + off);
				n = vnet_get16(m + off + 2);
				off += 4;
				if (sid == 3) {
					scope = vnet_get16(m + off);
					off += 2;
					if (scope != 1)
						d->bad = 5;
					d->nopt++;
				}
				d->tpl_n[i] = (uint16_t)n;
				for (t = 0; t < (int)n && off + 4 <= end; t++) {
					d->tpl_ie[i][t] = vnet_get16(m + off);
					d->tpl_len[i][t] =
						vnet_get16(m + off + 2);
					off += 4;
				}
			}
			if (off != end)
				d->bad = 6;
		} else if (sid >= 256) {
			t = tpl_find(d, sid);
			if (t < 0) {
				d->bad = 7;
				return;
			}
			for (;;) {
				size_t rl = 0;
				struct rec *r;

				for (i = 0; i < d->tpl_n[t]; i++)
					rl += d->tpl_len[t][i];
				if (end - off < rl)
					break;
				r = &d->rec[d->nrec < 128 ? d->nrec++ : 127];
				r->tid = sid;
				r->nf = d->tpl_n[t];
				for (i = 0; i < r->nf; i++) {
					r->ie[i] = d->tpl_ie[t][i];
					r->len[i] = d->tpl_len[t][i];
					r->val[i] = m + off;
					off += r->len[i];
				}
			}
			if (off != end)
				d->bad = 8; /* we never pad */
		} else {
			d->bad = 9;
		}
		off = end;
	}
}

/* The value of IE ie in record r; -1 if absent. */
static int64_t val(const struct rec *r, unsigned ie)
{
	unsigned i;

	for (i = 0; i < r->nf; i++)
		if (r->ie[i] == ie)
			return (int64_t)getn(r->val[i], r->len[i]);
	return -1;
}

static const uint8_t *raw(const struct rec *r, unsigned ie)
{
	unsigned i;

	for (i = 0; i < r->nf; i++)
		if (r->ie[i] == ie)
			return r->val[i];
	return NULL;
}

static struct vnet_flow flow4(uint16_t sport)
{
	struct vnet_flow f;
	static const uint8_t smac[6] = { 2, 0, 0xc6, 0x13, 0, 1 };
	static const uint8_t dmac[6] = { 2, 0, 0xc6, 0x13, 0, 2 };

	memset(&f, 0, sizeof(f));
	f.key.segment = VNET_FLOW_NO_SEGMENT;
	f.key.ip_version = 4;
	f.key.proto = 17;
	vnet_addr_parse("198.19.0.1", &f.key.src);
	vnet_addr_parse("198.19.0.2", &f.key.dst);
	f.key.sport = sport;
	f.key.dport = 53;
	f.start_ns = T0 + 1234 * MS + 5;
	f.end_ns = T0 + 5678 * MS;
	f.packets = 7;
	f.bytes = 700;
	memcpy(f.src_mac, smac, 6);
	memcpy(f.dst_mac, dmac, 6);
	f.end_reason = VNET_FLOW_END_IDLE;
	return f;
}

static struct vnet_ipfix *exporter(enum vnet_ipfix_profile p, size_t max,
				   uint32_t sample)
{
	struct vnet_ipfix_config c = {
		.domain = 7, .profile = p, .msg_max = max, .sample_n = sample,
	};
	struct vnet_ipfix *x = vnet_ipfix_new(&c);

	nmsg = 0;
	out_ret = 0;
	if (x)
		vnet_ipfix_set_output(x, out, NULL);
	return x;
}

static const uint16_t std_v4[][2] = {
	{ 8, 4 },  { 12, 4 }, { 7, 2 },	  { 11, 2 }, { 4, 1 },	 { 6, 2 },
	{ 5, 1 },  { 32, 2 }, { 1, 8 },	  { 2, 8 },  { 152, 8 }, { 153, 8 },
	{ 58, 2 }, { 56, 6 }, { 80, 6 },  { 351, 8 }, { 136, 1 }, { 10, 4 },
	{ 14, 4 },
};

static void test_first_message(void)
{
	struct vnet_ipfix *x = exporter(VNET_IPFIX_STANDARD, 1472, 0);
	struct vnet_flow f = flow4(1000);
	static struct dec d;
	const struct rec *r;
	unsigned i;

	T_ASSERT(x);
	if (!x)
		return;
	f.key.segment = 5000;
	f.key.vlan = 100;
	f.key.in_if = 1;
	f.key.out_if = 2;
	f.tcp_flags = 0;
	f.tos = 0xb8;
	T_EQ(vnet_ipfix_add(x, &f, T0 + 9 * SEC), 0);
	T_EQ(nmsg, 0);
	T_EQ(vnet_ipfix_pending(x), 1);
	T_EQ(vnet_ipfix_pending_since(x), T0 + 9 * SEC);
	T_EQ(vnet_ipfix_flush(x, T0 + 10 * SEC + 999), 0);
	T_EQ(nmsg, 1);
	T_EQ(vnet_ipfix_pending(x), 0);

	/* Header, template set, data set: 16 + 164 + 4 + 81 bytes. */
	T_EQ(msglen[0], 16 + 164 + 4 + 81);
	T_EQ(vnet_get16(msgs[0]), 10);
	T_EQ(vnet_get16(msgs[0] + 2), msglen[0]);
	T_EQ(vnet_get32(msgs[0] + 4), 1700000010);
	T_EQ(vnet_get32(msgs[0] + 8), 0);
	T_EQ(vnet_get32(msgs[0] + 12), 7);
	T_EQ(vnet_get16(msgs[0] + 16), 2);	/* template set */
	T_EQ(vnet_get16(msgs[0] + 18), 164);
	T_EQ(vnet_get16(msgs[0] + 20), 256);
	T_EQ(vnet_get16(msgs[0] + 22), 19);
	for (i = 0; i < 19; i++) {
		T_EQ(vnet_get16(msgs[0] + 24 + 4 * i), std_v4[i][0]);
		T_EQ(vnet_get16(msgs[0] + 26 + 4 * i), std_v4[i][1]);
	}
	T_EQ(vnet_get16(msgs[0] + 100), 257);
	T_EQ(vnet_get16(msgs[0] + 102), 19);
	T_EQ(vnet_get16(msgs[0] + 104), 27);
	T_EQ(vnet_get16(msgs[0] + 106), 16);
	T_EQ(vnet_get16(msgs[0] + 132), 139); /* icmpTypeCodeIPv6 */
	T_EQ(vnet_get16(msgs[0] + 180), 256); /* data set */
	T_EQ(vnet_get16(msgs[0] + 182), 85);

	/* The record, byte for byte. */
	{
		static const uint8_t want[81] = {
			198, 19, 0, 1, 198, 19, 0, 2,	/* addresses */
			0x03, 0xe8, 0, 53, 17,		/* ports, proto */
			0, 0, 0xb8, 0, 0,		/* flags, tos, icmp */
			0, 0, 0, 0, 0, 0, 0x02, 0xbc,	/* octets 700 */
			0, 0, 0, 0, 0, 0, 0, 7,		/* packets */
			0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x6c, 0xd2, /* start */
			0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x7e, 0x2e, /* end */
			0, 100,				/* vlan */
			2, 0, 0xc6, 0x13, 0, 1, 2, 0, 0xc6, 0x13, 0, 2,
			0x01, 0, 0, 0, 0, 0, 0x13, 0x88, /* VXLAN 5000 */
			1,				/* idle */
			0, 0, 0, 1, 0, 0, 0, 2,		/* interfaces */
		};

		T_MEMEQ(msgs[0] + 184, want, 81);
	}

	/* And decoded back. */
	decode(msgs[0], msglen[0], &d, 0);
	T_EQ(d.bad, 0);
	T_EQ(d.ntpl, 2);
	T_EQ(d.nrec, 1);
	r = &d.rec[0];
	T_EQ(r->tid, 256);
	T_EQ(val(r, 7), 1000);
	T_EQ(val(r, 11), 53);
	T_EQ(val(r, 1), 700);
	T_EQ(val(r, 2), 7);
	T_EQ(val(r, 152), 1700000001234LL);
	T_EQ(val(r, 153), 1700000005678LL);
	T_EQ(val(r, 351), (1LL << 56) | 5000);
	T_EQ(val(r, 136), 1);
	T_EQ(val(r, 10), 1);
	T_EQ(val(r, 14), 2);
	vnet_ipfix_free(x);
}

static void test_v6_icmp_nfdump(void)
{
	struct vnet_ipfix *x = exporter(VNET_IPFIX_NFDUMP, 1472, 0);
	struct vnet_flow f;
	static struct dec d;
	const struct rec *r;

	memset(&f, 0, sizeof(f));
	f.key.segment = 7001;
	f.key.ip_version = 6;
	f.key.proto = 58;
	vnet_addr_parse("2001:db8::1", &f.key.src);
	vnet_addr_parse("2001:db8::2", &f.key.dst);
	f.key.dport = 128 << 8;
	f.packets = 1;
	f.bytes = 104;
	f.end_reason = VNET_FLOW_END_FORCED;
	vnet_ipfix_add(x, &f, T0);
	f = flow4(1);	/* no segment: VRF 0 */
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	T_EQ(nmsg, 1);
	decode(msgs[0], msglen[0], &d, 0);
	T_EQ(d.bad, 0);
	T_EQ(d.nrec, 2);
	r = &d.rec[0];
	T_EQ(r->tid, 257);
	T_EQ(r->nf, 21);
	T_ASSERT(raw(r, 27) && vnet_get16(raw(r, 27)) == 0x2001);
	T_EQ(raw(r, 27)[15], 1);
	T_EQ(raw(r, 28)[15], 2);
	T_EQ(val(r, 139), 128 << 8);
	T_EQ(val(r, 11), 128 << 8);
	T_EQ(val(r, 234), 7001);
	T_EQ(val(r, 235), 7001);
	T_EQ(val(r, 149), 7);
	T_EQ(val(r, 351), -1);
	T_EQ(val(r, 136), 4);
	T_EQ(d.rec[1].tid, 256);
	T_EQ(val(&d.rec[1], 234), 0);
	T_EQ(val(&d.rec[1], 32), 0);
	T_EQ(vnet_ipfix_record_len(VNET_IPFIX_NFDUMP, 256), 85);
	T_EQ(vnet_ipfix_record_len(VNET_IPFIX_STANDARD, 257), 105);
	vnet_ipfix_free(x);
}

/* Records pack up to msg_max; the sequence number counts the data records
 * of the messages before. */
static void test_packing_sequence(void)
{
	struct vnet_ipfix *x = exporter(VNET_IPFIX_STANDARD, 548, 0);
	struct vnet_flow f;
	static struct dec d;
	unsigned i, total = 0;

	for (i = 0; i < 40; i++) {
		f = flow4((uint16_t)i);
		vnet_ipfix_add(x, &f, T0 + i * SEC);
	}
	vnet_ipfix_flush(x, T0 + 40 * SEC);
	/* 548 - 16 - 164 - 4 = 364: 4 records first; then 528 / 81: 6. */
	T_EQ(nmsg, 7);
	for (i = 0; i < nmsg; i++) {
		decode(msgs[i], msglen[i], &d, i > 0);
		T_EQ(d.bad, 0);
		T_ASSERT(msglen[i] <= 548);
		T_EQ(d.seq, total);
		T_EQ(d.nrec, i == 0 ? 4 : i < 6 ? 6 : 6);
		/* Full messages could not take one more record. */
		if (i < nmsg - 1)
			T_ASSERT(msglen[i] + 81 > 548);
		T_EQ(val(&d.rec[0], 7), total);
		total += d.nrec;
	}
	T_EQ(total, 40);
	T_EQ(vnet_ipfix_stats(x)->records_exported, 40);
	T_EQ(vnet_ipfix_stats(x)->messages_sent, 7);
	T_EQ(vnet_ipfix_stats(x)->templates_sent, 2);
	/* A message full when a v6 record comes is closed first. */
	vnet_ipfix_free(x);
}

/* Templates: first message, then every refresh_msgs messages or
 * refresh_ns, whichever first. */
static void test_template_refresh(void)
{
	struct vnet_ipfix_config c = {
		.domain = 1, .msg_max = 548, .refresh_msgs = 3,
		.refresh_ns = 10 * SEC,
	};
	struct vnet_ipfix *x = vnet_ipfix_new(&c);
	struct vnet_flow f = flow4(1);
	char pat[16] = "";
	unsigned i;

	nmsg = 0;
	out_ret = 0;
	vnet_ipfix_set_output(x, out, NULL);
	/* One record per message, a second apart: by count. */
	for (i = 0; i < 8; i++) {
		vnet_ipfix_add(x, &f, T0 + i * SEC);
		vnet_ipfix_flush(x, T0 + i * SEC);
	}
	for (i = 0; i < nmsg; i++)
		pat[i] = vnet_get16(msgs[i] + 16) == 2 ? 'T' : '.';
	T_STREQ(pat, "T..T..T.");
	/* By time: msg 9 at +20 s (10 s after the last templates at +6). */
	nmsg = 0;
	vnet_ipfix_add(x, &f, T0 + 16 * SEC);
	vnet_ipfix_flush(x, T0 + 16 * SEC);
	T_EQ(vnet_get16(msgs[0] + 16), 2);
	T_EQ(vnet_ipfix_stats(x)->templates_sent, 8);
	/* A new session (TCP reconnect) starts at 0 with templates. */
	vnet_ipfix_new_session(x);
	nmsg = 0;
	vnet_ipfix_add(x, &f, T0 + 17 * SEC);
	vnet_ipfix_flush(x, T0 + 17 * SEC);
	T_EQ(vnet_get16(msgs[0] + 16), 2);
	T_EQ(vnet_get32(msgs[0] + 8), 0);
	vnet_ipfix_free(x);
}

static void test_sampling_options(void)
{
	struct vnet_ipfix *x = exporter(VNET_IPFIX_STANDARD, 1472, 10);
	struct vnet_flow f = flow4(1);
	static struct dec d;

	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	T_EQ(nmsg, 2);
	decode(msgs[0], msglen[0], &d, 0);
	T_EQ(d.bad, 0);
	T_EQ(d.ntpl, 3);
	T_EQ(d.nopt, 1);
	T_EQ(d.tpl_id[2], 258);
	T_EQ(d.tpl_ie[2][0], 302);
	T_EQ(d.tpl_ie[2][2], 305);
	T_EQ(d.tpl_ie[2][3], 306);
	T_EQ(d.nrec, 2);
	T_EQ(d.rec[0].tid, 258);
	T_EQ(val(&d.rec[0], 302), 1);
	T_EQ(val(&d.rec[0], 304), 1);
	T_EQ(val(&d.rec[0], 305), 1);
	T_EQ(val(&d.rec[0], 306), 9);
	/* The options record is a data record: it counts. */
	decode(msgs[1], msglen[1], &d, 1);
	T_EQ(d.seq, 2);
	T_EQ(vnet_ipfix_stats(x)->records_exported, 2);
	T_EQ(vnet_ipfix_stats(x)->templates_sent, 3);
	vnet_ipfix_free(x);
}

static void test_output_errors(void)
{
	struct vnet_ipfix *x = exporter(VNET_IPFIX_STANDARD, 1472, 0);
	struct vnet_flow f = flow4(1);
	const struct vnet_ipfix_stats *st = vnet_ipfix_stats(x);

	/* Not sent: dropped, the sequence and the templates wait. */
	out_ret = -ENOTCONN;
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_add(x, &f, T0);
	T_EQ(vnet_ipfix_flush(x, T0), -ENOTCONN);
	T_EQ(st->records_dropped, 2);
	T_EQ(st->messages_sent, 0);
	/* A failed send: counted, the sequence moves on. */
	out_ret = -ECONNREFUSED;
	vnet_ipfix_add(x, &f, T0);
	T_EQ(vnet_ipfix_flush(x, T0), -ECONNREFUSED);
	T_EQ(st->send_errors, 1);
	T_EQ(vnet_get32(msgs[1] + 8), 0);
	T_EQ(vnet_get16(msgs[1] + 16), 2);
	out_ret = 0;
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	T_EQ(vnet_get32(msgs[2] + 8), 1);
	T_EQ(vnet_get16(msgs[2] + 16), 256);
	T_EQ(st->records_exported, 1);
	/* Nothing pending: nothing sent. */
	T_EQ(vnet_ipfix_flush(x, T0), 0);
	T_EQ(nmsg, 3);
	vnet_ipfix_free(x);
}

static void test_config(void)
{
	struct vnet_ipfix_config c = { .msg_max = 300 };
	enum vnet_ipfix_profile p;

	T_ASSERT(!vnet_ipfix_new(&c) && errno == EINVAL);
	c.msg_max = 65536;
	T_ASSERT(!vnet_ipfix_new(&c) && errno == EINVAL);
	T_EQ(vnet_ipfix_profile_parse("nfdump", &p), 0);
	T_EQ(p, VNET_IPFIX_NFDUMP);
	T_EQ(vnet_ipfix_profile_parse("standard", &p), 0);
	T_EQ(p, VNET_IPFIX_STANDARD);
	T_EQ(vnet_ipfix_profile_parse("nfdum", &p), -EINVAL);
	vnet_ipfix_free(NULL);
}

static void test_collector_parse(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "198.18.0.1", "udp:198.18.0.1:4739" },
		{ "198.18.0.1:9995", "udp:198.18.0.1:9995" },
		{ "udp:198.18.0.1", "udp:198.18.0.1:4739" },
		{ "tcp:198.18.0.1:1", "tcp:198.18.0.1:1" },
		{ "2001:db8::1", "udp:[2001:db8::1]:4739" },
		{ "[2001:db8::1]", "udp:[2001:db8::1]:4739" },
		{ "tcp:[2001:db8::1]:65535", "tcp:[2001:db8::1]:65535" },
	};
	static const char *const bad[] = {
		"", "tcp:", "udp:", "bogus:1.2.3.4", "udp:198.18.0.1:99999",
		"udp:198.18.0.1:0", "198.18.0.1:", "[2001:db8::1", "[::1]x",
		"sctp:198.18.0.1", "198.18.0.1:80x", "host.example:4739",
	};
	struct vnet_ipfix_collector c;
	struct vnet_err e;
	char buf[80], eb[VNET_ERR_STRLEN];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_EQ(vnet_ipfix_collector_parse(ok[i].in, &c, NULL), 0);
		T_STREQ(vnet_ipfix_collector_fmt(&c, buf, sizeof(buf)),
			ok[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vnet_err_clear(&e);
		if (vnet_ipfix_collector_parse(bad[i], &c, &e) != -EINVAL ||
		    !vnet_err_isset(&e))
			T_FAIL("'%s' accepted", bad[i]);
		/* The message names the quoted spec. */
		snprintf(buf, sizeof(buf), "'%s': ", bad[i]);
		if (strncmp(vnet_err_str(&e, eb, sizeof(eb)), buf,
			    strlen(buf)))
			T_FAIL("'%s': message '%s'", bad[i], eb);
	}
}

/* The real transports on the loopback: a UDP datagram per message; TCP
 * with the templates at the start of the connection; a closed TCP port
 * drops and counts. */
static void test_sockets(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	struct vnet_ipfix_config c = { .domain = 3, .msg_max = 1472 };
	struct vnet_ipfix_collector col = { .proto = VNET_IPFIX_UDP };
	struct vnet_flow f = flow4(9);
	struct vnet_ipfix *x;
	uint8_t buf[2048];
	int s, a;
	ssize_t n;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(s, (struct sockaddr *)&sin, &sl)) {
		T_FAIL("udp socket: %s", strerror(errno));
		return;
	}
	vnet_addr_parse("127.0.0.1", &col.addr);
	col.port = ntohs(sin.sin_port);
	x = vnet_ipfix_new(&c);
	T_EQ(vnet_ipfix_connect(x, &col, 100), 0);
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	T_EQ(n, 16 + 164 + 4 + 81);
	T_EQ(vnet_get32(buf + 12), 3);
	T_EQ(vnet_ipfix_stats(x)->messages_sent, 1);
	vnet_ipfix_free(x);
	close(s);

	/* TCP */
	sin.sin_port = 0;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(s, 4) || getsockname(s, (struct sockaddr *)&sin, &sl)) {
		T_FAIL("tcp socket: %s", strerror(errno));
		return;
	}
	col.proto = VNET_IPFIX_TCP;
	col.port = ntohs(sin.sin_port);
	x = vnet_ipfix_new(&c);
	T_EQ(vnet_ipfix_connect(x, &col, 1000), 0);
	a = accept(s, NULL, NULL);
	T_ASSERT(a >= 0);
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	T_EQ(vnet_ipfix_drain(x, 1000), 0);
	{
		size_t got = 0, want = (16 + 164 + 4 + 81) + (16 + 4 + 81);
		struct pollfd p = { .fd = a, .events = POLLIN };

		while (got < want && poll(&p, 1, 1000) > 0 &&
		       (n = recv(a, buf + got, sizeof(buf) - got, 0)) > 0)
			got += (size_t)n;
		T_EQ(got, want);
		T_EQ(vnet_get16(buf + 16), 2);
		T_EQ(vnet_get16(buf + 265 + 16), 256);
		T_EQ(vnet_get32(buf + 265 + 8), 1);
	}
	T_EQ(vnet_ipfix_stats(x)->records_exported, 2);
	T_EQ(vnet_ipfix_stats(x)->templates_sent, 2);
	/* The collector goes away: found on the next poll, the records
	 * then are dropped. */
	close(a);
	close(s);
	vnet_ipfix_poll(x);
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	vnet_ipfix_poll(x);
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	T_EQ(vnet_ipfix_stats(x)->records_dropped, 2);
	T_EQ(vnet_ipfix_stats(x)->records_exported, 2);
	vnet_ipfix_free(x);

	/* Nobody listens: the first connect fails, records are dropped. */
	x = vnet_ipfix_new(&c);
	T_EQ(vnet_ipfix_connect(x, &col, 1000), 1);
	T_EQ(vnet_ipfix_error(x), ECONNREFUSED);
	vnet_ipfix_add(x, &f, T0);
	vnet_ipfix_flush(x, T0);
	T_EQ(vnet_ipfix_stats(x)->records_dropped, 1);
	vnet_ipfix_free(x);
}

int main(void)
{
	T_RUN(test_first_message);
	T_RUN(test_v6_icmp_nfdump);
	T_RUN(test_packing_sequence);
	T_RUN(test_template_refresh);
	T_RUN(test_sampling_options);
	T_RUN(test_output_errors);
	T_RUN(test_config);
	T_RUN(test_collector_parse);
	T_RUN(test_sockets);
	return T_DONE();
}
