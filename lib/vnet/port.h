/* SPDX-License-Identifier: ISC */
/* port.h -- the port specs of DESIGN.md section 3, and open frame ports.
 *
 *   -                          stdio stream (fds 0/1; the right-hand side
 *                              of a middle program: fds 3/4 or
 *                              ALTERNATE_STDIN/ALTERNATE_STDOUT)
 *   fd:R,W                     a stream on explicit descriptors
 *   tap:NAME[,mtu=N][,mac=M]   a tap device, created if missing
 *   pcap:FILE                  frames from a capture file / to one
 *   udp:ADDR[:PORT]            the underlay socket of a VTEP; IPv6 in
 *                              brackets: udp:[2001:db8::1]:4789
 *
 * Errors: 0 or -errno; constructors return NULL with errno set.  The
 * parser and vnet_port_open() also fill a struct vnet_err (err.h), and
 * vnet_port_err() says why the last receive failed.
 */
#ifndef VNET_PORT_H
#define VNET_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vnet/addr.h"
#include "vnet/err.h"
#include "vnet/offload.h"
#include "vnet/stream.h"
#include "vnet/tap.h"

enum vnet_port_kind {
	VNET_PORT_STDIO,
	VNET_PORT_FD,
	VNET_PORT_TAP,
	VNET_PORT_PCAP,
	VNET_PORT_UDP,
};

struct vnet_port_spec {
	enum vnet_port_kind kind;
	int rfd, wfd;			/* fd: */
	char ifname[VNET_IFNAMSIZ];	/* tap: */
	unsigned mtu;			/* tap: 0 = leave as is */
	int has_mac;
	uint8_t mac[6];
	const char *path;		/* pcap: points into the parsed string */
	struct vnet_addr addr;		/* udp: */
	uint16_t port;			/* udp: 0 = not given */
};

/* Parse spec s.  On error returns -EINVAL and fills e (may be NULL): obj
 * is the spec quoted ("'tap:vm0,mtu=1'"), msg a phrase naming what is
 * wrong ("unknown port type (...)", "bad MTU (expected 68-65521)", ...). */
int vnet_port_parse(const char *s, struct vnet_port_spec *sp,
		    struct vnet_err *e);

/* What a side carries, as --describe names it (vnet(7) MTU BUDGET):
 * "tap", "udp", "pcap-file", or for a stream the format fmt it writes
 * ("pcap", "pcap-ns", "vde"). */
const char *vnet_port_framing(const struct vnet_port_spec *sp,
			      enum vnet_stream_fmt fmt);
/* The largest Ethernet payload a side of spec sp written as fmt carries
 * (a stream: its format's longest frame less the Ethernet header; a tap
 * or UDP: 65535), for the budget. */
unsigned vnet_port_max_mtu(const struct vnet_port_spec *sp,
			   enum vnet_stream_fmt fmt);

/* An open frame port (stdio, fd, tap or pcap; udp is the VTEP's own). */
struct vnet_port;

/* Flags for vnet_port_open. */
enum {
	VNET_PORT_RIGHT = 1 << 0,  /* '-' means the right-hand fds (3/4) */
	VNET_PORT_NO_READ = 1 << 1, /* never read this port */
	VNET_PORT_NO_WRITE = 1 << 2, /* never write this port */
	VNET_PORT_NO_OFFLOAD = 1 << 3, /* tap: no IFF_VNET_HDR offloads */
	VNET_PORT_BLOCK = 1 << 4, /* stream output: wait for room when full */
	VNET_PORT_GSO = 1 << 5,	   /* tap: super-frames whole (see below) */
	VNET_PORT_TUNNEL = 1 << 6, /* tap: GSO with UDP tunnel offload */
};

/* A stream output is a bounded queue (stream.h, VNET_ON_FULL_DROP: 4096
 * frames, 1 MiB) that vnet_port_send() never waits on: a frame it has no
 * room for is dropped and counted (vnet_port_wstats()); the event loop
 * writes it when its descriptor is writable (vnet_port_write()) and does
 * not read the inputs that feed a full one (loop.h).  VNET_PORT_BLOCK
 * makes it wait for room instead (VNET_ON_FULL_BLOCK, --on-full block).
 * Taps take every frame at once: they have no queue here. */

/* A tap port uses the kernel's offloads unless VNET_PORT_NO_OFFLOAD: TCP
 * super-frames read from it are cut into wire-size frames (lib/offload.c)
 * before recv hands them out, and frames sent to it are coalesced into
 * super-frames until vnet_port_flush(): callers flush after each batch. */
struct vnet_port_tap_stats {
	uint64_t superframes;	 /* TSO super-frames read and cut */
	uint64_t coalesced;	 /* frames written as part of a super-frame */
	uint64_t offload_errors; /* reads whose offload header did not add up */
};

/* A tap opened VNET_PORT_GSO hands its TCP and UDP super-frames whole
 * (TSO/USO, nothing cut or completed): vnet_port_recv_vh() gives the
 * virtio_net_hdr of each frame the last recv returned, in order, and
 * vnet_port_send_vh() writes a frame with its header, after what
 * vnet_port_send() has coalesced.  VNET_PORT_TUNNEL also takes and gives
 * UDP tunnel super-frames (offload.h; Linux 6.17): opening fails with
 * EOPNOTSUPP on a kernel without them (fall back to another underlay).
 * Both need offloads (not with VNET_PORT_NO_OFFLOAD: EINVAL). */
