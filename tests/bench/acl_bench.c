/* SPDX-License-Identifier: ISC */
/* acl_bench.c -- per-packet cost of the vnet-acl engine (cmd/vnet-acl/acl.c with
 * cmd/vnet-acl/policy.c and cmd/vnet-acl/ct.c) as the policy and the connection table grow.
 *
 *   acl_bench [-q]                 the table (Markdown) on stdout
 *   acl_bench --policy FILE        write the 10-rule policy of the table
 *   acl_bench --pcap FILE FRAMES   write a capture for the end-to-end run:
 *                                  64 TCP connections that policy allows
 *                                  (handshakes, then 60-byte data frames
 *                                  both ways), 1 us apart
 *
 * Scenarios, each a policy generated in memory as text and parsed with
 * vnet_policy_parse() (groups are /26 prefixes in 198.18.0.0/15):
 *   10 rules over 10 groups; 1,000 rules over 100 groups; 10,000 rules
 *   over 1,000 groups; 10,000 rules between one pair of groups differing
 *   only in the destination port; and the 10-rule policy with 100,000
 *   established connections in the table.
 * The packet under test always matches the last rule, so a linear scan
 * would pay for every rule before it.  Columns:
 *   match    vnet_policy_match() for that packet's connection
 *   miss     vnet_policy_match() for one no rule matches (the default)
 *   new      vnet_acl_frame() on SYNs of distinct connections: lookup in
 *            the table (a miss), the policy, creating the entry
 *   est      vnet_acl_frame() on a data packet of a tracked connection
 *            (with 100,000 connections: of one of them, in random order)
 * Each figure is the best of 5 runs, in ns per packet; "x" columns are
 * the ratio to the 10-rule row of the same run.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vnet-acl/acl.h"
#include "vnet-acl/policy.h"
#include "vnet/bytes.h"

#define RUNS 5
#define NEW_CONNS 50000
#define EST_PACKETS 1000000
#define MATCH_LOOKUPS 1000000
#define BIG_CONNS 100000
#define FRAME_LEN 60
#define BENCH_CT_MAX 262144
#define PORT_BASE 1000 /* destination ports of the spread scenarios */

struct scenario {
	const char *name;
	unsigned rules, groups;
	int pair;  /* all rules between g0 and g1, ports 1..rules */
	int big;   /* BIG_CONNS connections tracked */
};

