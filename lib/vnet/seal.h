/* SPDX-License-Identifier: ISC */
/* seal.h -- sealed overlays: AEAD of whole inner frames (libsodium).
 *
 * The one module that includes <sodium.h>.  A fabric shares a key file
 * of numbered epochs (vnet-encap(8) KEY FILE); each sender picks a fresh
 * random 64-bit session salt at start, derives its session key from the
 * epoch key and that salt (BLAKE2b keyed by the epoch key), and numbers
 * its packets with a 64-bit counter from 0.  Every sealed packet carries
 * the seal fields (VNET_SEAL_FLEN bytes, big-endian):
 *
 *	epoch(4)  salt(8)  counter(8)
 *
 * the nonce is epoch(4) || counter(8), the associated data the kind's
 * header up to and with the seal fields, the ciphertext the inner frame
 * with a VNET_SEAL_TAGLEN-byte tag after it.  A receiver keeps one replay
 * window per sender session (RFC 6479: a counter and a bitmap of
 * VNET_SEAL_WINDOW packets), created and moved only after an open
 * succeeded, so a forged packet costs one key derivation and one AEAD
 * attempt and never makes state.
 *
 * Keys live in sodium_malloc'd (guarded, mlock'd) memory and are wiped
 * when freed.  Nothing here prints; functions return 0 or -errno, or a
 * drop reason (enum vnet_seal_drop), and fill a struct vnet_err.
 */
#ifndef VNET_SEAL_H
#define VNET_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vnet/err.h"

#define VNET_SEAL_FLEN	  20 /* epoch, salt, counter */
#define VNET_SEAL_TAGLEN  16 /* the AEAD tag after the ciphertext */
#define VNET_SEAL_KEYLEN  32
#define VNET_SEAL_EPOCHS  16   /* at most, in one key file */
#define VNET_SEAL_WINDOW  4096 /* bits of a replay bitmap */
#define VNET_SEAL_SENDERS 1024 /* sender sessions a receiver tracks */
/* GENEVE: the seal fields are the data of this option (experimental
 * class, RFC 8926 3.5; critical type: a node that cannot open it must
 * drop the packet, never hand the ciphertext on as a frame). */
#define VNET_SEAL_GENEVE_CLASS 0xff5e
#define VNET_SEAL_GENEVE_TYPE  0xd3		    /* critical, type 0x53 */
#define VNET_SEAL_GENEVE_OLEN  (4 + VNET_SEAL_FLEN) /* option bytes */
/* VXLAN: the sealed mode's default UDP port (not VXLAN's 4789: a plain
 * VXLAN receiver would take the seal fields for an inner frame). */
#define VNET_SEAL_VXLAN_PORT 4799
#define VNET_SEAL_FILE_MAX   65536 /* bytes of a key file */

enum vnet_seal_cipher {
	VNET_SEAL_AES256GCM,	    /* "aes-256-gcm" */
	VNET_SEAL_CHACHA20POLY1305, /* "chacha20-poly1305" (IETF) */
};

/* Why an open refused a packet; 0 = opened. */
enum vnet_seal_drop {
	VNET_SEAL_OPENED,
	VNET_SEAL_TRUNCATED,	 /* shorter than the fields and the tag */
	VNET_SEAL_UNKNOWN_EPOCH, /* an epoch the key file does not have */
	VNET_SEAL_TOO_OLD,	 /* behind the window, or the epoch is past
				  * its not-after */
	VNET_SEAL_REPLAYED,	 /* a counter already received */
	VNET_SEAL_FORGED,	 /* the tag does not verify */
	VNET_SEAL_DROP_MAX
};

/* One epoch of a key file; times in seconds since 1970 (UTC). */
struct vnet_seal_epoch {
	uint32_t id;
	int64_t not_before, not_after;
	unsigned char key[VNET_SEAL_KEYLEN];
};

/* A parsed key file: itself in sodium_malloc'd memory. */
struct vnet_seal_keys {
	enum vnet_seal_cipher cipher;
	unsigned n; /* epochs, ids ascending */
	struct vnet_seal_epoch e[VNET_SEAL_EPOCHS];
};

/* Initialise libsodium (once; later calls are no-ops).  0 or -EIO. */
int vnet_seal_init(void);
/* Whether this CPU runs AES-256-GCM (libsodium needs AES-NI and
 * PCLMUL for it). */
int vnet_seal_aes_available(void);
/* "aes-256-gcm", "chacha20-poly1305"; and back: 0 or -EINVAL. */
const char *vnet_seal_cipher_name(enum vnet_seal_cipher c);
int vnet_seal_cipher_parse(const char *s, enum vnet_seal_cipher *c);

/* The AEAD itself, as the frames use it: m[0..mlen) sealed under key
 * (VNET_SEAL_KEYLEN bytes) and the 12-byte nonce n with associated data
 * ad into out (mlen bytes, may be m) and the tag into out + mlen.  And
 * back: c[0..clen) with the tag at c + clen into out (clen bytes, may be
 * c); 0 or -EBADMSG (out is then undefined).  AES-256-GCM needs
 * vnet_seal_aes_available(). */
void vnet_seal_aead_encrypt(enum vnet_seal_cipher cipher,
			    const unsigned char *key, const uint8_t *n,
			    const uint8_t *ad, size_t adlen, const uint8_t *m,
			    size_t mlen, uint8_t *out);
int vnet_seal_aead_decrypt(enum vnet_seal_cipher cipher,
			   const unsigned char *key, const uint8_t *n,
			   const uint8_t *ad, size_t adlen, const uint8_t *c,
			   size_t clen, uint8_t *out);

