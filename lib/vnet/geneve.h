/* SPDX-License-Identifier: ISC */
/* geneve.h -- the GENEVE header (RFC 8926) and its option TLVs.
 *
 * The decoder never reads outside its input and returns an enum
 * vnet_encap_drop reason (0 = accepted, vxlan.h), so the caller counts
 * each reason under its name.  Nothing here prints or allocates.
 */
#ifndef VNET_GENEVE_H
#define VNET_GENEVE_H

#include <stddef.h>
#include <stdint.h>

#define VNET_GENEVE_HLEN 8	     /* the base header */
#define VNET_GENEVE_PORT 6081	     /* IANA, RFC 8926 3.3 */
#define VNET_GENEVE_OPTS_MAX 252     /* Opt Len: 6 bits of 4-byte words */
#define VNET_GENEVE_HLEN_MAX (VNET_GENEVE_HLEN + VNET_GENEVE_OPTS_MAX)
#define VNET_GENEVE_OPT_DATA_MAX 124 /* Length: 5 bits of 4-byte words */
#define VNET_GENEVE_P_ETH 0x6558     /* Transparent Ethernet Bridging */
#define VNET_GENEVE_FLAG_O 0x80	     /* byte 1: control (OAM) packet */
#define VNET_GENEVE_FLAG_C 0x40	     /* byte 1: critical options present */
#define VNET_GENEVE_TYPE_CRIT 0x80   /* option type: critical */

/* What a GENEVE sender puts after the base header: the option TLVs,
 * already encoded (vnet_geneve_opt_parse), and whether one is critical
 * (the C bit). */
struct vnet_geneve_opts {
	uint8_t b[VNET_GENEVE_OPTS_MAX];
	size_t len;	/* a multiple of 4, at most VNET_GENEVE_OPTS_MAX */
	int critical;
};

/* Write the base header for vni (version 0, O clear, C = o->critical,
 * reserved bits zero, protocol 0x6558) and the options o (NULL: none) at
 * hdr, which has room for VNET_GENEVE_HLEN + o->len bytes.  Returns the
 * header length. */
size_t vnet_geneve_encode(uint8_t *hdr, uint32_t vni,
			  const struct vnet_geneve_opts *o);

/* Parse an option "CLASS:TYPE:HEX" (CLASS 0-0xffff, TYPE 0-0xff, in
 * decimal or 0x-hex; HEX the data, an even number of hex digits making a
 * multiple of 4 bytes, at most VNET_GENEVE_OPT_DATA_MAX; empty: none) and
 * append its TLV to o.  Returns 0, -EINVAL for a malformed option (why
 * set to a phrase), -EMSGSIZE if the options would exceed Opt Len's 252
 * bytes.  o is unchanged on error. */
int vnet_geneve_opt_parse(const char *s, struct vnet_geneve_opts *o,
			  const char **why);

/* One option as the decoder walks it. */
struct vnet_geneve_opt {
	uint16_t cls;
	uint8_t type;		/* the high bit: critical */
	uint8_t len;		/* data bytes (Length * 4) */
	const uint8_t *data;
};

/* What a decoded header says. */
struct vnet_geneve_hdr {
	uint32_t vni;
	size_t hlen;		/* 8 + Opt Len * 4: the inner frame's offset */
	const uint8_t *opts;	/* the options, hlen - 8 bytes */
	unsigned nopts;
};

/* Check the GENEVE header at p (len bytes: header, options and inner
 * frame) and fill *h.  known(arg, class, type) says whether this node
 * understands an option (NULL: none is understood); a critical option it
 * does not understand drops the packet (RFC 8926 3.5.1).  Checks, in
 * order:
 *   len < 8                                  VNET_DROP_SHORT
 *   version != 0                             VNET_DROP_GENEVE_VERSION
 *   8 + Opt Len * 4 > len                    VNET_DROP_GENEVE_OPTLEN
 *   an option's header or data runs past
 *   Opt Len (the lengths do not sum to it)   VNET_DROP_GENEVE_OPTLEN
 *   O bit set (a control packet, never
 *   forwarded as data, RFC 8926 3.4)         VNET_DROP_GENEVE_OAM
 *   protocol type != 0x6558                  VNET_DROP_GENEVE_PROTO
 *   a critical option that known() refuses   VNET_DROP_GENEVE_CRITICAL
 *   strict: a reserved bit set (Rsvd, the
 *   last byte, an option's R bits), or C
 *   not matching the options' critical bits VNET_DROP_RESERVED
 *   fewer than 14 bytes after the header    VNET_DROP_INNER_SHORT
 * Every option's critical bit is looked at, whatever C says.  Lenient
 * mode ignores the reserved bits (RFC 8926 3.4, 3.5).  *h is written only
 * on success. */
int vnet_geneve_decode(const uint8_t *p, size_t len, int strict,
		       int (*known)(void *, uint16_t, uint8_t), void *arg,
		       struct vnet_geneve_hdr *h);

/* The next option of a decoded header: start with *off = 0; returns 1
 * and fills *opt, or 0 at the end.  Only for the options of a header that
 * vnet_geneve_decode accepted (their lengths are checked there). */
int vnet_geneve_opt_next(const struct vnet_geneve_hdr *h, size_t *off,
			 struct vnet_geneve_opt *opt);

#endif
