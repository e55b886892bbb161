/* SPDX-License-Identifier: ISC */
/* acl.c -- libFuzzer harness for the vnet-acl packet path (vnet_acl_frame)
 * with a fixed policy, a small connection table, reloads and rejects.
 *
 * Input: records of [ctrl][len lo][len hi][len bytes of frame].  ctrl bit
 * 0 is the direction, bits 1-3 step the clock (0, 1 us, 1 ms, 100 ms, 1 s,
 * 10 s, 100 s, 2 h), bits 6-7: 0-1 a frame, 2 a frame then a tick, 3 no
 * frame but bit 0 clear: a reload (to the other policy), set: counters
 * and the table dumped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-acl/acl.h"
#include "vnet/csum.h"
#include "vnet/log.h"
#include "vnet/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_a[] =
	"workload web1 mac 02:00:00:00:00:01 ip 198.19.1.1 ip 2001:db8::1 "
	"label app=web\n"
	"workload db1 mac 02:00:00:00:00:02 ip 198.19.1.2 ip 2001:db8::2 "
	"label app=db\n"
	"group web label app=web\n"
	"group db label app=db\n"
	"group net prefix 198.19.0.0/16 prefix 2001:db8::/32\n"
	"allow egress from web to db proto tcp port 5432 log\n"
	"reject from any to db proto tcp port 22\n"
	"reject from any to db proto udp port 53\n"
	"allow from net to net proto icmp type echo-request\n"
	"allow from net to net proto icmp6 type echo-request\n"
	"allow from any to any proto udp port 1000-2000 reserve\n"
	"deny segment 100 from any to any proto tcp\n"
	"reject from any to any proto 47\n"
	"default segment 100 reject\n"
	"default deny\n"
	"arp allow\n"
	"nd allow\n"
	"other deny\n";

static const char policy_b[] =
	"group net prefix 198.19.0.0/16 prefix 2001:db8::/32\n"
	"allow from net to net proto udp\n"
	"allow from net to net proto tcp port 22,5432\n"
	"reject from any to any\n"
	"arp deny\n"
	"nd deny\n"
	"other allow\n";

static const uint64_t steps[8] = {
	0, 1000, 1000000, 100000000, 1000000000, 10000000000ULL,
	100000000000ULL, 7200000000000ULL,
};

static void check(int ok)
{
	if (!ok)
		abort();
}

static struct vnet_policy *policy(int which)
{
	struct vnet_err err;
	const char *t = which ? policy_b : policy_a;

	return vnet_policy_parse(t, strlen(t), which ? "b.policy" : "a.policy",
				 NULL, &err);
}

static int csum_ok(const struct vnet_pkt *r)
{
	const uint8_t *l4 = r->data + r->l4_off;
	uint32_t l4len = (uint32_t)(r->l3_off + r->l3_len - r->l4_off), sum = 0;

	if ((r->layers & VNET_L_IPV4) &&
	    vnet_ip4_csum(r->data + r->l3_off, r->l4_off - r->l3_off) != 0)
		return 0;
	if (!(r->layers & VNET_L_IPV4) || r->ip_proto != 1)
		sum = vnet_csum_pseudo(&r->saddr, &r->daddr, r->ip_proto, l4len);
	return vnet_csum_fold(vnet_csum_add(sum, l4, l4len)) == 0;
}

/* The answer to a rejected frame: sound, checksummed, back to the sender. */
static void check_answer(const uint8_t *in, size_t inlen, const uint8_t *out,
			 size_t outlen)
{
	struct vnet_pkt p, r;

	check(outlen >= 60 && outlen <= VNET_ACL_REPLY_MAX);
	check(vnet_pkt_parse(in, inlen, &p) == 0);
	check(vnet_pkt_parse(out, outlen, &r) == 0);
	check(r.err == VNET_PKT_OK);
	check(!memcmp(r.dst, p.src, 6) && !memcmp(r.src, p.dst, 6));
	check(r.vlan == p.vlan && r.ntags == p.ntags);
	check(vnet_addr_eq(&r.saddr, &p.daddr) && vnet_addr_eq(&r.daddr, &p.saddr));
	if (r.layers & VNET_L_TCP) {
		check(p.layers & VNET_L_TCP);
		check(r.tcp_flags & VNET_TCP_RST);
		check(!(p.tcp_flags & VNET_TCP_RST));
		check(r.sport == p.dport && r.dport == p.sport);
	} else {
		check(r.layers & VNET_L_ICMP);
		if (r.layers & VNET_L_IPV4)
			check(r.icmp_type == 3 && r.icmp_code == 13);
		else
			check(r.icmp_type == 1 && r.icmp_code == 1 &&
			      r.l3_len <= 1280);
	}
	check(csum_ok(&r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[VNET_ACL_REPLY_MAX];
	struct vnet_acl_config c;
	struct vnet_policy *p;
	struct vnet_acl *a;
	uint64_t now = 1700000000ULL * 1000000000ULL;
	size_t off = 0;
	int which = 0;
	FILE *null;

	vnet_log_init("fuzz-acl", -1); /* the drop log says nothing */
	p = policy(0);
	check(p != NULL); /* a fixed policy: it must parse */
	memset(&c, 0, sizeof(c));
	vnet_ct_config_default(&c.ct);
	c.ct.max = 16;
	c.ct.reserve = 2;
	c.ct.quota = 8;
	c.log = 1;
	if (!(a = vnet_acl_new(p, &c)))
		return 0;
	check(vnet_acl_set_seed(a, 42) == 0);
	null = fopen("/dev/null", "w");

	while (size - off >= 3) {
		uint8_t ctrl = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		const struct vnet_rule *rule;
		const char *why;
		char sum[64]; /* short: summaries get cut */
		size_t outlen = 12345;
		int act;

		off += 3;
		now += steps[(ctrl >> 1) & 7];
		if ((ctrl >> 6) == 3) {
			if (!(ctrl & 1)) {
				which = !which;
				p = policy(which);
				check(p != NULL);
				vnet_acl_replace_policy(a, p);
			} else if (null) {
				vnet_acl_print_counters(a, null);
				check(vnet_acl_dump_ct(a, null, now) == 0);
			}
			continue;
		}
		if (len > size - off)
			len = size - off;
		act = vnet_acl_frame(a, (enum vnet_dir)(ctrl & 1), data + off,
				     len, now, &rule, &why, out, &outlen);
		check(act == VNET_ACT_ALLOW || act == VNET_ACT_DENY ||
		      act == VNET_ACT_REJECT);
		check(why != NULL);
		check(outlen == 0 || act == VNET_ACT_REJECT);
		if (outlen)
			check_answer(data + off, len, out, outlen);
		vnet_acl_summary(data + off, len, sum, sizeof(sum));
		check(strlen(sum) < sizeof(sum));
		if (rule)
			check(vnet_policy_rule(vnet_acl_policy(a), rule->id) ==
			      rule);
		off += len;
		if ((ctrl >> 6) == 2)
			vnet_acl_tick(a, now);
	}
	check(vnet_acl_counter(a, VNET_ACL_CT_ENTRIES) <= 16);
	check(vnet_acl_counter(a, VNET_ACL_FRAMES_EGRESS) +
		      vnet_acl_counter(a, VNET_ACL_FRAMES_INGRESS) >=
	      vnet_acl_counter(a, VNET_ACL_PASSED_EGRESS) +
		      vnet_acl_counter(a, VNET_ACL_PASSED_INGRESS));
	if (null)
		fclose(null);
	vnet_acl_free(a);
	return 0;
}
