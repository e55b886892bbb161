/* SPDX-License-Identifier: ISC */
/* meter.h -- vnet-flowexport's metering and exporting: frames in, flow
 * records out to the collector and the JSON lines. */
#ifndef VNET_FLOWEXPORT_METER_H
#define VNET_FLOWEXPORT_METER_H

#include <stdint.h>
#include <stdio.h>

#include "vnet/capture.h"
#include "vnet/counter.h"
#include "vnet-flowexport/flow.h"
#include "vnet-flowexport/ipfix.h"
#include "vnet/mid.h"
#include "vnet/stream.h"

enum {
	C_FRAMES,
	C_BYTES,
	C_FRAMES_SAMPLED_OUT,
	C_FRAMES_NOT_IP,
	C_FRAMES_MALFORMED,
	C_DROP_STACKED_TAG, /* no segment (segment.h): not metered */
	C_DROP_S_TAG,
	C_DROP_RESERVED_VID,
	C_DECAP_FRAMES,
	C_FLOWS_ACTIVE,
	C_FLOWS_CREATED,
	C_FLOWS_IDLE,
	C_FLOWS_ACTIVE_TIMEOUT,
	C_FLOWS_END,
	C_FLOWS_FORCED,
	C_FLOWS_EVICTED,
	C_RECORDS_EXPORTED,
	C_MESSAGES_SENT,
	C_TEMPLATES_SENT,
	C_SEND_ERRORS,
	C_SEND_BUFFER_FULL,
	C_RECORDS_DROPPED,
	C_PASSED_EGRESS,
	C_PASSED_INGRESS,
	C_PASS_ERRORS,
	C_LEFT_TX_QUEUE_DROPS, /* a side's output queue was full */
	C_RIGHT_TX_QUEUE_DROPS,
	C_CAPTURE_DROPPED,
	C_STREAM_TRUNCATED,
	C_STREAM_OVERSIZE,
	C_STREAM_RUNT,
	C_STREAM_NOT_ETHERNET,
	C_STREAM_TRAILING,
	C_MAX
};

/* Expiry work per frame and per tick: bounded, so that a mass timeout
 * never stalls the frame path; what is left is done by the next calls. */
#define METER_EXPIRE_FRAME 32
#define METER_EXPIRE_TICK 10000

struct meter {
	struct vnet_flow_cache *fc;
	struct vnet_flow_classify cls;
	struct vnet_ipfix *ipfix;	/* NULL without -c */
	FILE *json;			/* NULL without --json */
	const char *json_name;
	int json_err;			/* errno of a failed JSON write */
	int sink;			/* interfaces are 0 */
	int pcap_clock;
	uint64_t now;			/* the clock at the frame metered */
	uint64_t json_lines;
	struct vnet_mid *mid;		/* pass-through: where frames go */
	struct vnet_capture *cap;	/* -i */
	struct vnet_counter ctr[C_MAX];
};

void meter_init_counters(struct meter *mt);
/* The expired callback of the flow cache (arg: the meter). */
void meter_export(void *arg, const struct vnet_flow *f);
/* A batch of frames read in direction dir: forwarded first when there
 * is a mid (pass-through), then metered.  0, or -EPIPE / -errno when the
 * JSON output failed. */
int meter_frames(struct meter *mt, enum vnet_dir dir,
		 const struct vnet_frame *f, unsigned n);
/* Timers: expiry (live clock), the partial message, TCP progress. */
int meter_tick(struct meter *mt, uint64_t now);
/* End of input: expire what timed out, then every flow as forced; send
 * and write out everything.  0 or the -errno of the JSON output. */
int meter_finish(struct meter *mt);
/* Copy the library statistics into the counters. */
void meter_sync(struct meter *mt);

#endif
