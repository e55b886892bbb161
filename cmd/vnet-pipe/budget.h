/* SPDX-License-Identifier: ISC */
/* budget.h -- the MTU budget of a chain, from its members' --describe.
 *
 * Each member of a vnet-pipe chain that is a vnet program says, with
 * --describe, what it adds between its inner (left) and outer (right)
 * side and the largest packets they carry (vnet(7) MTU BUDGET).  Here
 * those objects are read back and walked from the fabric end: each
 * member's outer MTU must fit what the member on its right carries.
 * Errors: 0 or -errno, with a struct vnet_err filled.  Nothing prints.
 */
#ifndef VNET_PIPE_BUDGET_H
#define VNET_PIPE_BUDGET_H

#include <stddef.h>

#include "vnet/err.h"

#define BUDGET_DEPTH 16 /* deepest nesting of a describe object read */

/* One member, as its --describe said (0: any, or not said). */
struct budget_stage {
	int known;		/* a describe object was read */
	char program[32];
	char inner[16], outer[16]; /* framing of each side */
	unsigned overhead, inner_mtu, outer_mtu;
};

/* Read the describe object at p (len bytes, one JSON object; members
 * other than the budget's are skipped, whatever they hold) into s.  0,
 * or -EINVAL with e's msg saying what is wrong ("not a JSON object",
 * "bad value of 'overhead'", ...). */
int budget_parse(const char *p, size_t len, struct budget_stage *s,
		 struct vnet_err *e);

/* The chain's sum. */
struct budget_chain {
	unsigned overhead;  /* the members' overheads added up */
	unsigned inner_mtu; /* what the left end may hand in; 0: any */
	unsigned outer_mtu; /* what the right end needs; 0: any */
	int bad;	    /* the member that does not fit, or -1 */
	unsigned need, have; /* its outer MTU, and what its right carries */
	int turned;	    /* a translation: the left end faces a fabric */
};

/* Walk the n members of s from the right: 0 and c filled when every
 * member fits, -EMSGSIZE with c->bad, need and have set when one does
 * not.  A member not known counts as one that adds nothing.
 * A left end (of two members or more) whose outer side is a fabric
 * (udp, tap) is turned round: its inner side faces the chain, as in a
 * translation of one encapsulation into another.  Then c->turned is
 * set, its inner MTU (the frames it decapsulates) must fit what the
 * rest carries (c->need is its inner MTU), and c->inner_mtu is the
 * largest frame the chain carries from one fabric to the other. */
int budget_chain(const struct budget_stage *s, unsigned n,
		 struct budget_chain *c);

#endif
