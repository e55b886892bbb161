/* SPDX-License-Identifier: ISC */
/* capture.h -- live capture on a network interface: the one wrapper of
 * libpcap (no other file includes <pcap.h>).
 *
 * The handle is promiscuous, in immediate mode, non-blocking, with
 * nanosecond timestamps where the kernel gives them, and accepts only
 * Ethernet links (DLT_EN10MB).  Frames are copied out of libpcap's ring
 * into the handle's own buffer, so a batch stays valid until the next
 * vnet_capture_read().
 *
 * Errors: constructors return NULL with errno set and err (err.h) filled:
 * obj the interface, msg the step and the reason (libpcap's text where it
 * has one); other calls return 0 or -errno.  Nothing here prints.
 */
#ifndef VNET_CAPTURE_H
#define VNET_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "vnet/err.h"
#include "vnet/stream.h"

#define VNET_CAPTURE_BATCH 64 /* most frames one read hands out */

struct vnet_capture_stats {
	uint64_t frames;    /* handed out */
	uint64_t truncated; /* captured length < wire length: skipped */
	uint64_t dropped;   /* the kernel's and the interface's drops
			     * (pcap_stats ps_drop + ps_ifdrop) */
};

struct vnet_capture;

/* Open ifname for capture, with the BPF filter expression bpf (tcpdump
 * syntax) if not NULL.  err may be NULL. */
struct vnet_capture *vnet_capture_open(const char *ifname, const char *bpf,
				       struct vnet_err *err);
/* Takes NULL. */
void vnet_capture_close(struct vnet_capture *c);
/* The descriptor to poll for POLLIN. */
int vnet_capture_fd(const struct vnet_capture *c);
/* Up to max (at most VNET_CAPTURE_BATCH) frames into f: their count (0
 * if none is ready), or -errno (the reason in vnet_capture_err()). */
int vnet_capture_read(struct vnet_capture *c, struct vnet_frame *f,
		      unsigned max);
/* Refresh the drop count from the kernel and return the stats. */
const struct vnet_capture_stats *vnet_capture_stats(struct vnet_capture *c);
/* Why the last read failed (libpcap's text); obj is empty, the caller
 * names the interface. */
const struct vnet_err *vnet_capture_err(const struct vnet_capture *c);

#endif
