/* SPDX-License-Identifier: ISC */
/* ct.h -- connection tracking for vnet-acl: a bounded table of the
 * connections seen in each segment, with a TCP state machine, UDP and
 * ICMP echo pseudo-connections, ICMP errors as RELATED, per-state
 * timeouts, per-segment quotas and a reserved share.
 *
 * Bounded: the table holds at most config.max entries, all allocated by
 * vnet_ct_new(); lookups, creation and eviction never allocate and are
 * O(1) (amortised).  The hash is a keyed SipHash (hash.h) with a random
 * seed, so a host cannot pick tuples that collide.
 *
 * A connection is keyed by (segment, protocol, addresses, ports); the
 * entry holds them with the originator (the sender of the opening packet)
 * first, and a packet finds it in either orientation.  Keys:
 *   TCP, UDP      addresses and ports;
 *   ICMP echo     (requester, responder, echo identifier), the id in
 *                 sport and dport: a request (v4 8, v6 128) is ORIG, a
 *                 reply (v4 0, v6 129) is REPLY; a request the other way
 *                 is another connection;
 *   other ICMP    informational types that are neither errors nor echo
 *                 (timestamp, router advertisement, ...): addresses
 *                 only, ports 0, state ICMP;
 *   other proto   addresses and protocol, ports 0, state OTHER;
 *   no L4 header  a non-first IP fragment (VNET_L_FRAG without an L4
 *                 layer), or a UDP/ICMP header the parser rejected:
 *                 (addresses, protocol) only, like another protocol.
 *                 So a later fragment of a tracked TCP/UDP connection
 *                 does NOT find it: it is MISS and the policy decides on
 *                 it (with no ports); vnet_ct_create() tracks it as an
 *                 OTHER pseudo-connection.  We do not reassemble, and a
 *                 fragment carries no ports to tie it to a 5-tuple.
 * A TCP packet whose TCP header is missing (not a fragment) is INVALID;
 * a packet that is not IPv4/IPv6 or whose IP header chain the parser
 * rejected (l4_off 0) is MISS and vnet_ct_create() refuses it (-EINVAL).
 *
 * ICMP errors (v4 types 3, 4, 5, 11, 12; v6 1, 2, 3, 4) are never tracked
 * themselves: the quoted IP header (IPv6: with its extension headers) and
 * the first 8 bytes after it are parsed, bounds-checked against the outer
 * packet, and if they name a live tracked connection, in either
 * orientation, the error is RELATED, else MISS (also for a quote cut
 * short, malformed, or quoting an ICMP error).  The outer addresses are
 * not compared with the quoted ones.  vnet_ct_create() refuses an ICMP
 * error (-EINVAL).
 *
 * TCP (flags only; there are NO sequence number or window checks: any
 * ACK, data, FIN or RST with the right tuple is accepted):
 *   SYN (orig) -> SYN_SENT; SYN+ACK (reply) -> SYN_RECV; ACK (orig) ->
 *   ESTABLISHED; FIN from the originator -> FIN_WAIT, from the responder
 *   -> CLOSE_WAIT, then FIN from the other side -> TIME_WAIT; RST either
 *   way (in any state but CLOSED) -> CLOSED.  A SYN without ACK from the
 *   originator on a TIME_WAIT or CLOSED entry reopens it (SYN_SENT,
 *   unreplied again; counters and created kept).  Retransmitted SYN and
 *   SYN+ACK are accepted without a state change (SYN+ACK also in
 *   ESTABLISHED, where the ACK was lost).
 *   INVALID: without an entry, anything but a SYN without ACK (i.e.
 *   flags & (SYN|ACK|RST|FIN) == SYN); with one: SYN+ACK from the
 *   originator; SYN without ACK from the responder; a SYN from the
 *   originator past SYN_RECV except on TIME_WAIT/CLOSED; in SYN_SENT
 *   anything but SYN or RST from the originator and SYN+ACK or RST from
 *   the responder; on CLOSED anything but the reopening SYN; SYN with RST
 *   or FIN; a packet with none of SYN, ACK, RST.  An INVALID packet does
 *   not touch the entry (no state, timer, count or LRU change); counted
 *   in stats.invalid.
 * UDP: UDP_NEW, UDP_REPLIED from the first packet in the reply direction.
 * ICMP, OTHER: the state stays; the first reply marks them replied.
 *
 * Timeouts (config.timeout[], ns, of idleness): SYN_SENT, SYN_RECV
 * tcp-syn; ESTABLISHED tcp-est; FIN_WAIT, CLOSE_WAIT tcp-fin; TIME_WAIT,
 * CLOSED tcp-close; UDP_NEW udp; UDP_REPLIED udp-stream; ICMP icmp; OTHER
 * other.  An entry has expired when now - last_seen > its timeout
 * (strictly).  An expired entry that a lookup or create finds is removed
 * (counted as expired) and the call goes on as if it were absent.
 * Times are the caller's clock; a now before last_seen never expires an
 * entry and leaves last_seen as it is.
 *
 * Quotas: at most max entries; the last `reserve` free ones only for
 * connections created with reserve != 0 (so non-reserve connections get
 * at most max - reserve, counting reserve entries in use).  A segment
 * holds at most its quota (seg_quota[seg] if nonzero, else quota)
 * non-reserve entries; reserve entries do not count toward the quota
 * (they do count in vnet_ct_segment_count()).  See vnet_ct_create() for
 * eviction.  Replied means a packet was seen in the reply direction.

 * Entry pointers are into the table: valid until the entry is removed
 * (vnet_ct_remove, expiry, eviction by a create, walk removal).
 *
 * Errors: 0 or -errno; constructors return NULL with errno set.  Never
 * prints.
 */