static const struct scenario scenarios[] = {
	{ .name = "10 rules", .rules = 10, .groups = 10 },
	{ .name = "1,000 rules", .rules = 1000, .groups = 100 },
	{ .name = "10,000 rules over 1,000 groups", .rules = 10000,
	  .groups = 1000 },
	{ .name = "10,000 rules, one pair of groups, ports", .rules = 10000,
	  .groups = 2, .pair = 1 },
	{ .name = "10 rules, 100,000 connections", .rules = 10, .groups = 10,
	  .big = 1 },
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Host h (1..62) of group g: 198.18.0.0 + 64 g + h, host byte order. */
static uint32_t host_addr(unsigned g, unsigned h)
{
	return (198u << 24 | 18u << 16) + 64u * g + h;
}

/* The rule k of a spread policy: from group k % G to group (7k+1) % G,
 * port PORT_BASE + k / G (so no earlier rule has the same triple). */
static void spread_rule(const struct scenario *s, unsigned k, unsigned *from,
			unsigned *to, unsigned *port)
{
	if (s->pair) {
		*from = 0;
		*to = 1;
		*port = k + 1;
		return;
	}
	*from = k % s->groups;
	*to = (7 * k + 1) % s->groups;
	*port = PORT_BASE + k / s->groups;
}

/* The policy of s as text (malloc'd, *len set), NULL on ENOMEM. */
static char *policy_text(const struct scenario *s, size_t *len)
{
	size_t cap = 64 * ((size_t)s->rules + s->groups) + 64, n = 0;
	char *b = malloc(cap);
	unsigned g, k, from, to, port;
	uint32_t a;

	if (!b)
		return NULL;
	for (g = 0; g < s->groups; g++) {
		a = host_addr(g, 0);
		n += (size_t)snprintf(b + n, cap - n,
				      "group g%u prefix %u.%u.%u.%u/26\n", g,
				      a >> 24, a >> 16 & 255, a >> 8 & 255,
				      a & 255);
	}
	for (k = 0; k < s->rules; k++) {
		spread_rule(s, k, &from, &to, &port);
		n += (size_t)snprintf(b + n, cap - n,
				      "allow from g%u to g%u proto tcp port %u\n",
				      from, to, port);
	}
	*len = n;
	return b;
}

static struct vnet_policy *policy_of(const struct scenario *s)
{
	struct vnet_err err;
	struct vnet_policy *p;
	size_t len;
	char *t = policy_text(s, &len);

	if (!t) {
		perror("acl_bench: policy text");
		exit(1);
	}
	p = vnet_policy_parse(t, len, "bench.policy", NULL, &err);
	free(t);
	if (!p) {
		fprintf(stderr, "acl_bench: %s:%u: %s\n", err.obj, err.line,
			err.msg);
		exit(1);
	}
	return p;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

enum { SYN = 0x02, ACK = 0x10, SYNACK = 0x12 };

/* An Ethernet/IPv4/TCP frame of FRAME_LEN bytes (no payload, padded). */
static void tcp_frame(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst,
		      uint16_t dport, uint8_t flags)
{
	uint8_t *ip = f + 14, *tcp = ip + 20, ph[12];

	memset(f, 0, FRAME_LEN);
	f[0] = 0x02;
	vnet_put32(f + 2, dst);
	f[6] = 0x02;
	vnet_put32(f + 8, src);
	vnet_put16(f + 12, VNET_ETH_P_IP);
	ip[0] = 0x45;
	vnet_put16(ip + 2, 40);
	vnet_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	vnet_put32(ip + 12, src);
	vnet_put32(ip + 16, dst);
	vnet_put16(ip + 10, csum(ip, 20, 0));
	vnet_put16(tcp, sport);
	vnet_put16(tcp + 2, dport);
	vnet_put32(tcp + 4, 1000);
	vnet_put32(tcp + 8, flags & ACK ? 2000 : 0);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	vnet_put16(tcp + 14, 65535);
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	vnet_put16(ph + 10, 20);
	vnet_put16(tcp + 16, csum(tcp, 20, 0xffffu - csum(ph, 12, 0)));
}

static struct vnet_acl *engine(const struct scenario *s)
{
	struct vnet_acl_config c;
	struct vnet_acl *a;

	memset(&c, 0, sizeof(c));
	vnet_ct_config_default(&c.ct);
	vnet_ct_config_set_max(&c.ct, BENCH_CT_MAX);
	c.ct.quota = c.ct.max - c.ct.reserve; /* one segment may fill it */
	if (!(a = vnet_acl_new(policy_of(s), &c))) {
		perror("acl_bench: vnet_acl_new");
		exit(1);
	}
	return a;
}

static uint64_t clock_ns = 1000000000; /* the engine's clock, 100 ns a packet */

static void feed(struct vnet_acl *a, const uint8_t *f, const char *what)
{
	const char *why;
	int act;

	act = vnet_acl_frame(a, VNET_EGRESS, f, FRAME_LEN, clock_ns += 100,
			     NULL, &why, NULL, NULL);
	if (act != VNET_ACT_ALLOW) {
		fprintf(stderr, "acl_bench: %s: dropped (%s)\n", what, why);
		exit(1);
	}
}

/* The endpoints of the packet under test: it matches the last rule. */
static void test_flow(const struct scenario *s, uint32_t *src, uint32_t *dst,
		      uint16_t *dport)
{
	unsigned from, to, port;

	spread_rule(s, s->rules - 1, &from, &to, &port);
	*src = host_addr(from, 1);
	*dst = host_addr(to, 2);
	*dport = (uint16_t)port;
}

/* Establish connection i of the big table: source host 1..4, port
 * 10000 + i / 4; frame i of est[] is one of its data packets. */
static void big_table(struct vnet_acl *a, const struct scenario *s,
		      uint8_t *est)
{
	uint32_t src, dst, h;
	uint16_t dport, sport;
	uint8_t f[FRAME_LEN];
	unsigned i;

	test_flow(s, &src, &dst, &dport);
	for (i = 0; i < BIG_CONNS; i++) {
		h = src + i % 4;
		sport = (uint16_t)(10000 + i / 4);
		tcp_frame(f, h, sport, dst, dport, SYN);
		feed(a, f, "big table SYN");
		tcp_frame(f, dst, dport, h, sport, SYNACK);
		feed(a, f, "big table SYN/ACK");
		tcp_frame(est + (size_t)i * FRAME_LEN, h, sport, dst, dport, ACK);
		feed(a, est + (size_t)i * FRAME_LEN, "big table ACK");
	}
}

/* xorshift: the random order of the big-table packets. */
static uint32_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint32_t)(*x >> 11);
}

struct result {
	double match, miss, new_, est;
};

static double per(uint64_t t0, uint64_t t1, unsigned n)
{
	return (double)(t1 - t0) / n;
}

