/* SPDX-License-Identifier: ISC */
/* ct.c -- libFuzzer harness for connection tracking: a stream of frames
 * through vnet_pkt_parse() and vnet_ct_lookup/create/expire on a tiny
 * table, checking the table's invariants after every step.
 *
 * Input: records of  CTL (1 byte)  LEN (2 bytes, big-endian)  FRAME.
 * CTL: bits 0-1 advance the clock by 0, 1 s, 7 s or 100 s; bit 2 create
 * on MISS; bit 3 as a reserve connection; bit 4 expire (budget from bits
 * 5-6, 0 = all), or without bit 4 and with bits 5-6 both set, remove the
 * entry the lookup found; bit 7 walk, removing every entry whose sport is
 * odd.
 * The segment is the frame's VLAN ID modulo 8.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-acl/ct.h"
#include "vnet/pkt.h"

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define SEC   1000000000ull
#define MAX   8
#define QUOTA 4
#define NSEG  8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

struct tally {
	unsigned n, seg[NSEG], nonres[NSEG];
	int remove_odd;
};

static int count(void *arg, struct vnet_ct_entry *e)
{
	struct tally *t = arg;

	CHECK(e->segment < NSEG);
	CHECK(e->state <= VNET_CT_OTHER);
	CHECK(e->dir <= 1 && e->reserve <= 1);
	CHECK(e->last_seen >= e->created);
	CHECK(e->packets[0] >= 1);
	if (t->remove_odd && (e->sport & 1))
		return 1;
	t->n++;
	t->seg[e->segment]++;
	t->nonres[e->segment] += !e->reserve;
	return 0;
}

static void check_table(struct vnet_ct *ct, int remove_odd, int deep)
{
	const struct vnet_ct_stats *s = vnet_ct_stats(ct);
	struct tally t;
	uint64_t sum = 0;

	memset(&t, 0, sizeof(t));
	t.remove_odd = remove_odd;
	vnet_ct_walk(ct, count, &t);
	CHECK(s->entries <= MAX);
	CHECK(t.n == s->entries);
	for (int i = 0; i < NSEG; i++) {
		CHECK(t.seg[i] == vnet_ct_segment_count(ct, (uint16_t)i));
		CHECK(t.nonres[i] <= QUOTA);
		sum += vnet_ct_segment_count(ct, (uint16_t)i);
	}
	CHECK(sum == s->entries);
	CHECK(s->created - s->expired - s->evicted - s->removed == s->entries);
	/* The full structural check costs O(4096): not after every frame. */
	if (deep)
		CHECK(vnet_ct_check(ct) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static FILE *null;
	struct vnet_ct_config c;
	struct vnet_ct *ct;
	uint64_t now = SEC;
	size_t off = 0;
	unsigned nrec = 0;

	if (!null)
		null = fopen("/dev/null", "w");
	vnet_ct_config_default(&c);
	c.max = MAX;
	c.reserve = 2;
	c.quota = QUOTA;
	for (int i = 0; i < VNET_CT_T_MAX; i++)
		c.timeout[i] = (uint64_t)(i + 2) * SEC;
	ct = vnet_ct_new(&c);
	CHECK(ct);
	CHECK(vnet_ct_set_seed(ct, 1) == 0);

	while (len - off >= 3) {
		static const uint64_t step[4] = {0, SEC, 7 * SEC, 100 * SEC};
		uint8_t ctl = data[off];
		size_t flen = (size_t)data[off + 1] << 8 | data[off + 2];
		struct vnet_ct_entry *e = NULL, *e2;
		struct vnet_pkt p;
		enum vnet_ct_res r;
		uint16_t seg;

		off += 3;
		if (flen > len - off)
			flen = len - off;
		now += step[ctl & 3];
		if (vnet_pkt_parse(data + off, flen, &p) == 0) {
			seg = p.layers & VNET_L_VLAN ? p.vlan % NSEG : 0;
			r = vnet_ct_lookup(ct, &p, seg, now, &e);
			CHECK(r <= VNET_CT_INVALID);
			if (r == VNET_CT_ORIG || r == VNET_CT_REPLY ||
			    r == VNET_CT_RELATED)
				CHECK(e && e->segment == seg);
			else
				CHECK(!e);
			if (r != VNET_CT_RELATED && e)
				CHECK(e->last_seen == now ||
				      e->last_seen > now);
			if (r == VNET_CT_MISS && (ctl & 4)) {
				int x = vnet_ct_create(ct, &p, seg, ctl >> 7,
						       ctl & 8, now, &e);

				CHECK(x == 0 || x == -ENOSPC || x == -EDQUOT ||
				      x == -EINVAL);
				if (x == 0) {
					CHECK(e && e->segment == seg);
					CHECK(!!e->reserve == !!(ctl & 8));
					/* Now it is found. */
					CHECK(vnet_ct_lookup(ct, &p, seg, now,
							     &e2) ==
					      VNET_CT_ORIG);
					CHECK(e2 == e);
				} else {
					CHECK(!e);
				}
			}
		}
		off += flen;
		if (e && (ctl & 0x70) == 0x60)
			vnet_ct_remove(ct, e);
		if (ctl & 0x10)
			vnet_ct_expire(ct, now, (ctl >> 5) & 3);
		check_table(ct, ctl >> 7, ++nrec % 8 == 0 || len - off < 3);
	}
	if (null)
		CHECK(vnet_ct_dump(ct, null, now) == 0);
	vnet_ct_expire(ct, now + 1000 * SEC, 0);
	CHECK(vnet_ct_stats(ct)->entries == 0);
	vnet_ct_free(ct);
	return 0;
}