#ifndef VNET_CT_H
#define VNET_CT_H

#include <stdint.h>
#include <stdio.h>

#include "vnet/addr.h"
#include "vnet/pkt.h"

#define VNET_CT_SEGMENTS 4096	    /* segments 0..4095 (VLAN IDs) */
#define VNET_CT_MAX	 (1u << 24) /* largest config.max */

enum { VNET_CT_T_TCP_SYN, VNET_CT_T_TCP_EST, VNET_CT_T_TCP_FIN, VNET_CT_T_TCP_CLOSE,
       VNET_CT_T_UDP, VNET_CT_T_UDP_STREAM, VNET_CT_T_ICMP, VNET_CT_T_OTHER, VNET_CT_T_MAX };

struct vnet_ct_config {
	uint32_t max;		/* entries, all allocated at creation (default 65536) */
	uint32_t reserve;	/* entries only reserve-rule connections may use (default max/16) */
	uint32_t quota;		/* default per-segment cap (default (max - reserve) / 2) */
	uint32_t *seg_quota;	/* NULL or 4096 entries: per-segment cap, 0 = use quota */
	uint64_t timeout[VNET_CT_T_MAX]; /* ns; see below */
};

/* defaults: 30s 7200s 120s 10s 30s 180s 30s 60s; names tcp-syn tcp-est
 * tcp-fin tcp-close udp udp-stream icmp other.  seg_quota NULL. */
void vnet_ct_config_default(struct vnet_ct_config *c);
/* Set c->max and the values derived from it as the defaults derive them:
 * reserve max/16, quota (max - reserve)/2 (at least 1).  Call it before
 * overriding reserve or quota. */
void vnet_ct_config_set_max(struct vnet_ct_config *c, uint32_t max);
int vnet_ct_timeout_parse(const char *name); /* index or -1 */
const char *vnet_ct_timeout_name(int i);     /* NULL if out of range */

enum vnet_ct_state { VNET_CT_SYN_SENT, VNET_CT_SYN_RECV, VNET_CT_ESTABLISHED, VNET_CT_FIN_WAIT,
		     VNET_CT_CLOSE_WAIT, VNET_CT_TIME_WAIT, VNET_CT_CLOSED,
		     VNET_CT_UDP_NEW, VNET_CT_UDP_REPLIED, VNET_CT_ICMP, VNET_CT_OTHER };

