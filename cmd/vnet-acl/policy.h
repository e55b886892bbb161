/* SPDX-License-Identifier: ISC */
/* policy.h -- the vnet-acl policy language: parse, and match a connection.
 *
 * The language is described in vnet-acl.policy(5).  A parsed policy is
 * immutable: parsing is pure (it returns a new policy or NULL and an error,
 * never touching another policy), so a reload parses the new file and
 * swaps only on success.  vnet_policy_match() does not scan the rule list:
 * it resolves the source and destination endpoints to their group sets,
 * then looks the candidate rules up in an index keyed by (from-group,
 * to-group), protocol and destination port, and takes the lowest rule id.
 *
 * Errors: the constructors return NULL with errno set and *err (err.h)
 * filled: "FILE:LINE: what is wrong" is err->obj, err->line and err->msg.
 */
#ifndef VNET_POLICY_H
#define VNET_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/addr.h"
#include "vnet/err.h"

/* Limits; going past one is a parse error. */
#define VNET_POLICY_MAX_RULES	  65536
#define VNET_POLICY_MAX_GROUPS	  65536
#define VNET_POLICY_MAX_WORKLOADS 65536
#define VNET_POLICY_MAX_LINE	  4096 /* bytes of a logical line */
#define VNET_POLICY_MAX_DEPTH	  8    /* include nesting */
#define VNET_POLICY_MAX_NAME	  63

struct vnet_policy;

/* Load PATH with its includes.  NULL on error, *err filled (errno EINVAL
 * for a policy error; ENOENT etc. for I/O, with msg = strerror and line
 * 0: the error is about the file as a whole). */
struct vnet_policy *vnet_policy_load(const char *path, struct vnet_err *err);
/* Parse a buffer named `name`; includes are resolved relative to base_dir
 * (NULL: refused, "include not allowed here"). */
struct vnet_policy *vnet_policy_parse(const char *buf, size_t len,
				      const char *name, const char *base_dir,
				      struct vnet_err *err);
/* Takes NULL. */
void vnet_policy_free(struct vnet_policy *p);

enum vnet_act { VNET_ACT_ALLOW, VNET_ACT_DENY, VNET_ACT_REJECT };
enum { VNET_RULE_LOG = 1, VNET_RULE_RESERVE = 2, VNET_RULE_DEFAULT = 4 };
struct vnet_rule {
	unsigned id; /* 0..vnet_policy_nrules()-1; rules first, then the
		      * default pseudo-rules */
	enum vnet_act act;
	unsigned flags;	  /* VNET_RULE_* */
	const char *file; /* as given / as resolved for includes;
			   * "(builtin)" for the builtin default */
	unsigned line;	  /* 0 for the builtin default */
	const char *text; /* the rule as written, one line, normalised
			   * blanks (for --explain) */
};
struct vnet_policy_query {
	uint16_t segment;
	int dir; /* enum vnet_dir */
	const uint8_t *smac, *dmac;
	int has_ip;
	struct vnet_addr saddr, daddr; /* family from saddr */
	uint8_t proto;		       /* IP protocol; 0 with has_ip = 0 */
	uint16_t sport, dport;	       /* TCP/UDP */
	uint8_t icmp_type, icmp_code;  /* ICMP / ICMPv6 */
};
/* The rule that decides a new connection: never NULL (a default
 * pseudo-rule when none matches).  smac/dmac may be NULL (no MAC: MAC
 * selectors do not match).  has_ip = 0 (a non-IP frame): only rules
 * without proto (or proto any) can match, and prefix selectors never do.
 * The endpoints are (smac, saddr, segment) and (dmac, daddr, segment); an
 * endpoint's workloads are the one with its MAC and the one with its
 * address (label and workload selectors match if either does).  The
 * pointer lives as long as p.  No allocation; uses scratch memory held
 * in p, so calls on one policy must not run concurrently (one thread per
 * policy, as in the packet loop). */
const struct vnet_rule *vnet_policy_match(const struct vnet_policy *p,
					  const struct vnet_policy_query *q);
/* Rules plus default pseudo-rules: ids 0..R-1 are the rules in file order
 * (includes expanded in place), then one pseudo-rule per `default` line in
 * file order (flags VNET_RULE_DEFAULT, file/line of the line), then always
 * the builtin default (deny, "(builtin)", line 0, text "default deny"),
 * even when a `default` line without segment makes it unreachable. */
unsigned vnet_policy_nrules(const struct vnet_policy *p);
/* NULL if id >= vnet_policy_nrules(). */
const struct vnet_rule *vnet_policy_rule(const struct vnet_policy *p,
					 unsigned id);
/* The default pseudo-rule of a segment (what match returns when no rule
 * matches a connection in that segment). */
const struct vnet_rule *vnet_policy_default(const struct vnet_policy *p,
					    uint16_t segment);
enum vnet_act vnet_policy_arp(const struct vnet_policy *p); /* ALLOW/DENY */
enum vnet_act vnet_policy_nd(const struct vnet_policy *p);
enum vnet_act vnet_policy_other(const struct vnet_policy *p);
/* Summary for --check: groups, workloads, rules (not counting defaults;
 * groups count distinct names, without the builtin any). */
void vnet_policy_summary(const struct vnet_policy *p, unsigned *groups,
			 unsigned *workloads, unsigned *rules);
/* What --check warns about in a valid policy, each warning handed to fn
 * once, as an error (err.h) whose obj and line are where it is written
 * and whose msg starts with "warning: ":
 *   - a group that can match no workload: each of its lines needs a
 *     label that no workload with a mac or an ip carries, a workload
 *     without a mac or an ip, or a group that matches none (selectors of
 *     addresses, MACs and segments may match endpoints that are not
 *     workloads, so they never make a group empty);
 *   - a rule that can never match, because an earlier rule (whatever its
 *     action) matches every packet it does: the same or a wider
 *     direction, protocol, ports, source ports, ICMP types and segments,
 *     between any or the same groups, or groups that hold them (a group
 *     with a line of group selectors only holds the groups it names);
 *   - a rule that repeats an earlier one (the same match and action).
 * The rule check compares at most 2^30 pairs of rules and says so when
 * it stops early.  Returns the number of warnings. */
unsigned vnet_policy_lint(const struct vnet_policy *p,
			  void (*fn)(void *arg, const struct vnet_err *w),
			  void *arg);
/* "allow", "deny", "reject". */
const char *vnet_policy_act_name(enum vnet_act a);

#endif
