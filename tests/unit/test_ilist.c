/* SPDX-License-Identifier: ISC */
/* test_ilist.c -- index-linked intrusive lists (lib/vnet/ilist.h). */
#include <stdint.h>

#include "harness.h"
#include "vnet/ilist.h"

/* Elements with two links at different offsets, as ct and flow have. */
struct el {
	uint64_t payload;
	struct vnet_ilink a;
	uint8_t pad[3];
	struct vnet_ilink b;
};

static struct el els[8];

/* The (l0, stride) arguments of list link a and of list link b. */
#define LA &els[0].a, sizeof(els[0])
#define LB &els[0].b, sizeof(els[0])

/* The list as digits head to tail, checked backwards too; "!" if the
 * links do not agree. */
static const char *walk(const struct vnet_ilist *l, int which)
{
	static char buf[32];
	uint32_t i, prev = VNET_ILIST_NIL;
	size_t n = 0;

	for (i = l->head; i != VNET_ILIST_NIL && n < 16; n++) {
		const struct vnet_ilink *k = which ? &els[i].b : &els[i].a;

		if (k->prev != prev)
			return "!";
		buf[n] = (char)('0' + i);
		prev = i;
		i = k->next;
	}
	if (i != VNET_ILIST_NIL || l->tail != prev)
		return "!";
	buf[n] = '\0';
	return buf;
}

static void test_push_del(void)
{
	struct vnet_ilist l;

	vnet_ilist_init(&l);
	T_STREQ(walk(&l, 0), "");
	T_EQ(l.head, VNET_ILIST_NIL);
	vnet_ilist_push_head(&l, LA, 1);
	T_STREQ(walk(&l, 0), "1");
	vnet_ilist_push_head(&l, LA, 2);
	vnet_ilist_push_tail(&l, LA, 3);
	vnet_ilist_push_head(&l, LA, 0);
	T_STREQ(walk(&l, 0), "0213");
	vnet_ilist_del(&l, LA, 2); /* middle */
	T_STREQ(walk(&l, 0), "013");
	T_EQ(els[2].a.prev, VNET_ILIST_NIL);
	T_EQ(els[2].a.next, VNET_ILIST_NIL);
	vnet_ilist_del(&l, LA, 0); /* head */
	T_STREQ(walk(&l, 0), "13");
	vnet_ilist_del(&l, LA, 3); /* tail */
	T_STREQ(walk(&l, 0), "1");
	vnet_ilist_del(&l, LA, 1); /* last */
	T_STREQ(walk(&l, 0), "");
	T_EQ(l.tail, VNET_ILIST_NIL);
	vnet_ilist_push_tail(&l, LA, 7);
	vnet_ilist_push_tail(&l, LA, 6);
	T_STREQ(walk(&l, 0), "76");
	vnet_ilist_insert(&l, LA, 5, 7);
	vnet_ilist_insert(&l, LA, 4, 6);
	T_STREQ(walk(&l, 0), "7564");
}

static void test_move_head_two_lists(void)
{
	struct vnet_ilist a, b;
	uint32_t i;

	vnet_ilist_init(&a);
	vnet_ilist_init(&b);
	for (i = 0; i < 5; i++) {
		vnet_ilist_push_head(&a, LA, i); /* LRU: newest first */
		vnet_ilist_push_tail(&b, LB, i); /* age: oldest first */
	}
	T_STREQ(walk(&a, 0), "43210");
	T_STREQ(walk(&b, 1), "01234");
	vnet_ilist_move_head(&a, LA, 0);
	T_STREQ(walk(&a, 0), "04321");
	vnet_ilist_move_head(&a, LA, 2);
	vnet_ilist_move_head(&a, LA, 2); /* already there */
	T_STREQ(walk(&a, 0), "20431");
	/* The other list is not touched. */
	T_STREQ(walk(&b, 1), "01234");
	vnet_ilist_del(&b, LB, 4);
	T_STREQ(walk(&b, 1), "0123");
	T_STREQ(walk(&a, 0), "20431");
}

int main(void)
{
	T_RUN(test_push_del);
	T_RUN(test_move_head_two_lists);
	return T_DONE();
}