const struct vnet_vhdr *vnet_port_recv_vh(const struct vnet_port *p);
int vnet_port_send_vh(struct vnet_port *p, const struct vnet_vhdr *h,
		      const struct iovec *iov, int iovcnt);

/* Open a frame port.  fmt is the output stream format for stream ports.
 * Tap ports are created/attached and set up (mtu, mac, up).  On failure
 * NULL with errno set and e (may be NULL) filled: obj is the port's name
 * (as vnet_port_name() gives it), msg why ("Operation not permitted";
 * for the right-hand fds of a middle program that are not open, "Bad
 * file descriptor (run as a middle member of vnet-pipe)"). */
struct vnet_port *vnet_port_open(const struct vnet_port_spec *sp, int flags,
				 enum vnet_stream_fmt fmt, struct vnet_err *e);
void vnet_port_close(struct vnet_port *p);	/* flushes stream output */

/* The fd to poll for input (-1 if none), and for output backpressure. */
int vnet_port_rfd(const struct vnet_port *p);
/* Receive up to max frames without blocking; returns the count (0 when
 * nothing is ready), or -errno; vnet_port_eof() tells end of input.  For
 * stream ports -EPROTO means the stream is corrupt.  vnet_port_err() says
 * why a recv failed: the stream reader's message, or "read: strerror"; its
 * obj is empty, the caller names the port.  Frames stay valid until the
 * next recv on this port. */
int vnet_port_recv(struct vnet_port *p, struct vnet_frame *f, unsigned max);
/* End of input (always true for a port opened VNET_PORT_NO_READ). */
int vnet_port_eof(const struct vnet_port *p);
/* Whether the right-hand fds of a middle program (3/4, or those named by
 * ALTERNATE_STDIN/ALTERNATE_STDOUT) are open. */
int vnet_port_right_open(void);
const struct vnet_err *vnet_port_err(const struct vnet_port *p);
/* Whether a stream port of sp opened with flags (VNET_PORT_RIGHT,
 * VNET_PORT_NO_WRITE) would write its binary stream to a terminal: 0 if
 * not, else -ENOTTY and e (may be NULL) filled: "stdout is a terminal:
 * redirect it (| tcpdump -r -) or give --force" ("fd 4 is a ..."). */
int vnet_port_check_tty(const struct vnet_port_spec *sp, int flags,
			struct vnet_err *e);
/* Send one frame given as iovecs.  Taps: one writev; streams: buffered
 * until vnet_port_flush().  0 or -errno (-EMSGSIZE, -EPIPE, ...). */
int vnet_port_send(struct vnet_port *p, uint64_t ts_ns,
		   const struct iovec *iov, int iovcnt);
/* Write out what is buffered (a stream's frames, a tap's coalesced
 * super-frame).  A stream waits while its pipe is full (stream.h): 0, or
 * -errno (-EPIPE: the reader went away; -ECANCELED: a stop signal ended
 * the wait on a reader that stopped reading). */
int vnet_port_flush(struct vnet_port *p);
/* Write what the output takes now: a queue with one write(2), leaving
 * the rest pending (poll vnet_port_wfd() for POLLOUT); a stream opened
 * VNET_PORT_BLOCK waits as vnet_port_flush() does; a tap writes its
 * super-frame.  0 or -errno as vnet_port_flush(). */
int vnet_port_write(struct vnet_port *p);
/* The output descriptor of a stream port (-1 for taps and ports not
 * written): what to poll for POLLOUT while frames are pending. */
int vnet_port_wfd(const struct vnet_port *p);
/* The output is a queue that holds its bound (stream.h vnet_sw_full()):
 * inputs that feed it should not be read now. */
int vnet_port_full(struct vnet_port *p);
/* Frames sent from now on come from an input that is not read while
 * this output is full: they may use its reserve (stream.h). */
void vnet_port_pace(struct vnet_port *p, int on);
/* The output queue's drops (NULL for taps and ports not written). */
const struct vnet_sw_stats *vnet_port_wstats(const struct vnet_port *p);
/* Stream output bytes buffered and not written yet, and in *frames (may
 * be NULL) the frames they hold (0 for taps and ports not written). */
size_t vnet_port_pending(const struct vnet_port *p, size_t *frames);
/* Stream input statistics (NULL for taps). */
const struct vnet_sr_stats *vnet_port_rstats(const struct vnet_port *p);
/* The port in spec form: "-" (fds 0/1), "fd:3,4" (the right-hand fds of
 * a middle program, or fd:R,W as given), "pcap:FILE", "tap:NAME". */
const char *vnet_port_name(const struct vnet_port *p);
/* Offload statistics of a tap port (NULL for other kinds). */
const struct vnet_port_tap_stats *vnet_port_tstats(const struct vnet_port *p);
int vnet_port_is_tap(const struct vnet_port *p);

#endif
