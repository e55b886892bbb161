/* SPDX-License-Identifier: ISC */
/* test_budget.c -- unit tests for a chain's MTU budget (vnet-pipe/budget.h). */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "vnet-pipe/budget.h"

static int parse(const char *s, struct budget_stage *st)
{
	struct vnet_err e;

	return budget_parse(s, strlen(s), st, &e);
}

static void test_parse_fields(void)
{
	struct budget_stage s;

	T_EQ(parse("{\"program\":\"vnet-encap\",\"vni\":100,\"map\":null,"
		   "\"x\":{\"a\":[1,2.5e3,true,false,null,\"\\u0041\"]},"
		   "\"inner_framing\":\"tap\",\"outer_framing\":\"udp\","
		   "\"overhead\":50,\"inner_mtu\":1450,\"outer_mtu\":1500}\n",
		   &s), 0);
	T_ASSERT(s.known);
	T_STREQ(s.program, "vnet-encap");
	T_STREQ(s.inner, "tap");
	T_STREQ(s.outer, "udp");
	T_EQ(s.overhead, 50u);
	T_EQ(s.inner_mtu, 1450u);
	T_EQ(s.outer_mtu, 1500u);
	/* null: any */
	T_EQ(parse(" { \"inner_mtu\" : null , \"outer_mtu\":null } ", &s), 0);
	T_EQ(s.inner_mtu, 0u);
	T_EQ(parse("{}", &s), 0);
	T_ASSERT(s.known);
	/* A long string is cut, not overflowed. */
	T_EQ(parse("{\"inner_framing\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		   &s), 0);
	T_EQ(strlen(s.inner), sizeof(s.inner) - 1);
}

static void test_parse_refuses(void)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}",
		"{\"a\":1} x", "{\"overhead\":-1}", "{\"overhead\":1.5}",
		"{\"inner_mtu\":70000}", "{\"inner_mtu\":\"1450\"}",
		"{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}",
		"{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
		"{\"a\":1e}", "{\"a\":-}", "{\"a\":\"\\u12\"}",
	};
	struct budget_stage s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &s) != -EINVAL)
			T_FAIL("accepted %s", bad[i]);
		T_ASSERT(!s.known);
	}
}

static struct budget_stage stage(const char *prog, unsigned o, unsigned in,
				 unsigned out)
{
	struct budget_stage s = { .known = 1, .overhead = o, .inner_mtu = in,
				  .outer_mtu = out };

	strcpy(s.program, prog);
	return s;
}

static void test_chain_nested(void)
{
	/* The README's nested overlay: tap, VXLAN 100 on a stream, VXLAN
	 * 200 on UDP with --mtu 1500. */
	struct budget_stage s[4] = {
		stage("vnet-tap", 0, 0, 0),
		stage("vnet-encap", 50, 1400, 1450),
		stage("vnet-encap", 50, 1450, 1500),
	};
	struct budget_chain c;

	T_EQ(budget_chain(s, 3, &c), 0);
	T_EQ(c.overhead, 100u);
	T_EQ(c.inner_mtu, 1400u);
	T_EQ(c.outer_mtu, 1500u);
	T_EQ(c.bad, -1);
	/* A firewall and an unknown member in between change nothing. */
	s[3] = s[2];
	s[2] = stage("vnet-acl", 0, 0, 0);
	s[1].known = 0;
	T_EQ(budget_chain(s, 4, &c), 0);
	T_EQ(c.inner_mtu, 1450u);
	T_EQ(c.overhead, 50u);
}

static void test_chain_refuses(void)
{
	struct budget_stage s[3] = {
		stage("vnet-tap", 0, 1401, 1401),
		stage("vnet-encap", 50, 1400, 1450),
		stage("vnet-encap", 50, 1450, 1500),
	};
	struct budget_chain c;

	T_EQ(budget_chain(s, 3, &c), -EMSGSIZE);
	T_EQ(c.bad, 0);
	T_EQ(c.need, 1401u);
	T_EQ(c.have, 1400u);
	/* The exact size fits. */
	s[0] = stage("vnet-tap", 0, 1400, 1400);
	T_EQ(budget_chain(s, 3, &c), 0);
	/* A middle VTEP whose --mtu is the default 1500. */
	s[1] = stage("vnet-encap", 50, 1450, 1500);
	T_EQ(budget_chain(s, 3, &c), -EMSGSIZE);
	T_EQ(c.bad, 1);
	T_EQ(c.need, 1500u);
	T_EQ(c.have, 1450u);
}

static void test_chain_turned(void)
{
	/* A translation: VXLAN on UDP at the left end, turned round, and
	 * NVGRE on UDP at the right; inner sides back to back. */
	struct budget_stage s[2] = {
		stage("vnet-encap", 50, 1450, 1500),
		stage("vnet-encap", 42, 1458, 1500),
	};
	struct budget_chain c;

	strcpy(s[0].outer, "udp");
	strcpy(s[1].outer, "udp");
	T_EQ(budget_chain(s, 2, &c), 0);
	T_ASSERT(c.turned);
	T_EQ(c.inner_mtu, 1450u);
	T_EQ(c.outer_mtu, 1500u);
	T_EQ(c.overhead, 92u);
	/* The other way round the NVGRE side hands on more than VXLAN
	 * carries. */
	s[1] = s[0];
	s[0] = stage("vnet-encap", 42, 1458, 1500);
	strcpy(s[0].outer, "udp");
	T_EQ(budget_chain(s, 2, &c), -EMSGSIZE);
	T_EQ(c.bad, 0);
	T_EQ(c.need, 1458u);
	T_EQ(c.have, 1450u);
	/* A stream outside is not turned: the nested case. */
	strcpy(s[0].outer, "pcap");
	s[0].outer_mtu = 1450;
	T_EQ(budget_chain(s, 2, &c), 0);
	T_ASSERT(!c.turned);
	/* Alone, a VTEP is no translation. */
	strcpy(s[0].outer, "udp");
	T_EQ(budget_chain(s, 1, &c), 0);
	T_ASSERT(!c.turned);
}

int main(void)
{
	T_RUN(test_parse_fields);
	T_RUN(test_parse_refuses);
	T_RUN(test_chain_nested);
	T_RUN(test_chain_refuses);
	T_RUN(test_chain_turned);
	return T_DONE();
}
