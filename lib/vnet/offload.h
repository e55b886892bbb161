/* SPDX-License-Identifier: ISC */
/* offload.h -- tap offloads: the virtio-net header, TCP segmentation of
 * the super-frames a tap with TSO hands out, checksum completion, and
 * receive coalescing (GRO) of TCP segments into super-frames for a tap.
 *
 * A tap opened with IFF_VNET_HDR prefixes every frame with a 10-byte
 * virtio_net_hdr (fields in host byte order on a little-endian host; see
 * linux/virtio_net.h).  With TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4|TUN_F_TSO6
 * the kernel hands us TCP super-frames up to 64 KiB with a partial
 * checksum; writing super-frames with gso_type set lets the kernel take a
 * whole coalesced run of segments as one packet.
 *
 * Nothing here allocates per packet or prints.  Errors: -EINVAL for a
 * frame or header that does not add up (count it and drop it).
 *
 * The header is in native byte order, as a tap without TUNSETVNETLE/BE
 * (legacy virtio) uses it: little-endian on every host vnet targets.
 */
#ifndef VNET_OFFLOAD_H
#define VNET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#define VNET_VHDR_LEN 10
#define VNET_VHDR_F_NEEDS_CSUM 1
#define VNET_VHDR_F_DATA_VALID 2
#define VNET_GSO_NONE 0
#define VNET_GSO_TCPV4 1
#define VNET_GSO_UDP 3
#define VNET_GSO_TCPV6 4
#define VNET_GSO_ECN 0x80

struct vnet_vhdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	/* The 24-byte header of a tunnel-offload tap only (0 otherwise):
	 * where the outer UDP header and the inner IP header start,
	 * counted from the frame's first byte. */
	uint16_t outer_th;
	uint16_t inner_nh;
};

/* The 10-byte header; decode sets outer_th and inner_nh to 0. */
void vnet_vhdr_decode(const uint8_t *b, struct vnet_vhdr *h);
void vnet_vhdr_encode(uint8_t *b, const struct vnet_vhdr *h);

/*
 * UDP tunnel offload (Linux 6.17 and later): a tap set up with
 * TUN_F_UDP_TUNNEL_GSO[_CSUM] and a 24-byte header (struct
 * virtio_net_hdr_v1_hash_tunnel: the 10-byte header, num_buffers, a
 * 4-byte hash value, hash report and padding, then outer_th_offset and
 * inner_nh_offset, little-endian) takes and gives whole super-frames of
 * a UDP tunnel: Ethernet/IP/UDP/encapsulation/inner Ethernet/IP/TCP or
 * UDP, with gso_type = the inner type | VNET_GSO_UDP_TUNNEL4/6, and cuts
 * them itself where a device needs wire frames (never on a veth).  The
 * checksum to complete is the inner L4 one (csum_start points there);
 * VNET_VHDR_F_UDP_TUNNEL_CSUM asks for the outer UDP checksum too.
 */
#define VNET_VHDR_TNL_LEN 24
#define VNET_VHDR_F_UDP_TUNNEL_CSUM 8
#define VNET_GSO_UDP_L4 5
#define VNET_GSO_UDP_TUNNEL4 0x20
#define VNET_GSO_UDP_TUNNEL6 0x40
#define VNET_GSO_TUNNEL (VNET_GSO_UDP_TUNNEL4 | VNET_GSO_UDP_TUNNEL6)

void vnet_vhdr_decode_tnl(const uint8_t *b, struct vnet_vhdr *h);
void vnet_vhdr_encode_tnl(uint8_t *b, const struct vnet_vhdr *h);
/* Complete the partial checksum of a frame with NEEDS_CSUM in place
 * (the field at csum_start + csum_offset holds the pseudo-header sum),
 * over [csum_start, len); a result of 0 is stored as 0xffff.  The caller
 * has checked h (vnet_vhdr_check). */
void vnet_csum_complete(uint8_t *frame, size_t len, const struct vnet_vhdr *h);
/* Whether header h fits the len-byte frame it came with: 0, or -EINVAL
 * for a gso_type that is not NONE, TCPV4, TCPV6 or UDP_L4 (ECN allowed
 * with TCP), at most one tunnel bit (and only if tunnel != 0), a
 * checksum field (NEEDS_CSUM: csum_start + csum_offset + 2) outside the
 * frame, a GSO frame without NEEDS_CSUM, gso_size 0 or hdr_len past the
 * frame; for a tunnel type, 14 <= outer_th, outer_th + 8 <= inner_nh,
 * inner_nh + 20 <= csum_start (the outer UDP header, then the inner IP
 * header, before the inner L4 header).  Nothing else of the frame is
 * read: the caller parses the headers it uses. */
int vnet_vhdr_check(const struct vnet_vhdr *h, size_t len, int tunnel);

/* Largest header (Ethernet + one VLAN tag + IPv6 + 40 bytes of extension
 * headers + TCP with options) that a segment carries. */
#define VNET_SEG_HDR_MAX 192
#define VNET_SEG_MAX 128 /* 64 KiB / smallest useful MSS, rounded */

/* One segment: a header (copied and fixed up, in scratch) followed by a
 * slice of the super-frame's payload. */
