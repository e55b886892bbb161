/* SPDX-License-Identifier: ISC */
/* stream.h -- packet streams on pipes and files (DESIGN.md section 1).
 *
 * Reader: detects the format from the first bytes -- classic pcap in both
 * byte orders with microsecond or nanosecond magic, pcapng (SHB/IDB/EPB/SPB,
 * both byte orders, if_tsresol, several sections), or VDE's 2-byte
 * big-endian length framing -- and hands out Ethernet frames.  It never
 * blocks: vnet_sr_fill() does at most one read(2), and vnet_sr_next() parses
 * what is buffered, so one program can poll several streams and a tap.
 *
 * Writer: classic pcap (microsecond or nanosecond magic, LINKTYPE_ETHERNET)
 * or VDE framing.  Frames are buffered; vnet_sw_flush() writes them out and
 * waits while a non-blocking pipe is full (pipes block), with the signals
 * of sig.h unblocked: after SIGTERM/SIGINT it gives up on a reader that
 * stopped reading (vnet_sig_wait_fd()) and returns -ECANCELED.  The
 * pcap file header is written by vnet_sw_new(), so an empty stream is still
 * a valid capture.
 *
 * A writer blocks on a full buffer (VNET_ON_FULL_BLOCK: vnet_sw_put()
 * flushes first, waiting), unless vnet_sw_set_on_full() makes it a
 * bounded queue (VNET_ON_FULL_DROP) that never waits: at most
 * VNET_SW_QUEUE_FRAMES frames and VNET_SW_QUEUE_BYTES bytes wait to be
 * written; a frame beyond that is dropped and counted (vnet_sw_stats()),
 * as a network would; vnet_sw_write() writes what the descriptor takes
 * now, with one write(2).  While vnet_sw_pace() is on, the frames put
 * come from an input that the caller stops reading while the queue is
 * full (vnet_sw_full()): they may go past the bound into a reserve of as
 * many bytes again, so that none of a batch already read is lost.
 *
 * Errors: functions returning int give 0 (or a count) on success and -errno
 * on failure; constructors return NULL with errno set; vnet_sr_err() says
 * why a stream is corrupt.  Nothing here prints.
 */
#ifndef VNET_STREAM_H
#define VNET_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vnet/err.h"

enum vnet_stream_fmt {
	VNET_FMT_AUTO = 0, /* reader: detect; writer: means VNET_FMT_PCAP */
	VNET_FMT_PCAP,	   /* classic pcap, microsecond timestamps */
	VNET_FMT_PCAP_NS,  /* classic pcap, nanosecond timestamps */
	VNET_FMT_PCAPNG,   /* reader only */
	VNET_FMT_VDE,	   /* 2-byte big-endian length before each frame */
};

#define VNET_FRAME_MAX 65535	/* largest frame a stream carries */
#define VNET_VDE_FRAME_MAX 9234 /* VDE_ETHBUFSIZE: 9216 + 14 + 4 */

/* "pcap", "pcap-ns", "vde" (writer formats); 0 or -EINVAL. */
int vnet_stream_fmt_parse(const char *s, enum vnet_stream_fmt *fmt);
const char *vnet_stream_fmt_name(enum vnet_stream_fmt fmt);

/* A frame handed out by the reader.  data points into the reader's buffer
 * and stays valid until the next vnet_sr_fill() or vnet_sr_free(). */
struct vnet_frame {
	uint64_t ts_ns;	   /* capture time, ns since the epoch (0 for VDE) */
	uint32_t len;	   /* bytes at data */
	uint32_t wire_len; /* original length on the wire (== len for VDE) */
	const uint8_t *data;
};

/* Why records were dropped; the reader counts each and goes on. */
struct vnet_sr_stats {
	uint64_t frames;	/* frames handed out */
	uint64_t bytes;
	uint64_t truncated;	/* captured length < original length */
	uint64_t oversize;	/* longer than the format allows / VNET_FRAME_MAX */
	uint64_t runt;		/* shorter than an Ethernet header (14) */
	uint64_t not_ethernet;	/* pcapng interface whose linktype is not 1 */
	uint64_t skipped_blocks; /* pcapng blocks other than SHB/IDB/EPB/SPB */
	uint64_t trailing_bytes; /* partial record left at EOF */
};

struct vnet_sr;

/* A reader on fd (the caller makes fd non-blocking if it wants; EAGAIN is
 * returned as -EAGAIN).  bufsize 0 picks the default (1 MiB).  The fd is not
 * closed by vnet_sr_free(). */
struct vnet_sr *vnet_sr_new(int fd, size_t bufsize);
/* A reader without an fd: feed it with vnet_sr_push() (tests, fuzzers). */
struct vnet_sr *vnet_sr_new_mem(size_t bufsize);
void vnet_sr_free(struct vnet_sr *r);

/* One read(2) into the buffer: >0 bytes read, 0 at EOF, -EAGAIN, -errno.
 * Also makes room by moving unparsed bytes to the front, which invalidates
 * frames handed out before. */
