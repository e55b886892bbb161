/* SPDX-License-Identifier: ISC */
/* geneve.c -- the GENEVE header (RFC 8926) and its option TLVs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/bytes.h"
#include "vnet/geneve.h"
#include "vnet/pkt.h"
#include "vnet/vxlan.h" /* enum vnet_encap_drop */

size_t vnet_geneve_encode(uint8_t *hdr, uint32_t vni,
			  const struct vnet_geneve_opts *o)
{
	size_t olen = o ? o->len : 0;

	/* Ver 0 | Opt Len, then O = 0 | C | Rsvd = 0 (RFC 8926 3.4) */
	hdr[0] = (uint8_t)(olen / 4);
	hdr[1] = o && o->critical ? VNET_GENEVE_FLAG_C : 0;
	vnet_put16(hdr + 2, VNET_GENEVE_P_ETH);
	hdr[4] = (uint8_t)(vni >> 16);
	hdr[5] = (uint8_t)(vni >> 8);
	hdr[6] = (uint8_t)vni;
	hdr[7] = 0;
	if (olen)
		memcpy(hdr + VNET_GENEVE_HLEN, o->b, olen);
	return VNET_GENEVE_HLEN + olen;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A number of s..end (decimal or 0x-hex) up to max, or -1. */
static long field(const char *s, const char *end, unsigned long max)
{
	unsigned long v;
	char *e;

	if (s == end || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoul(s, &e, 0);
	if (errno || e != end || v > max)
		return -1;
	return (long)v;
}

int vnet_geneve_opt_parse(const char *s, struct vnet_geneve_opts *o,
			  const char **why)
{
	const char *c1, *c2, *hex;
	uint8_t *t;
	long cls, type;
	size_t nhex, n, i;

	if (!(c1 = strchr(s, ':')) || !(c2 = strchr(c1 + 1, ':'))) {
		*why = "not CLASS:TYPE:HEX";
		return -EINVAL;
	}
	if ((cls = field(s, c1, 0xffff)) < 0) {
		*why = "CLASS is not a number 0-0xffff";
		return -EINVAL;
	}
	if ((type = field(c1 + 1, c2, 0xff)) < 0) {
		*why = "TYPE is not a number 0-0xff";
		return -EINVAL;
	}
	hex = c2 + 1;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	nhex = strlen(hex);
	if (nhex % 2) {
		*why = "HEX has an odd number of digits";
		return -EINVAL;
	}
	n = nhex / 2;
	if (n % 4 || n > VNET_GENEVE_OPT_DATA_MAX) {
		*why = "the data must be a multiple of 4 bytes, at most 124";
		return -EINVAL;
	}
	for (i = 0; i < nhex; i++)
		if (hexval(hex[i]) < 0) {
			*why = "HEX has a character that is not a hex digit";
			return -EINVAL;
		}
	if (o->len + 4 + n > VNET_GENEVE_OPTS_MAX) {
		*why = "the options exceed the 252 bytes of Opt Len";
		return -EMSGSIZE;
	}
	t = o->b + o->len;
	vnet_put16(t, (uint32_t)cls);
	t[2] = (uint8_t)type;
	t[3] = (uint8_t)(n / 4); /* R bits 0 */
	for (i = 0; i < n; i++)
		t[4 + i] = (uint8_t)(hexval(hex[2 * i]) << 4 |
				     hexval(hex[2 * i + 1]));
	o->len += 4 + n;
	if (type & VNET_GENEVE_TYPE_CRIT)
		o->critical = 1;
	return 0;
}

int vnet_geneve_opt_next(const struct vnet_geneve_hdr *h, size_t *off,
			 struct vnet_geneve_opt *opt)
{
	const size_t olen = h->hlen - VNET_GENEVE_HLEN;
	const uint8_t *t;

	if (*off + 4 > olen)
		return 0;
	t = h->opts + *off;
	opt->cls = vnet_get16(t);
	opt->type = t[2];
	opt->len = (uint8_t)((t[3] & 0x1f) * 4);
	opt->data = t + 4;
	*off += 4 + opt->len;
	return 1;
}

int vnet_geneve_decode(const uint8_t *p, size_t len, int strict,
		       int (*known)(void *, uint16_t, uint8_t), void *arg,
		       struct vnet_geneve_hdr *h)
{
	size_t hlen, off;
	unsigned n = 0;
	int crit = 0, rsvd = 0;

	if (len < VNET_GENEVE_HLEN)
		return VNET_DROP_SHORT;
	/* RFC 8926 3.4: an endpoint drops a version it does not know. */
	if (p[0] >> 6)
		return VNET_DROP_GENEVE_VERSION;
	hlen = VNET_GENEVE_HLEN + (size_t)(p[0] & 0x3f) * 4;
	if (hlen > len)
		return VNET_DROP_GENEVE_OPTLEN;
	/* RFC 8926 3.5: the options' lengths must sum to Opt Len. */
	for (off = VNET_GENEVE_HLEN; off < hlen;) {
		const uint8_t *t = p + off;
		size_t olen;

		if (hlen - off < 4)
			return VNET_DROP_GENEVE_OPTLEN;
		olen = 4 + (size_t)(t[3] & 0x1f) * 4;
		if (olen > hlen - off)
			return VNET_DROP_GENEVE_OPTLEN;
		if (t[2] & VNET_GENEVE_TYPE_CRIT)
			crit = 1;
		if (t[3] & 0xe0)
			rsvd = 1;
		off += olen;
		n++;
	}
	if (p[1] & VNET_GENEVE_FLAG_O)
		return VNET_DROP_GENEVE_OAM;
	if (vnet_get16(p + 2) != VNET_GENEVE_P_ETH)
		return VNET_DROP_GENEVE_PROTO;
	if (crit) {
		for (off = VNET_GENEVE_HLEN; off < hlen;
		     off += 4 + (size_t)(p[off + 3] & 0x1f) * 4)
			if ((p[off + 2] & VNET_GENEVE_TYPE_CRIT) &&
			    (!known ||
			     !known(arg, vnet_get16(p + off), p[off + 2])))
				return VNET_DROP_GENEVE_CRITICAL;
	}
	if (strict && (rsvd || (p[1] & 0x3f) || p[7] ||
		       !(p[1] & VNET_GENEVE_FLAG_C) != !crit))
		return VNET_DROP_RESERVED;
	if (len - hlen < VNET_ETH_HLEN)
		return VNET_DROP_INNER_SHORT;
	h->vni = (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
	h->hlen = hlen;
	h->opts = p + VNET_GENEVE_HLEN;
	h->nopts = n;
	return VNET_DROP_NONE;
}
