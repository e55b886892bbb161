/* SPDX-License-Identifier: ISC */
/* flowexport.c -- libFuzzer harness for vnet-flowexport's path: frames ->
 * classification (VXLAN decap, segment, VLAN map) -> a tiny flow cache -> IPFIX
 * messages in memory, every message decoded and checked.
 *
 * Input: 4 bytes of settings, then records of
 *     1 byte   time step (ms) before the frame
 *     2 bytes  frame length, big-endian
 *     N bytes  the frame
 * Settings: byte 0 bits 0-2 the cache size - 1, bit 3 the nfdump profile,
 * bit 4 decap, bit 5 no template refresh (else every 3 messages or 50 ms),
 * bits 6-7 the sampling (1, 2, 3 or 7); byte 1 the idle timeout (ms * 4),
 * byte 2 the active timeout (ms * 16), byte 3 the message size (400 +
 * 4 * byte).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet-flowexport/flow.h"
#include "vnet-flowexport/ipfix.h"
#include "vnet/segment.h"
#include "vnet/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                           \
	do {                                                               \
		if (!(c))                                                  \
			abort();                                           \
	} while (0)

#define MS 1000000ULL

struct state {
	struct vnet_flow_cache *fc;
	struct vnet_ipfix *x;
	size_t msg_max;
	enum vnet_ipfix_profile profile;
	uint32_t next_seq;
	int seen_tpl;
	uint16_t tlen[3], pkt_off[3]; /* templates 256..258 as received */
	uint64_t now;
	/* What the metering put in and what came out. */
	uint64_t in_packets, in_bytes, out_packets, out_bytes, out_records;
	uint64_t wire_records, wire_packets;
};

/* Decode one message strictly; count the flow records and packets. */
static int on_msg(void *arg, const uint8_t *m, size_t len)
{
	struct state *s = arg;
	size_t off = 16, end, rl;
	unsigned sid, slen, nrec = 0, i, n, nf, scope;
	uint16_t *tlen = s->tlen, *pkt_off = s->pkt_off;

	CHECK(len >= 16 && len <= s->msg_max);
	CHECK(vnet_get16(m) == 10 && vnet_get16(m + 2) == len);
	CHECK(vnet_get32(m + 4) == (uint32_t)(s->now / 1000000000ULL));
	CHECK(vnet_get32(m + 8) == s->next_seq);
	while (off < len) {
		CHECK(len - off >= 4);
		sid = vnet_get16(m + off);
		slen = vnet_get16(m + off + 2);
		CHECK(slen >= 4 && slen <= len - off);
		end = off + slen;
		off += 4;
		if (sid == 2 || sid == 3) {
			CHECK(nrec == 0); /* templates come first */
			while (off < end) {
				unsigned id, k;

				CHECK(end - off >= 4);
				id = vnet_get16(m + off);
				nf = vnet_get16(m + off + 2);
				off += 4;
				if (sid == 3) {
					scope = vnet_get16(m + off);
					CHECK(scope == 1);
					off += 2;
				}
				CHECK(id >= 256 && id <= 258);
				k = id - 256;
				tlen[k] = 0;
				for (i = 0; i < nf; i++) {
					CHECK(end - off >= 4);
					if (vnet_get16(m + off) == 2)
						pkt_off[k] = tlen[k];
					tlen[k] += vnet_get16(m + off + 2);
					off += 4;
				}
			}
			s->seen_tpl = 1;
		} else {
			CHECK(sid >= 256 && sid <= 258 && s->seen_tpl);
			rl = tlen[sid - 256];
			CHECK(rl == (sid == 258 ? 18
				     : vnet_ipfix_record_len(s->profile, sid)));
			CHECK(slen > 4 && (slen - 4) % rl == 0);
			n = (unsigned)((slen - 4) / rl);
			nrec += n;
			if (sid != 258) {
				for (i = 0; i < n; i++) {
					const uint8_t *p = m + off + i * rl +
							   pkt_off[sid - 256];

					s->wire_packets +=
						(uint64_t)vnet_get32(p) << 32 |
						vnet_get32(p + 4);
				}
				s->wire_records += n;
			}
			off = end;
		}
		CHECK(off == end);
	}
	s->next_seq += nrec;
	return 0;
}

