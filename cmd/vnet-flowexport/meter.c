/* SPDX-License-Identifier: ISC */
/* meter.c -- frames to flows to IPFIX messages and JSON lines. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "vnet/clock.h"
#include "vnet/segment.h"
#include "meter.h"

/* A partial message waits at most this long (by the one clock) for more
 * records before it is sent. */
#define MSG_HOLD_NS 1000000000ULL
/* At exit, how long a TCP collector gets to take what is queued. */
#define DRAIN_MS 3000

static const char *const names[C_MAX] = {
	[C_FRAMES] = "frames",
	[C_BYTES] = "bytes",
	[C_FRAMES_SAMPLED_OUT] = "frames_sampled_out",
	[C_FRAMES_NOT_IP] = "frames_not_ip",
	[C_FRAMES_MALFORMED] = "frames_malformed",
	[C_DROP_STACKED_TAG] = "drop_stacked_tag",
	[C_DROP_S_TAG] = "drop_s_tag",
	[C_DROP_RESERVED_VID] = "drop_reserved_vid",
	[C_DECAP_FRAMES] = "decap_frames",
	[C_FLOWS_ACTIVE] = "flows_active",
	[C_FLOWS_CREATED] = "flows_created",
	[C_FLOWS_IDLE] = "flows_idle",
	[C_FLOWS_ACTIVE_TIMEOUT] = "flows_active_timeout",
	[C_FLOWS_END] = "flows_end",
	[C_FLOWS_FORCED] = "flows_forced",
	[C_FLOWS_EVICTED] = "flows_evicted",
	[C_RECORDS_EXPORTED] = "records_exported",
	[C_MESSAGES_SENT] = "messages_sent",
	[C_TEMPLATES_SENT] = "templates_sent",
	[C_SEND_ERRORS] = "send_errors",
	[C_SEND_BUFFER_FULL] = "send_buffer_full",
	[C_RECORDS_DROPPED] = "records_dropped",
	[C_PASSED_EGRESS] = "passed_egress",
	[C_PASSED_INGRESS] = "passed_ingress",
	[C_PASS_ERRORS] = "pass_errors",
	[C_LEFT_TX_QUEUE_DROPS] = "left_tx_queue_drops",
	[C_RIGHT_TX_QUEUE_DROPS] = "right_tx_queue_drops",
	[C_CAPTURE_DROPPED] = "capture_dropped",
	[C_STREAM_TRUNCATED] = "stream_truncated",
	[C_STREAM_OVERSIZE] = "stream_oversize",
	[C_STREAM_RUNT] = "stream_runt",
	[C_STREAM_NOT_ETHERNET] = "stream_not_ethernet",
	[C_STREAM_TRAILING] = "stream_trailing_bytes",
};

/* The counter of a frame that has no segment: passed on, not metered.
 * (The names are those of vnet-encap and vnet-acl, which drop them.) */
static const unsigned seg_drop[VNET_SEG_KIND_MAX] = {
	[VNET_SEG_STACKED] = C_DROP_STACKED_TAG,
	[VNET_SEG_S_TAG] = C_DROP_S_TAG,
	[VNET_SEG_RESERVED_VID] = C_DROP_RESERVED_VID,
};

void meter_init_counters(struct meter *mt)
{
	int i;

	for (i = 0; i < C_MAX; i++) {
		mt->ctr[i].name = names[i];
		mt->ctr[i].value = 0;
	}
}

void meter_export(void *arg, const struct vnet_flow *f)
{
	struct meter *mt = arg;
	char line[VNET_FLOW_JSON_MAX + 1];
	int n;

	if (mt->ipfix)
		vnet_ipfix_add(mt->ipfix, f, mt->now);
	if (!mt->json || mt->json_err)
		return;
	n = vnet_flow_json(f, line, sizeof(line) - 1);
	if (n < 0)
		return;
	line[n++] = '\n';
	if (fwrite(line, 1, (size_t)n, mt->json) != (size_t)n)
		mt->json_err = errno ? errno : EIO;
	else
		mt->json_lines++;
}

static int json_flush(struct meter *mt)
{
	if (mt->json && !mt->json_err && fflush(mt->json) == EOF)
		mt->json_err = errno ? errno : EIO;
	return mt->json_err ? -mt->json_err : 0;
}

/* Send the partial message once its first record has waited long
 * enough; by the one clock, so replays cut messages at the same place. */
static void hold_check(struct meter *mt, uint64_t now)
{
	uint64_t since;

	if (!mt->ipfix || !vnet_ipfix_pending(mt->ipfix))
		return;
	since = vnet_ipfix_pending_since(mt->ipfix);
	if (now >= since && now - since >= MSG_HOLD_NS)
		vnet_ipfix_flush(mt->ipfix, now);
}