struct vnet_ct_entry {		/* readable by callers; changed only by ct.c */
	uint16_t segment; uint8_t proto; uint8_t dir;	/* dir of the opening packet */
	struct vnet_addr saddr, daddr;			/* originator -> responder */
	uint16_t sport, dport;				/* ICMP echo: id in both */
	uint8_t smac[6], dmac[6];			/* of the opening packet */
	uint8_t state; uint8_t reserve;
	unsigned rule_id; uint32_t generation;		/* set by the caller */
	uint64_t created, last_seen;
	uint64_t packets[2], bytes[2];			/* [0] originator->responder, [1] reply */
	/* Added to the spec's fields: */
	uint8_t icmp_type, icmp_code;	/* ICMP/ICMPv6 opening packet's (echo request, ...); else 0 */
	uint8_t noports;		/* 1: keyed by (addresses, proto) only although proto is TCP, UDP
					   or ICMP (opened by a later fragment or a bad L4 header) */
};

enum vnet_ct_res {
	VNET_CT_MISS,	  /* no entry: the caller classifies and may vnet_ct_create() */
	VNET_CT_ORIG,	  /* packet of a tracked connection, originator direction */
	VNET_CT_REPLY,	  /* reply direction */
	VNET_CT_RELATED,  /* ICMP error whose quoted header belongs to a tracked connection */
	VNET_CT_INVALID,  /* TCP packet that no state allows (non-SYN with no entry, SYN/ACK from the originator, ...) */
};

struct vnet_ct;

/* A table as configured (c NULL: the defaults).  EINVAL: max 0 or above
 * VNET_CT_MAX, reserve > max, quota 0 (use vnet_ct_config_default() to
 * get the derived defaults), a zero timeout.  seg_quota is copied. */
struct vnet_ct *vnet_ct_new(const struct vnet_ct_config *c);	/* NULL + errno */
void vnet_ct_free(struct vnet_ct *ct);				/* takes NULL */
int vnet_ct_set_seed(struct vnet_ct *ct, uint64_t seed);	/* deterministic replay; -EBUSY if not empty */

/* Look up p (parsed, IP) in segment seg; advances the TCP state machine, timers, counts, LRU.
   MISS for a TCP packet without entry is returned only for a SYN without ACK; other TCP
   without entry is INVALID.  *e set for ORIG/REPLY/RELATED (for RELATED: the entry of the
   quoted connection, whose counters and timer are not touched), else NULL.
   A packet that is not IPv4/IPv6 is MISS.  INVALID is counted (stats.invalid),
   RELATED too (stats.related).  Bytes counted are p->len. */
enum vnet_ct_res vnet_ct_lookup(struct vnet_ct *ct, const struct vnet_pkt *p, uint16_t seg,
				uint64_t now, struct vnet_ct_entry **e);

/* Track a new connection opened by p.  0 and *e, or -ENOSPC (table full, nothing evictable),
   -EDQUOT (segment over its quota, nothing of its own evictable).  Eviction: when the segment
   is at quota or the table is full, the least recently used *unreplied* entry (TCP SYN_SENT,
   UDP_NEW, ICMP without reply) of the same segment (at quota) / of any segment (table full)
   is evicted and counted; established connections are never evicted for a new one.
   reserve != 0: may also use the reserved share and is not held to the segment quota.
   Details:
   - a non-reserve connection is created without eviction only while fewer than
     max - reserve entries (reserve ones included) are in use; past that it replaces the
     LRU unreplied non-reserve entry of any segment (so the table does not grow), else
     -ENOSPC;
   - a reserve connection evicts only when all max entries are in use, and then the LRU
     unreplied non-reserve entry, or failing that the LRU unreplied reserve entry;
   - before evicting or refusing, up to 64 of the most overdue entries are expired;
   - unreplied means no packet yet in the reply direction (TCP: also after a reopen);
     OTHER and non-echo ICMP entries count as unreplied until their first reply too;
     a CLOSED TCP entry (after a RST) is evictable like an unreplied one: it is dead,
     and a packet finds no difference (a SYN reopens it or opens a new one alike,
     anything else is INVALID either way), so a flood of refused connections cannot
     hold the table for tcp-close;
   - -EEXIST (with *e the existing entry) if p's connection is already tracked;
   - -EINVAL if p is not IP, is an ICMP error or an ICMP echo reply, is TCP other than a
     SYN without ACK, or seg > 4095: an ICMP error or echo reply that the policy allows
     passes untracked;
   - refusals are counted (refused_full / refused_quota), evictions in evicted;
   - the new entry has dir, reserve, created = last_seen = now, the opening packet counted
     in packets[0]/bytes[0] (p->len), rule_id and generation 0. */
