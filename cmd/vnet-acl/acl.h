/* SPDX-License-Identifier: ISC */
/* acl.h -- the vnet-acl engine: a policy (policy.h) and a connection
 * table (ct.h) deciding frame by frame.
 *
 * The packet path, vnet_acl_frame():
 *   - a frame that does not parse (pkt.h err set, shorter than an
 *     Ethernet header) is dropped as "malformed";
 *   - ARP, IPv6 neighbour discovery and MLD (ICMPv6 types 130-137, 143)
 *     and non-IP frames follow the policy's arp / nd / other settings;
 *   - an IP packet is looked up in the connection table: a packet of a
 *     tracked connection passes ("established" in the direction that
 *     opened it, "reply" the other way), an ICMP error quoting one passes
 *     ("related"), a TCP packet no state allows is dropped ("invalid");
 *   - anything else opens a connection and is matched against the
 *     policy: the first matching rule, else the default of the segment,
 *     decides.  Allowed: the connection is tracked (a full table or a
 *     segment over its quota drops it, "ct-full" / "ct-quota"); ICMP
 *     errors and echo replies pass untracked.  Denied or rejected:
 *     dropped ("policy", or "default" for a default pseudo-rule).  A
 *     reject also builds the answer: a TCP RST from the destination
 *     (RFC 793 reset generation), else an ICMP destination unreachable,
 *     administratively prohibited (v4 type 3 code 13, v6 type 1 code 1),
 *     from the destination address, MACs swapped, VLAN tags kept.  No
 *     answer is built for a RST, an ICMP error, a non-first fragment, a
 *     broadcast or multicast frame or address, or past the reject rate
 *     limit (100 a second, burst 200).
 *
 * Before all of this, the segment of a frame is decided by segment.h's
 * rule: untagged or priority-tagged frames are segment 0, an 802.1Q tag
 * with VID 1..4094 is that segment; a frame with no segment (stacked tags,
 * an 802.1ad S-tag outermost, VID 4095) is dropped whatever the policy
 * says ("stacked-tag", "s-tag", "reserved-vid"), a tag cut short is
 * "malformed".  The engine never prints: the lines of the drop log
 * (config.log) go to the program's callback, config.log_line.
 *
 * Errors: vnet_acl_new() returns NULL with errno set; others as stated.
 */
#ifndef VNET_ACL_H
#define VNET_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vnet-acl/ct.h"
#include "vnet/mid.h"
#include "vnet-acl/policy.h"
#include "vnet/stream.h"

/* The largest answer vnet_acl_frame() builds: an ICMPv6 error of 1280
 * bytes behind an Ethernet header and two tags. */
#define VNET_ACL_REPLY_MAX (VNET_ETH_HLEN + 2 * VNET_VLAN_HLEN + 1280)

struct vnet_acl_config {
	struct vnet_ct_config ct;
	int log;     /* log denied/rejected frames and those of `log` rules */
	int explain; /* --explain: no answers are built for rejects */
	/* With log: called with each drop log line, "deny egress segment
	 * 0: tcp A:P > B:Q [S] (policy FILE:LINE)", and now; the program
	 * prints it (rate-limited).  NULL: no log. */
	void (*log_line)(void *arg, uint64_t now, const char *line);
	void *log_arg;
	/* A frame that a default denied or rejected, the likely sign of a
	 * missing rule: called for the first of each segment (*said is 0)
	 * with "drop_default: segment 0: default deny dropped egress tcp
	 * A:P > B:Q [S]; add a rule or `default allow`", and with
	 * warn_all for every later one too; the program says it once and
	 * then rate-limited (log.h's vnet_log_first, which sets *said).
	 * Not in explain mode.  NULL: nothing is said. */
	void (*warn)(void *arg, uint64_t now, uint8_t *said, const char *line);
	void *warn_arg;
	int warn_all;
};

/* The counters, in the order vnet_acl_print_counters() writes them. */
enum vnet_acl_ctr {
	VNET_ACL_FRAMES_EGRESS,
	VNET_ACL_FRAMES_INGRESS,
	VNET_ACL_PASSED_EGRESS,
	VNET_ACL_PASSED_INGRESS,
	VNET_ACL_ALLOWED_NEW,
	VNET_ACL_ALLOWED_ESTABLISHED,
	VNET_ACL_ALLOWED_RELATED,
	VNET_ACL_ALLOWED_ARP,
	VNET_ACL_ALLOWED_ND,
	VNET_ACL_ALLOWED_OTHER,
	VNET_ACL_DROP_POLICY,
	VNET_ACL_DROP_DEFAULT,
	VNET_ACL_DROP_INVALID,
	VNET_ACL_DROP_CT_FULL,
	VNET_ACL_DROP_CT_QUOTA,
	VNET_ACL_DROP_MALFORMED,
	VNET_ACL_DROP_STACKED_TAG,  /* no segment (segment.h) */
	VNET_ACL_DROP_S_TAG,
	VNET_ACL_DROP_RESERVED_VID,
	VNET_ACL_DROP_ARP,
	VNET_ACL_DROP_ND,
	VNET_ACL_DROP_OTHER,
	VNET_ACL_REJECTS_SENT,	    /* counted by the caller */
	VNET_ACL_REJECT_UNSENDABLE, /* no answer built, or not sendable */
	VNET_ACL_CT_ENTRIES,	    /* from ct.h's stats when printed */
	VNET_ACL_CT_CREATED,
	VNET_ACL_CT_EXPIRED,
	VNET_ACL_CT_EVICTED,
	VNET_ACL_CT_REVOKED,
	VNET_ACL_RELOADS,
	VNET_ACL_RELOAD_FAILED,	    /* counted by the caller */
	VNET_ACL_POLICY_GENERATION,
	VNET_ACL_STREAM_TRUNCATED,  /* vnet_acl_set_stream_stats() */
	VNET_ACL_STREAM_OVERSIZE,
	VNET_ACL_STREAM_RUNT,
	VNET_ACL_STREAM_NOT_ETHERNET,
	VNET_ACL_STREAM_TRAILING_BYTES,
	VNET_ACL_LEFT_TX_QUEUE_DROPS, /* vnet_acl_set_queue_drops() */
	VNET_ACL_RIGHT_TX_QUEUE_DROPS,
	VNET_ACL_CTR_MAX
};