int meter_frames(struct meter *mt, enum vnet_dir dir,
		 const struct vnet_frame *f, unsigned n)
{
	struct vnet_flow obs;
	unsigned i;
	int r, decap;

	if (!mt->pcap_clock)
		mt->now = vnet_clock_now();
	for (i = 0; i < n; i++) {
		mt->ctr[C_FRAMES].value++;
		mt->ctr[C_BYTES].value += f[i].len;
		if (mt->mid) {
			struct iovec iov = { (void *)f[i].data, f[i].len };

			r = vnet_mid_send(mt->mid, dir, f[i].ts_ns, &iov, 1);
			if (!r)
				mt->ctr[dir == VNET_EGRESS ? C_PASSED_EGRESS
							   : C_PASSED_INGRESS]
					.value++;
			else if (r != -ENOTCONN && r != -EPIPE)
				mt->ctr[C_PASS_ERRORS].value++;
		}
		if (mt->pcap_clock) {
			vnet_clock_observe(f[i].ts_ns);
			mt->now = vnet_clock_now();
		}
		/* Timeouts before the frame, every frame, so that a replay
		 * expires the same flows at the same frame. */
		vnet_flow_expire(mt->fc, mt->now, METER_EXPIRE_FRAME);
		hold_check(mt, mt->now);
		if (!vnet_flow_sample(mt->fc))
			continue;
		r = vnet_flow_from_frame(&mt->cls, f[i].data, f[i].len, &obs,
					 &decap);
		if (decap)
			mt->ctr[C_DECAP_FRAMES].value++;
		if (r == -ENOENT) {
			mt->ctr[C_FRAMES_NOT_IP].value++;
			continue;
		}
		if (r < 0) {
			mt->ctr[C_FRAMES_MALFORMED].value++;
			continue;
		}
		if (r > 0) {
			mt->ctr[seg_drop[r]].value++;
			continue;
		}
		if (!mt->sink) {
			obs.key.in_if = dir == VNET_EGRESS ? 1 : 2;
			obs.key.out_if = dir == VNET_EGRESS ? 2 : 1;
		}
		vnet_flow_add(mt->fc, &obs, mt->now);
	}
	if (mt->ipfix)
		vnet_ipfix_poll(mt->ipfix);
	return json_flush(mt);
}

int meter_tick(struct meter *mt, uint64_t now)
{
	mt->now = now;
	/* With the packet clock time only moves with frames, which expire
	 * flows themselves: nothing here may depend on when ticks come. */
	if (!mt->pcap_clock)
		vnet_flow_expire(mt->fc, now, METER_EXPIRE_TICK);
	hold_check(mt, now);
	if (mt->ipfix)
		vnet_ipfix_poll(mt->ipfix);
	return json_flush(mt);
}

int meter_finish(struct meter *mt)
{
	mt->now = vnet_clock_now();
	vnet_flow_expire(mt->fc, mt->now, 0);
	vnet_flow_flush(mt->fc);
	if (mt->ipfix) {
		vnet_ipfix_flush(mt->ipfix, mt->now);
		vnet_ipfix_drain(mt->ipfix, DRAIN_MS);
	}
	return json_flush(mt);
}

static void sync_stream(struct meter *mt, const struct vnet_sr_stats *s)
{
	if (!s)
		return;
	mt->ctr[C_STREAM_TRUNCATED].value += s->truncated;
	mt->ctr[C_STREAM_OVERSIZE].value += s->oversize;
	mt->ctr[C_STREAM_RUNT].value += s->runt;
	mt->ctr[C_STREAM_NOT_ETHERNET].value += s->not_ethernet;
	mt->ctr[C_STREAM_TRAILING].value += s->trailing_bytes;
}

void meter_sync(struct meter *mt)
{
	const struct vnet_flow_stats *fs = vnet_flow_stats(mt->fc);

	mt->ctr[C_FRAMES_SAMPLED_OUT].value = fs->sampled_out;
	mt->ctr[C_FLOWS_ACTIVE].value = fs->active;
	mt->ctr[C_FLOWS_CREATED].value = fs->created;
	mt->ctr[C_FLOWS_IDLE].value = fs->idle;
	mt->ctr[C_FLOWS_ACTIVE_TIMEOUT].value = fs->active_timeout;
	mt->ctr[C_FLOWS_END].value = fs->end;
	mt->ctr[C_FLOWS_FORCED].value = fs->forced;
	mt->ctr[C_FLOWS_EVICTED].value = fs->evicted;
	if (mt->ipfix) {
		const struct vnet_ipfix_stats *is = vnet_ipfix_stats(mt->ipfix);

		mt->ctr[C_RECORDS_EXPORTED].value = is->records_exported;
		mt->ctr[C_MESSAGES_SENT].value = is->messages_sent;
		mt->ctr[C_TEMPLATES_SENT].value = is->templates_sent;
		mt->ctr[C_SEND_ERRORS].value = is->send_errors;
		mt->ctr[C_SEND_BUFFER_FULL].value = is->send_full;
		mt->ctr[C_RECORDS_DROPPED].value = is->records_dropped;
	} else {
		mt->ctr[C_RECORDS_EXPORTED].value = mt->json_lines;
	}
	mt->ctr[C_STREAM_TRUNCATED].value = 0;
	if (mt->cap) {
		const struct vnet_capture_stats *cs =
			vnet_capture_stats(mt->cap);

		mt->ctr[C_CAPTURE_DROPPED].value = cs->dropped;
		mt->ctr[C_STREAM_TRUNCATED].value = cs->truncated;
	}
	mt->ctr[C_STREAM_OVERSIZE].value = 0;
	mt->ctr[C_STREAM_RUNT].value = 0;
	mt->ctr[C_STREAM_NOT_ETHERNET].value = 0;
	mt->ctr[C_STREAM_TRAILING].value = 0;
	if (mt->mid) {
		const struct vnet_sw_stats *l, *r;

		sync_stream(mt, vnet_mid_rstats(mt->mid, VNET_EGRESS));
		sync_stream(mt, vnet_mid_rstats(mt->mid, VNET_INGRESS));
		l = vnet_mid_wstats(mt->mid, VNET_INGRESS);
		r = vnet_mid_wstats(mt->mid, VNET_EGRESS);
		mt->ctr[C_LEFT_TX_QUEUE_DROPS].value = l ? l->queue_drops : 0;
		mt->ctr[C_RIGHT_TX_QUEUE_DROPS].value = r ? r->queue_drops : 0;
	}
}