int vnet_sr_fill(struct vnet_sr *r);
/* Append bytes as if read (memory readers); -ENOBUFS if they do not fit.
 * len 0 marks EOF. */
int vnet_sr_push(struct vnet_sr *r, const void *p, size_t len);

/* The next frame: 1 and *f set; 0 if more bytes are needed (or at EOF);
 * -EPROTO if the stream is not one of the formats or is corrupt beyond
 * recovery (bad magic, pcap linktype not Ethernet, impossible record or
 * block length); vnet_sr_err() says what, quoting the bytes.  Records
 * that are merely bad (runt, oversize, truncated) are counted and skipped. */
int vnet_sr_next(struct vnet_sr *r, struct vnet_frame *f);

int vnet_sr_eof(const struct vnet_sr *r);	/* EOF seen and buffer drained */
enum vnet_stream_fmt vnet_sr_format(const struct vnet_sr *r); /* AUTO until known */
const struct vnet_sr_stats *vnet_sr_stats(const struct vnet_sr *r);
/* After -EPROTO from vnet_sr_next(): msg says what is wrong (at which
 * byte, quoting the bytes); obj is empty, the caller names the stream.
 * msg is "" while the stream is fine. */
const struct vnet_err *vnet_sr_err(const struct vnet_sr *r);
int vnet_sr_fd(const struct vnet_sr *r);

struct vnet_sw;

/* A writer on fd; the pcap header (snaplen 65535) goes into the buffer at
 * once and out with the first flush.  bufsize 0: the default (1 MiB). */
struct vnet_sw *vnet_sw_new(int fd, enum vnet_stream_fmt fmt, size_t bufsize);
void vnet_sw_free(struct vnet_sw *w);	/* does not flush or close */
/* Append one frame given as an iovec (so headers can be prepended without
 * a copy by the caller).  Flushes first if the buffer cannot take it.
 * -EMSGSIZE if the frame is larger than the format allows (VDE: 9234). */
int vnet_sw_put(struct vnet_sw *w, uint64_t ts_ns, const struct iovec *iov,
		int iovcnt);
/* Write everything buffered; waits (vnet_sig_wait_fd POLLOUT) on EAGAIN.
 * 0 or -errno (-EPIPE when the reader went away, -ECANCELED when a stop
 * signal ended the wait: what was not written stays pending). */
int vnet_sw_flush(struct vnet_sw *w);
/* Bytes buffered and not written yet, and the frames they hold (a frame
 * partly written counts). */
size_t vnet_sw_pending(const struct vnet_sw *w);
size_t vnet_sw_pending_frames(struct vnet_sw *w);
int vnet_sw_fd(const struct vnet_sw *w);

/* What a full output does with the next frame (DESIGN.md section 2:
 * "pipes block, networks drop"). */
enum vnet_on_full {
	VNET_ON_FULL_BLOCK = 0, /* wait for room: nothing is lost */
	VNET_ON_FULL_DROP,	/* a bounded queue: drop the newest, count it */
};

/* "block" or "drop"; 0 or -EINVAL. */
int vnet_on_full_parse(const char *s, enum vnet_on_full *m);
const char *vnet_on_full_name(enum vnet_on_full m);

/* The bound of a queue (VNET_ON_FULL_DROP) unless given: 4096 frames (a
 * network device's transmit queue is 1000), 1 MiB (what a slow reader
 * may lag behind: some 2 ms at 4 Gbit/s). */
#define VNET_SW_QUEUE_FRAMES 4096
#define VNET_SW_QUEUE_BYTES (1u << 20)

struct vnet_sw_stats {
	uint64_t queue_drops;	   /* frames dropped: the queue was full */
	uint64_t queue_drop_bytes; /* their bytes (the frames, no headers) */
};

/* Make w block (the default) or a bounded queue of at most frames frames
 * and bytes bytes (0: the defaults above; bytes is rounded up to hold the
 * largest frame); the buffer is sized for the bound and the reserve
 * (twice the bytes) here, once.  Frames buffered stay.  0, -EINVAL, or
 * -ENOMEM (w unchanged). */
int vnet_sw_set_on_full(struct vnet_sw *w, enum vnet_on_full m,
			size_t frames, size_t bytes);
/* One write(2) of what is buffered, without waiting: 0 when written or
 * when the descriptor takes no more now (EAGAIN; the rest stays
 * pending: poll POLLOUT), or -errno (-EPIPE). */
int vnet_sw_write(struct vnet_sw *w);
/* A queue that holds its bound of frames or bytes (0 for a writer that
 * blocks). */
int vnet_sw_full(struct vnet_sw *w);
/* Frames put from now on come from an input that is not read while the
 * queue is full: they may use the reserve (see above).  on: 1 or 0. */
void vnet_sw_pace(struct vnet_sw *w, int on);
const struct vnet_sw_stats *vnet_sw_stats(const struct vnet_sw *w);

#endif