int vnet_ct_create(struct vnet_ct *ct, const struct vnet_pkt *p, uint16_t seg, int dir,
		   int reserve, uint64_t now, struct vnet_ct_entry **e);
/* Remove an entry (counted in stats.removed). */
void vnet_ct_remove(struct vnet_ct *ct, struct vnet_ct_entry *e);
/* Remove expired entries, looking at most `budget` entries (0 = all).
   Entries are kept in one LRU list per timeout class, so only the
   oldest of each class are looked at: the cost is the number expired
   plus one per class, and a budgeted call removes the most overdue.
   Counted in stats.expired. */
void vnet_ct_expire(struct vnet_ct *ct, uint64_t now, unsigned budget);
/* Call fn for every entry; fn returns nonzero to remove it (reload; counted in stats.removed).
   fn may change rule_id and generation, and may vnet_ct_remove() the entry it is given (then
   its return value does not matter); it must not create entries or look packets up.  Order:
   by slot.  Expired entries not yet removed are included (vnet_ct_expire() first to skip them). */
void vnet_ct_walk(struct vnet_ct *ct, int (*fn)(void *arg, struct vnet_ct_entry *e), void *arg);
/* TSV, one line per entry: SEG PROTO SADDR SPORT DADDR DPORT STATE DIR RULE_ID AGE_S IDLE_S PKTS_O BYTES_O PKTS_R BYTES_R
   PROTO is tcp/udp/icmp/icmp6 or the number; STATE vnet_ct_state_name(); DIR egress/ingress;
   AGE_S and IDLE_S whole seconds.  No header line.  Order: by slot in the table (the same
   for the same sequence of calls and seed).  Expired entries not yet removed are included.
   0 or -EIO if writing failed. */
int vnet_ct_dump(const struct vnet_ct *ct, FILE *f, uint64_t now);

/* entries now in the table; created by vnet_ct_create(); expired (by vnet_ct_expire() or
   found expired by a lookup/create); evicted for a new connection; refused_full (-ENOSPC),
   refused_quota (-EDQUOT); invalid and related lookups; removed by vnet_ct_remove() or walk.
   Always entries == created - expired - evicted - removed. */
struct vnet_ct_stats { uint64_t entries, created, expired, evicted, refused_full, refused_quota, invalid, related, removed; };
const struct vnet_ct_stats *vnet_ct_stats(const struct vnet_ct *ct);
/* Entries of segment seg now in the table (reserve ones included); 0 for seg > 4095. */
uint32_t vnet_ct_segment_count(const struct vnet_ct *ct, uint16_t seg);
/* Check the table's internal structure (hash chains, LRU and eviction lists, free list,
   per-segment counts): 0, -EUCLEAN if inconsistent, -ENOMEM.  O(max + buckets + 4096);
   for tests and fuzzing. */
int vnet_ct_check(const struct vnet_ct *ct);
/* "SYN_SENT", ..., "UDP_NEW", "UDP_REPLIED", "ICMP", "OTHER"; "?" out of range. */
const char *vnet_ct_state_name(int state);

#endif
