/* SPDX-License-Identifier: ISC */
/* policy.c -- libFuzzer harness for the policy language (vnet_policy_parse,
 * vnet_policy_match). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-acl/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Bytes for the queries, taken cyclically from the input so that the
 * fuzzer steers them too. */
struct bytes {
	const uint8_t *p;
	size_t n, i;
};

static uint8_t byte(struct bytes *b)
{
	return b->n ? b->p[b->i++ % b->n] : 0;
}

static void addr(struct bytes *b, struct vnet_addr *a, int v6)
{
	static const uint8_t base4[4] = {198, 18, 0, 0};
	static const uint8_t base6[16] = {0x20, 0x01, 0x0d, 0xb8};
	int i;

	memset(a, 0, sizeof(*a));
	a->family = v6 ? AF_INET6 : AF_INET;
	memcpy(a->b, v6 ? base6 : base4, v6 ? 16 : 4);
	/* Mostly near the documentation ranges, sometimes anything. */
	for (i = byte(b) & 1 ? 0 : (v6 ? 12 : 2); i < (v6 ? 16 : 4); i++)
		a->b[i] = byte(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_err err;
	struct vnet_policy *p;
	struct bytes b = {data, size, 0};
	unsigned groups, workloads, rules, n, i;
	uint8_t smac[6], dmac[6];

	memset(&err, 0, sizeof(err));
	p = vnet_policy_parse((const char *)data, size, "fuzz.policy", NULL,
			      &err);
	if (!p) {
		check(errno == EINVAL || errno == ENOMEM);
		check(err.msg[0] != '\0');
		check(!strcmp(err.obj, "fuzz.policy"));
		check(err.line >= 1);
		return 0;
	}
	vnet_policy_summary(p, &groups, &workloads, &rules);
	n = vnet_policy_nrules(p);
	check(rules < n && n <= VNET_POLICY_MAX_RULES + 1);
	check(groups <= VNET_POLICY_MAX_GROUPS);
	check(workloads <= VNET_POLICY_MAX_WORKLOADS);
	check(vnet_policy_rule(p, n) == NULL);
	check(vnet_policy_rule(p, n - 1)->flags & VNET_RULE_DEFAULT);
	check(vnet_policy_arp(p) != VNET_ACT_REJECT);
	check(vnet_policy_nd(p) != VNET_ACT_REJECT);
	check(vnet_policy_other(p) != VNET_ACT_REJECT);

	for (i = 0; i < 8; i++) {
		struct vnet_policy_query q;
		const struct vnet_rule *r;
		int v6 = byte(&b) & 1;

		memset(&q, 0, sizeof(q));
		q.segment = (uint16_t)(byte(&b) << 8 | byte(&b));
		if (q.segment > 4095 && (q.segment & 0x100))
			q.segment &= 0x3ff;
		q.dir = byte(&b) & 1;
		q.has_ip = (byte(&b) & 7) != 0;
		smac[0] = 2;
		dmac[0] = 2;
		for (int j = 1; j < 6; j++) {
			smac[j] = j < 4 ? 0 : byte(&b);
			dmac[j] = j < 4 ? 0 : byte(&b);
		}
		q.smac = byte(&b) & 3 ? smac : NULL;
		q.dmac = byte(&b) & 3 ? dmac : NULL;
		if (q.has_ip) {
			addr(&b, &q.saddr, v6);
			addr(&b, &q.daddr, v6);
			q.proto = byte(&b);
			if (q.proto & 0x80)
				q.proto = (q.proto & 1) ? 6 : 17;
			q.sport = (uint16_t)(byte(&b) << 8 | byte(&b));
			q.dport = (uint16_t)(byte(&b) << 8 | byte(&b));
			q.icmp_type = byte(&b);
			q.icmp_code = byte(&b);
		}
		r = vnet_policy_match(p, &q);
		check(r != NULL);
		check(r->id < n);
		check(vnet_policy_rule(p, r->id) == r);
		check(r->act == VNET_ACT_ALLOW || r->act == VNET_ACT_DENY ||
		      r->act == VNET_ACT_REJECT);
		check(r->file != NULL && r->text != NULL);
		check(!(r->flags & VNET_RULE_DEFAULT) == (r->id < rules));
		if (r->flags & VNET_RULE_DEFAULT)
			check(r == vnet_policy_default(p, q.segment));
	}
	vnet_policy_free(p);
	return 0;
}