static void on_flow(void *arg, const struct vnet_flow *f)
{
	struct state *s = arg;
	char json[VNET_FLOW_JSON_MAX];

	CHECK(f->packets >= 1 && f->bytes >= 20 * f->packets);
	CHECK(f->end_ns >= f->start_ns);
	CHECK(f->end_reason >= VNET_FLOW_END_IDLE &&
	      f->end_reason <= VNET_FLOW_END_LACK);
	CHECK(vnet_flow_json(f, json, sizeof(json)) > 0);
	s->out_packets += f->packets;
	s->out_bytes += f->bytes;
	s->out_records++;
	vnet_ipfix_add(s->x, f, s->now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vnet_flow_classify cls;
	struct vnet_flow_config fcfg;
	struct vnet_ipfix_config icfg;
	const struct vnet_flow_stats *st;
	struct state s;
	struct vnet_flow obs;
	size_t off = 4, flen;
	uint32_t sample[4] = { 1, 2, 3, 7 };
	int decap, r;

	if (size < 4)
		return 0;
	memset(&s, 0, sizeof(s));
	vnet_flow_classify_init(&cls);
	cls.vlan_vni[0] = 42;
	cls.vlan_vni[100] = 5000;
	if (data[0] & 0x10) {
		cls.vxlan_ports[0] = 4789;
		cls.vxlan_ports[1] = 8472;
		cls.nports = 2;
	}
	memset(&fcfg, 0, sizeof(fcfg));
	fcfg.max_flows = (data[0] & 7) + 1u;
	fcfg.idle_ns = data[1] * 4 * MS;
	fcfg.active_ns = data[2] * 16 * MS;
	fcfg.sample_n = sample[data[0] >> 6];
	fcfg.expired = on_flow;
	fcfg.arg = &s;
	memset(&icfg, 0, sizeof(icfg));
	icfg.domain = 1;
	icfg.profile = data[0] & 8 ? VNET_IPFIX_NFDUMP : VNET_IPFIX_STANDARD;
	s.profile = icfg.profile;
	icfg.msg_max = s.msg_max = 400 + 4u * data[3];
	icfg.refresh_msgs = data[0] & 0x20 ? 0 : 3;
	icfg.refresh_ns = data[0] & 0x20 ? 0 : 50 * MS;
	icfg.sample_n = fcfg.sample_n;
	s.now = 1700000000ULL * 1000000000ULL;
	s.fc = vnet_flow_new(&fcfg);
	s.x = vnet_ipfix_new(&icfg);
	CHECK(s.fc && s.x);
	vnet_flow_set_seed(s.fc, 1);
	vnet_ipfix_set_output(s.x, on_msg, &s);

	while (size - off >= 3) {
		s.now += data[off] * MS;
		flen = vnet_get16(data + off + 1);
		off += 3;
		if (flen > size - off)
			flen = size - off;
		vnet_flow_expire(s.fc, s.now, 4);
		if (vnet_flow_sample(s.fc)) {
			r = vnet_flow_from_frame(&cls, data + off, flen, &obs,
						 &decap);
			CHECK(r == 0 || r == -ENOENT || r == -EINVAL ||
			      r == VNET_SEG_STACKED || r == VNET_SEG_S_TAG ||
			      r == VNET_SEG_RESERVED_VID);
			CHECK(r <= 0 || !decap);
			if (!r) {
				CHECK(obs.key.ip_version == 4 ||
				      obs.key.ip_version == 6);
				CHECK(!decap || obs.key.segment <= 0xffffff);
				obs.key.in_if = 1;
				obs.key.out_if = 2;
				s.in_packets++;
				s.in_bytes += obs.bytes;
				vnet_flow_add(s.fc, &obs, s.now);
			}
		}
		off += flen;
		/* A partial message sent now and then. */
		if (flen && data[off - 1] == 0xff)
			vnet_ipfix_flush(s.x, s.now);
	}
	vnet_flow_expire(s.fc, s.now, 0);
	vnet_flow_flush(s.fc);
	vnet_ipfix_flush(s.x, s.now);

	st = vnet_flow_stats(s.fc);
	CHECK(st->active == 0);
	CHECK(st->created == st->idle + st->active_timeout + st->end +
				     st->forced + st->evicted);
	CHECK(s.out_records == st->created);
	CHECK(s.in_packets == s.out_packets && s.in_bytes == s.out_bytes);
	CHECK(s.wire_records == s.out_records);
	CHECK(s.wire_packets == s.out_packets);
	CHECK(vnet_ipfix_stats(s.x)->records_exported == s.out_records);
	vnet_ipfix_free(s.x);
	vnet_flow_free(s.fc);
	return 0;
}