static void min_of(double *m, double v)
{
	if (*m == 0 || v < *m)
		*m = v;
}

static void measure(const struct scenario *s, struct result *res)
{
	uint8_t *syns, *est, *order_est = NULL, f[FRAME_LEN];
	struct vnet_policy_query q;
	const struct vnet_rule *r;
	uint32_t src, dst, *order = NULL;
	uint16_t dport;
	uint8_t smac[6] = { 2 }, dmac[6] = { 2 };
	unsigned run, i, nest;
	uint64_t t0, t1, x = 88172645463325252ull;
	volatile unsigned sink = 0;
	struct vnet_acl *a;

	memset(res, 0, sizeof(*res));
	test_flow(s, &src, &dst, &dport);
	syns = malloc((size_t)NEW_CONNS * FRAME_LEN);
	nest = s->big ? BIG_CONNS : 1;
	est = malloc((size_t)nest * FRAME_LEN);
	if (!syns || !est) {
		perror("acl_bench: malloc");
		exit(1);
	}
	/* New connections: from source hosts 11..14 (not those of the big
	 * table), distinct source ports. */
	for (i = 0; i < NEW_CONNS; i++)
		tcp_frame(syns + (size_t)i * FRAME_LEN, src + 10 + i % 4,
			  (uint16_t)(1024 + i / 4), dst, dport, SYN);

	/* The policy alone. */
	a = engine(s);
	memset(&q, 0, sizeof(q));
	q.dir = VNET_EGRESS;
	q.smac = smac;
	q.dmac = dmac;
	q.has_ip = 1;
	q.proto = 6;
	q.sport = 40000;
	q.saddr.family = q.daddr.family = AF_INET;
	vnet_put32(q.saddr.b, src);
	vnet_put32(q.daddr.b, dst);
	q.dport = dport;
	r = vnet_policy_match(vnet_acl_policy(a), &q);
	if (r->act != VNET_ACT_ALLOW || (r->flags & VNET_RULE_DEFAULT) ||
	    r->line != s->groups + s->rules) {
		fprintf(stderr, "acl_bench: %s: the test packet matched line %u, "
			"not the last rule\n", s->name, r->line);
		exit(1);
	}
	for (run = 0; run < RUNS; run++) {
		q.dport = dport;
		t0 = now_ns();
		for (i = 0; i < MATCH_LOOKUPS; i++) {
			q.sport = (uint16_t)(40000 + (i & 1023));
			sink += vnet_policy_match(vnet_acl_policy(a), &q)->id;
		}
		t1 = now_ns();
		min_of(&res->match, per(t0, t1, MATCH_LOOKUPS));
		q.dport = 9;
		t0 = now_ns();
		for (i = 0; i < MATCH_LOOKUPS; i++) {
			q.sport = (uint16_t)(40000 + (i & 1023));
			sink += vnet_policy_match(vnet_acl_policy(a), &q)->id;
		}
		t1 = now_ns();
		min_of(&res->miss, per(t0, t1, MATCH_LOOKUPS));
	}
	vnet_acl_free(a);

	for (run = 0; run < RUNS; run++) {
		a = engine(s);
		if (s->big)
			big_table(a, s, est);
		else {
			tcp_frame(f, src, 40000, dst, dport, SYN);
			feed(a, f, "SYN");
			tcp_frame(f, dst, dport, src, 40000, SYNACK);
			feed(a, f, "SYN/ACK");
			tcp_frame(est, src, 40000, dst, dport, ACK);
			feed(a, est, "ACK");
		}
		/* New connections. */
		t0 = now_ns();
		for (i = 0; i < NEW_CONNS; i++)
			sink += (unsigned)vnet_acl_frame(
				a, VNET_EGRESS, syns + (size_t)i * FRAME_LEN,
				FRAME_LEN, clock_ns += 100, NULL, NULL, NULL,
				NULL);
		t1 = now_ns();
		min_of(&res->new_, per(t0, t1, NEW_CONNS));
		if (vnet_acl_counter(a, VNET_ACL_CT_CREATED) <
		    (uint64_t)NEW_CONNS + nest) {
			fprintf(stderr, "acl_bench: %s: only %llu connections "
				"created\n", s->name, (unsigned long long)
				vnet_acl_counter(a, VNET_ACL_CT_CREATED));
			exit(1);
		}
		/* Established packets: of the one connection, or of the big
		 * table's in a random order (built once). */
		if (s->big && !order) {
			order = malloc(sizeof(*order) * EST_PACKETS);
			order_est = est;
			if (!order) {
				perror("acl_bench: malloc");
				exit(1);
			}
			for (i = 0; i < EST_PACKETS; i++)
				order[i] = rnd(&x) % BIG_CONNS;
		}
		t0 = now_ns();
		if (s->big) {
			for (i = 0; i < EST_PACKETS; i++)
				sink += (unsigned)vnet_acl_frame(
					a, VNET_EGRESS,
					order_est + (size_t)order[i] * FRAME_LEN,
					FRAME_LEN, clock_ns += 100, NULL, NULL,
					NULL, NULL);
		} else {
			for (i = 0; i < EST_PACKETS; i++)
				sink += (unsigned)vnet_acl_frame(
					a, VNET_EGRESS, est, FRAME_LEN,
					clock_ns += 100, NULL, NULL, NULL, NULL);
		}
		t1 = now_ns();
		min_of(&res->est, per(t0, t1, EST_PACKETS));
		if (vnet_acl_counter(a, VNET_ACL_ALLOWED_ESTABLISHED) <
		    EST_PACKETS) {
			fprintf(stderr, "acl_bench: %s: established packets "
				"dropped\n", s->name);
			exit(1);
		}
		vnet_acl_free(a);
	}
	(void)sink;
	free(order);
	free(syns);
	free(est);
}

