/* SPDX-License-Identifier: ISC */
/* ilist.h -- intrusive doubly linked lists over an array, linked by
 * 32-bit indexes (the LRU and ageing lists of the bounded tables).
 *
 * The elements live in one array; each carries a struct vnet_ilink per
 * list it can be on.  A list is named by its struct vnet_ilist (head and
 * tail indexes) and reached through (l0, stride): l0 points at the link
 * of element 0, stride is the size of an element, so element i's link is
 * l0 + i * stride bytes.  VNET_ILIST_NIL ends a list.  Every operation is
 * O(1) and the callers keep i in range; an element is on a list at most
 * once.  Nothing fails, nothing allocates.
 */
#ifndef VNET_ILIST_H
#define VNET_ILIST_H

#include <stddef.h>
#include <stdint.h>

#define VNET_ILIST_NIL UINT32_MAX

struct vnet_ilink {
	uint32_t prev, next;
};

struct vnet_ilist {
	uint32_t head, tail;
};

static inline void vnet_ilist_init(struct vnet_ilist *l)
{
	l->head = l->tail = VNET_ILIST_NIL;
}

/* The link of element i. */
static inline struct vnet_ilink *vnet_ilist_link(void *l0, size_t stride,
						 uint32_t i)
{
	return (struct vnet_ilink *)((char *)l0 + (size_t)i * stride);
}

/* Put element i (on no list l) after element `after` of l, or at the
 * head when after is NIL. */
static inline void vnet_ilist_insert(struct vnet_ilist *l, void *l0,
				     size_t stride, uint32_t i, uint32_t after)
{
	struct vnet_ilink *k = vnet_ilist_link(l0, stride, i);

	k->prev = after;
	k->next = after == VNET_ILIST_NIL
		      ? l->head
		      : vnet_ilist_link(l0, stride, after)->next;
	if (k->next != VNET_ILIST_NIL)
		vnet_ilist_link(l0, stride, k->next)->prev = i;
	else
		l->tail = i;
	if (after != VNET_ILIST_NIL)
		vnet_ilist_link(l0, stride, after)->next = i;
	else
		l->head = i;
}

static inline void vnet_ilist_push_head(struct vnet_ilist *l, void *l0,
					size_t stride, uint32_t i)
{
	vnet_ilist_insert(l, l0, stride, i, VNET_ILIST_NIL);
}

static inline void vnet_ilist_push_tail(struct vnet_ilist *l, void *l0,
					size_t stride, uint32_t i)
{
	vnet_ilist_insert(l, l0, stride, i, l->tail);
}

/* Take element i (on list l) off it; its links become NIL. */
static inline void vnet_ilist_del(struct vnet_ilist *l, void *l0, size_t stride,
				  uint32_t i)
{
	struct vnet_ilink *k = vnet_ilist_link(l0, stride, i);

	if (k->prev != VNET_ILIST_NIL)
		vnet_ilist_link(l0, stride, k->prev)->next = k->next;
	else
		l->head = k->next;
	if (k->next != VNET_ILIST_NIL)
		vnet_ilist_link(l0, stride, k->next)->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = VNET_ILIST_NIL;
}

/* Move element i (on list l) to the head: most recently used. */
static inline void vnet_ilist_move_head(struct vnet_ilist *l, void *l0,
					size_t stride, uint32_t i)
{
	if (l->head != i) {
		vnet_ilist_del(l, l0, stride, i);
		vnet_ilist_push_head(l, l0, stride, i);
	}
}

#endif