struct vnet_seg {
	const uint8_t *hdr;
	uint16_t hdr_len;
	const uint8_t *data;
	uint32_t data_len;
};

/* Turn one frame read from a vnet_hdr tap (header decoded into *h, frame
 * bytes after it) into wire frames.  With NEEDS_CSUM, csum_start +
 * csum_offset + 2 must lie within len (-EINVAL otherwise).
 *  - gso_type NONE: one segment {hdr = NULL, hdr_len = 0, data = frame,
 *    data_len = len}; if NEEDS_CSUM, the checksum at csum_start +
 *    csum_offset is completed in place first (frame is writable) over
 *    [csum_start, len), a result of 0 stored as 0xffff as the kernel does.
 *    The ECN bit without a type is -EINVAL.
 *  - TCPV4 / TCPV6 (ECN bit allowed): the payload after the
 *    Ethernet/[VLAN]/IP/TCP headers is cut into gso_size pieces; each
 *    segment's header is a copy with IPv4 total length, ID (+1 per
 *    segment), header checksum / IPv6 payload length, TCP sequence number
 *    and flags (FIN and PSH only on the last, CWR only on the first) and a
 *    full TCP checksum fixed up.  hdr_len is ignored: the headers are
 *    parsed (Ethernet, up to two tags, IPv4 with options or IPv6 with
 *    extension headers, TCP; at most VNET_SEG_HDR_MAX bytes, the IP
 *    version matching the type, no fragment) and the payload ends where
 *    the IP length says.  gso_size 0 is -EINVAL; a frame without payload
 *    is one segment.  The partial checksum is not needed and not read.
 *    Segment i's data is frame + out[i].hdr_len + i * gso_size: they
 *    stay valid while frame and scratch do.  Nothing is written to frame
 *    or scratch when an error is returned.
 * scratch holds max * VNET_SEG_HDR_MAX bytes.  Returns the number of
 * segments, -EINVAL for a malformed frame/header, -ENOBUFS if more than
 * max segments would be needed, -EPROTONOSUPPORT for other gso types. */
int vnet_gso_segment(const struct vnet_vhdr *h, uint8_t *frame, size_t len,
		     struct vnet_seg *out, unsigned max, uint8_t *scratch);

/* Receive coalescing for one flow at a time.  Frames are whole Ethernet
 * frames (untagged or one 802.1Q tag) as decapsulated. */
struct vnet_gro;

struct vnet_gro *vnet_gro_new(void); /* NULL with errno on failure */
void vnet_gro_free(struct vnet_gro *g);
/* Offer one frame.
 *  1: taken: appended to the pending super-frame, or started a new one
 *     (only when nothing is pending);
 *  0: not a candidate (not TCP over IPv4/IPv6, IP options or fragments,
 *     SYN/FIN/RST/URG, no payload, bad TCP checksum): deliver it as is,
 *     after vnet_gro_take() if something is pending;
 * -EAGAIN: a candidate that does not continue the pending run (other
 *     flow, non-contiguous sequence, different ACK/window/TCP options/
 *     TOS/TTL, a segment larger than the first one, the run already ended
 *     with a smaller segment or PSH, or 64 KiB reached): take the pending
 *     super-frame, then offer the frame again.
 * The TCP checksum of each offered segment is verified, and so is the
 * IPv4 header checksum (a bad one: 0); a frame taken is copied (the
 * caller's buffer may be reused at once).  Also 0: more than one VLAN tag,
 * a frame longer than 64 KiB + VNET_SEG_HDR_MAX.
 * The run's key is the IP version, addresses and ports, and with them
 * the Ethernet header (MACs, tag, EtherType); a candidate also needs the
 * same IPv4 DF / IPv6 flow label and hop limit, and TCP flags equal to
 * the first segment's but for PSH.  A segment with CWR ends the run it
 * starts (so CWR is only ever on a run of one, as the kernel's GRO does).
 * The run ends at 64 KiB of IP packet (IPv4 total length, IPv6 40 +
 * payload length <= 65535). */
int vnet_gro_add(struct vnet_gro *g, const uint8_t *frame, size_t len);
/* Number of segments pending (0: nothing). */
unsigned vnet_gro_pending(const struct vnet_gro *g);
/* Hand out the pending super-frame and reset.  With one segment pending
 * the frame is returned unchanged (its link padding included) and *h is
 * all zero (no offload); with nothing pending *h is zero, *frame NULL
 * and *len 0.  With more, *h is {NEEDS_CSUM, TCPV4/TCPV6, hdr_len,
 * gso_size = first segment's payload length, csum_start = TCP offset,
 * csum_offset = 16},
 * IP lengths (and the IPv4 header checksum) are fixed for the total, the
 * TCP checksum field holds the pseudo-header sum (not complemented) as the
 * kernel expects for CHECKSUM_PARTIAL, and PSH of the last segment is
 * kept.  *frame stays valid until the next add.  Returns the segment count
 * (0 if nothing was pending). */
unsigned vnet_gro_take(struct vnet_gro *g, struct vnet_vhdr *h,
		       const uint8_t **frame, size_t *len);

#endif
