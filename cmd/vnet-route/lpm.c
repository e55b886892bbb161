/* SPDX-License-Identifier: ISC */
/* lpm.c -- a binary trie for longest-prefix match (lpm.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-route/lpm.h"

#define NONE 0xffffffffu

struct node {
	uint32_t child[2]; /* indexes into nodes[], NONE */
	uint32_t value;
	uint8_t has;
};

struct route_lpm {
	unsigned bits;
	struct node *nodes;
	uint32_t n, cap; /* nodes[0] is the root */
	size_t count;
};

static int bit(const uint8_t *key, unsigned i)
{
	return (key[i >> 3] >> (7 - (i & 7))) & 1;
}

struct route_lpm *route_lpm_new(unsigned bits)
{
	struct route_lpm *l;

	if (bits != 32 && bits != 128) {
		errno = EINVAL;
		return NULL;
	}
	if (!(l = calloc(1, sizeof(*l))))
		return NULL;
	l->bits = bits;
	l->cap = 64;
	if (!(l->nodes = malloc(l->cap * sizeof(*l->nodes)))) {
		free(l);
		return NULL;
	}
	l->n = 1;
	l->nodes[0] = (struct node){ { NONE, NONE }, 0, 0 };
	return l;
}

void route_lpm_free(struct route_lpm *l)
{
	if (!l)
		return;
	free(l->nodes);
	free(l);
}

int route_lpm_insert(struct route_lpm *l, const uint8_t *key, unsigned plen,
		     uint32_t value)
{
	uint32_t cur = 0;
	unsigned i;

	if (plen > l->bits)
		return -EINVAL;
	for (i = 0; i < plen; i++) {
		int b = bit(key, i);

		if (l->nodes[cur].child[b] == NONE) {
			if (l->n == l->cap) {
				struct node *nn;

				if (l->cap > (NONE >> 2))
					return -ENOMEM;
				nn = realloc(l->nodes,
					     2 * (size_t)l->cap * sizeof(*nn));
				if (!nn)
					return -ENOMEM;
				l->nodes = nn;
				l->cap *= 2;
			}
			l->nodes[l->n] = (struct node){ { NONE, NONE }, 0, 0 };
			l->nodes[cur].child[b] = l->n++;
		}
		cur = l->nodes[cur].child[b];
	}
	if (!l->nodes[cur].has)
		l->count++;
	l->nodes[cur].has = 1;
	l->nodes[cur].value = value;
	return 0;
}

int route_lpm_lookup(const struct route_lpm *l, const uint8_t *key,
		     uint32_t *value, unsigned *plen)
{
	uint32_t cur = 0;
	unsigned i = 0;
	int found = 0;

	for (;;) {
		const struct node *nd = &l->nodes[cur];

		if (nd->has) {
			found = 1;
			if (value)
				*value = nd->value;
			if (plen)
				*plen = i;
		}
		if (i == l->bits || nd->child[bit(key, i)] == NONE)
			break;
		cur = nd->child[bit(key, i)];
		i++;
	}
	return found;
}

int route_lpm_get(const struct route_lpm *l, const uint8_t *key, unsigned plen,
		  uint32_t *value)
{
	uint32_t cur = 0;
	unsigned i;

	if (plen > l->bits)
		return 0;
	for (i = 0; i < plen; i++)
		if ((cur = l->nodes[cur].child[bit(key, i)]) == NONE)
			return 0;
	if (!l->nodes[cur].has)
		return 0;
	if (value)
		*value = l->nodes[cur].value;
	return 1;
}

size_t route_lpm_count(const struct route_lpm *l)
{
	return l->count;
}

/* Depth first, 0 before 1; key holds the path so far. */
static int walk(const struct route_lpm *l, uint32_t cur, uint8_t *key,
		unsigned depth,
		int (*fn)(void *, const uint8_t *, unsigned, uint32_t),
		void *arg)
{
	const struct node *nd = &l->nodes[cur];
	int b, r;

	if (nd->has && (r = fn(arg, key, depth, nd->value)))
		return r;
	for (b = 0; b < 2; b++) {
		if (nd->child[b] == NONE)
			continue;
		if (b)
			key[depth >> 3] |= (uint8_t)(0x80 >> (depth & 7));
		r = walk(l, nd->child[b], key, depth + 1, fn, arg);
		key[depth >> 3] &= (uint8_t)~(0x80 >> (depth & 7));
		if (r)
			return r;
	}
	return 0;
}

int route_lpm_walk(const struct route_lpm *l,
		   int (*fn)(void *arg, const uint8_t *key, unsigned plen,
			     uint32_t value),
		   void *arg)
{
	uint8_t key[16];

	memset(key, 0, sizeof(key));
	return walk(l, 0, key, 0, fn, arg);
}