struct vnet_acl;

/* A new engine with policy p (owned from now on, also on failure) and a
 * connection table as configured.  NULL with errno (EINVAL: a bad ct
 * configuration; ENOMEM). */
struct vnet_acl *vnet_acl_new(struct vnet_policy *p,
			      const struct vnet_acl_config *c);
void vnet_acl_free(struct vnet_acl *a); /* takes NULL */
/* Seed the connection table's hash (deterministic replay with
 * --clock pcap); -EBUSY once a connection is tracked. */
int vnet_acl_set_seed(struct vnet_acl *a, uint64_t seed);

/* Decide one frame of direction dir.  Returns VNET_ACT_ALLOW, DENY or
 * REJECT (the frame is dropped in both latter cases); *why is a static
 * reason ("new", "established", "reply", "related", "arp", "nd",
 * "invalid", "ct-full", "ct-quota", "malformed", "stacked-tag", "s-tag",
 * "reserved-vid", "other", "policy", "default"); *rule the deciding rule
 * (for tracked traffic: the rule that opened the connection) or NULL (ARP,
 * ND, other, malformed, no segment, invalid).
 * out is NULL or VNET_ACL_REPLY_MAX bytes: for a REJECT the answer is
 * built there, its length in *outlen (0 when there is none; outlen may be
 * NULL when out is).  rule and why may be NULL. */
int vnet_acl_frame(struct vnet_acl *a, enum vnet_dir dir, const uint8_t *data,
		   size_t len, uint64_t now, const struct vnet_rule **rule,
		   const char **why, uint8_t *out, size_t *outlen);

/* Replace the policy (owned from now on): every tracked connection is
 * matched again as its opening packet (segment, direction, MACs,
 * addresses, protocol, ports) against p; it stays if p allows it (its
 * rule id updated) and is removed otherwise.  The per-rule counters start
 * again from zero for p's rules; the generation goes up by one.  Returns
 * the number of connections removed. */
unsigned vnet_acl_replace_policy(struct vnet_acl *a, struct vnet_policy *p);
const struct vnet_policy *vnet_acl_policy(const struct vnet_acl *a);
uint32_t vnet_acl_generation(const struct vnet_acl *a); /* 1 at start */

/* Timers: expires idle connections (at most once a second by now). */
void vnet_acl_tick(struct vnet_acl *a, uint64_t now);

/* Counters: add n to one the engine cannot see itself (rejects_sent,
 * reject_unsendable, reload_failed); read one. */
void vnet_acl_count(struct vnet_acl *a, enum vnet_acl_ctr c, uint64_t n);
uint64_t vnet_acl_counter(const struct vnet_acl *a, enum vnet_acl_ctr c);
const char *vnet_acl_counter_name(enum vnet_acl_ctr c);
/* Set the stream_* counters to the sum of n readers' statistics. */
void vnet_acl_set_stream_stats(struct vnet_acl *a,
			       const struct vnet_sr_stats *const *s,
			       unsigned n);
/* Set the *_tx_queue_drops counters: the frames the left and the right
 * output queue dropped (stream.h). */
void vnet_acl_set_queue_drops(struct vnet_acl *a, uint64_t left,
			      uint64_t right);
/* Per-rule counters of rule id (NULL past the last). */
struct vnet_acl_rule_stats { uint64_t packets, bytes, conns; };
const struct vnet_acl_rule_stats *vnet_acl_rule_stats(const struct vnet_acl *a,
						      unsigned id);
/* Every counter as "name<TAB>value" lines, zeros too, then the per-rule
 * ones: rule:FILE:LINE:packets|bytes|conns (the builtin default:
 * rule:default:...).  Flushes f. */
void vnet_acl_print_counters(struct vnet_acl *a, FILE *f);
/* The connection table as TSV (ct.h's vnet_ct_dump).  0 or -errno. */
int vnet_acl_dump_ct(struct vnet_acl *a, FILE *f, uint64_t now);

/* A one-line summary of a frame, as --explain and the drop log print it:
 * "tcp 198.19.1.1:40000 > 198.19.1.2:80 [S]", "udp ...", "icmp A > B
 * echo-request", "arp who-has A tell B", "ether 0x88cc", ...  Returns
 * buf. */
const char *vnet_acl_summary(const uint8_t *data, size_t len, char *buf,
			     size_t n);
/* The rule as FILE:LINE ("default" for the builtin default) into buf;
 * returns buf. */
const char *vnet_acl_rule_name(const struct vnet_rule *r, char *buf, size_t n);

#endif