/* Parse key file text buf[0..len) (name for messages) into *out (free
 * with vnet_seal_keys_free).  The format, one item a line, '#' comments:
 *	cipher NAME
 *	epoch ID NOT_BEFORE NOT_AFTER KEY
 * ID 1..4294967295 ascending, times as seconds since 1970 or
 * YYYY-MM-DDTHH:MM:SSZ, NOT_BEFORE < NOT_AFTER, KEY 64 hex digits.
 * 0, or -EINVAL with e = "NAME:LINE: what is wrong" (the key is never
 * quoted), -ENOMEM. */
int vnet_seal_keys_parse(const char *buf, size_t len, const char *name,
			 struct vnet_seal_keys **out, struct vnet_err *e);
/* Read and parse key file path: refused (-EPERM, e says so) when it is
 * not a regular file or group or others may read or write it; the text
 * is read into guarded memory and wiped.  -EOPNOTSUPP when it names
 * aes-256-gcm and this CPU has no AES-256-GCM. */
int vnet_seal_keys_load(const char *path, struct vnet_seal_keys **out,
			struct vnet_err *e);
/* Write keys to path as the parser reads them, mode 0600, through a
 * temporary file renamed over it.  0 or -errno (e filled). */
int vnet_seal_keys_save(const struct vnet_seal_keys *k, const char *path,
			struct vnet_err *e);
/* A key file of no epoch yet, for vnet_seal_keys_add (NULL and errno
 * on failure). */
struct vnet_seal_keys *vnet_seal_keys_empty(enum vnet_seal_cipher c);
/* Append a new epoch (the last id + 1, or 1) with a random key valid
 * from not_before to not_after.  0, -ENOSPC (full), -EINVAL (times). */
int vnet_seal_keys_add(struct vnet_seal_keys *k, int64_t not_before,
		       int64_t not_after);
/* Wipe and free (takes NULL). */
void vnet_seal_keys_free(struct vnet_seal_keys *k);
/* Parse a time as the key file writes it; 0 or -EINVAL. */
int vnet_seal_time_parse(const char *s, int64_t *t);
/* Format t as YYYY-MM-DDTHH:MM:SSZ into buf (at least 21 bytes). */
const char *vnet_seal_time_fmt(int64_t t, char *buf);

/* The replay window of one sender session (RFC 6479). */
struct vnet_seal_window {
	uint64_t top; /* the highest counter accepted */
	uint64_t bits[VNET_SEAL_WINDOW / 64];
};

/* Start w at counter c (accepted). */
void vnet_seal_window_init(struct vnet_seal_window *w, uint64_t c);
/* Whether c may be accepted: 0, VNET_SEAL_TOO_OLD (more than
 * VNET_SEAL_WINDOW - 64 behind the top) or VNET_SEAL_REPLAYED.  Does
 * not change w. */
int vnet_seal_window_check(const struct vnet_seal_window *w, uint64_t c);
/* Mark c received (after a check said 0 and the open succeeded). */
void vnet_seal_window_update(struct vnet_seal_window *w, uint64_t c);

struct vnet_seal;

/* A sealing context over keys (it takes them; NULL and errno on
 * failure): a fresh random salt, counter 0, no senders. */
struct vnet_seal *vnet_seal_new(struct vnet_seal_keys *keys);
/* Replace the keys (reload): the old ones are wiped; the sessions of
 * epochs no longer in the file, or whose key changed, are forgotten, the
 * others keep their windows.  The counter goes on. */
void vnet_seal_set_keys(struct vnet_seal *s, struct vnet_seal_keys *keys);
const struct vnet_seal_keys *vnet_seal_keys(const struct vnet_seal *s);
void vnet_seal_free(struct vnet_seal *s);

/* The epoch to send with at time now (seconds): the highest id whose
 * not-before has come and whose not-after has not; NULL if none. */
const struct vnet_seal_epoch *vnet_seal_send_epoch(struct vnet_seal *s,
						   int64_t now);
/* Seal one frame: write the fields at hdr + hlen - VNET_SEAL_FLEN (the
 * last bytes of the kind's header hdr[0..hlen), which is the associated
 * data), then the inner frame in[0..nin) (ilen bytes) encrypted into out
 * and the tag after it: ilen + VNET_SEAL_TAGLEN bytes.  0, or -ENOKEY
 * when no epoch is valid at now (nothing is written: never plaintext). */
int vnet_seal_frame(struct vnet_seal *s, int64_t now, uint8_t *hdr, size_t hlen,
		    const struct iovec *in, unsigned nin, size_t ilen,
		    uint8_t *out);
/* Open one packet: p[0..hlen) the kind's header, its last VNET_SEAL_FLEN
 * bytes the fields; p[hlen..len) ciphertext and tag.  The frame goes to
 * out (room for len - hlen bytes), its length to *olen.  0 or an enum
 * vnet_seal_drop; the sender's window moves only on 0. */
int vnet_seal_open(struct vnet_seal *s, int64_t now, const uint8_t *p,
		   size_t hlen, size_t len, uint8_t *out, size_t *olen);
/* Sender sessions tracked, and how many were evicted (table full). */
unsigned vnet_seal_senders(const struct vnet_seal *s);
uint64_t vnet_seal_evicted(const struct vnet_seal *s);
/* Sessions forgotten because their epoch passed its not-after; runs on
 * every open, cheap.  Returns the number forgotten. */
unsigned vnet_seal_age(struct vnet_seal *s, int64_t now);

#endif