static void table(int quiet)
{
	struct result res[sizeof(scenarios) / sizeof(scenarios[0])];
	unsigned i, n = sizeof(scenarios) / sizeof(scenarios[0]);

	for (i = 0; i < n; i++) {
		if (!quiet)
			fprintf(stderr, "acl_bench: %s ...\n", scenarios[i].name);
		measure(&scenarios[i], &res[i]);
	}
	printf("| scenario | rules | groups | match ns | x 10 rules | "
	       "miss ns | x 10 rules | new conn ns/pkt | x 10 rules | "
	       "established ns/pkt | x 10 rules |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
	       "| ---: | ---: |\n");
	for (i = 0; i < n; i++)
		printf("| %s | %u | %u | %.1f | %.2f | %.1f | %.2f | %.1f | "
		       "%.2f | %.1f | %.2f |\n",
		       scenarios[i].name, scenarios[i].rules,
		       scenarios[i].groups, res[i].match,
		       res[i].match / res[0].match, res[i].miss,
		       res[i].miss / res[0].miss, res[i].new_,
		       res[i].new_ / res[0].new_, res[i].est,
		       res[i].est / res[0].est);
}

static int write_policy(const char *path)
{
	size_t len;
	char *t = policy_text(&scenarios[0], &len);
	FILE *f = fopen(path, "w");

	if (!t || !f || fwrite(t, 1, len, f) != len || fclose(f)) {
		perror(path);
		free(t);
		return 1;
	}
	free(t);
	return 0;
}

static int write_pcap(const char *path, unsigned long frames)
{
	static const struct {
		uint32_t magic;
		uint16_t major, minor;
		uint32_t zone, sigfigs, snaplen, linktype;
	} hdr = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1 };
	uint32_t src, dst, rec[4];
	uint16_t dport, sport;
	uint8_t f[FRAME_LEN];
	unsigned long i;
	uint64_t t = 1700000000ull * 1000000;
	FILE *o = fopen(path, "wb");

	if (!o) {
		perror(path);
		return 1;
	}
	test_flow(&scenarios[0], &src, &dst, &dport);
	/* Host byte order throughout: readers take either. */
	fwrite(&hdr, sizeof(hdr), 1, o);
	for (i = 0; i < frames; i++, t++) {
		unsigned c = (unsigned)(i % 64);

		sport = (uint16_t)(20000 + c);
		if (i < 64)
			tcp_frame(f, src, sport, dst, dport, SYN);
		else if (i < 128)
			tcp_frame(f, dst, dport, src, sport, SYNACK);
		else if (i < 192 || (i / 64) % 2)
			tcp_frame(f, src, sport, dst, dport, ACK);
		else
			tcp_frame(f, dst, dport, src, sport, ACK);
		rec[0] = (uint32_t)(t / 1000000);
		rec[1] = (uint32_t)(t % 1000000);
		rec[2] = rec[3] = FRAME_LEN;
		fwrite(rec, sizeof(rec), 1, o);
		fwrite(f, FRAME_LEN, 1, o);
	}
	if (fclose(o)) {
		perror(path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--policy"))
		return write_policy(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "--pcap"))
		return write_pcap(argv[2], strtoul(argv[3], NULL, 10));
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "-q"))) {
		table(argc == 2);
		return 0;
	}
	fprintf(stderr, "usage: acl_bench [-q] | --policy FILE | "
			"--pcap FILE FRAMES\n");
	return 2;
}
