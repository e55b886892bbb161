// SPDX-License-Identifier: ISC
/* seal.c -- sealed overlays: key files, AEAD of frames, replay windows. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vnet/seal.h"

/* The label of the session-key derivation (vnet-encap(8) Sealed mode). */
static const unsigned char kdf_label[8] = "vnetseal";

struct sender {
	uint64_t salt;
	uint32_t epoch;
	uint32_t used;
	uint64_t tick; /* last open, for LRU eviction */
	unsigned char key[VNET_SEAL_KEYLEN];
	struct vnet_seal_window w;
};

struct vnet_seal {
	struct vnet_seal_keys *keys;
	uint64_t salt, counter, tick, evicted;
	int64_t aged_at;
	uint32_t send_id; /* epoch of send_key; 0: none yet */
	unsigned nsenders;
	unsigned hw;		/* slots [hw, VNET_SEAL_SENDERS) never used */
	unsigned last;		/* the slot of the last open: tried first */
	unsigned char send_key[VNET_SEAL_KEYLEN];
	unsigned char scratch[VNET_SEAL_KEYLEN];
	struct sender snd[VNET_SEAL_SENDERS];
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

int vnet_seal_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int vnet_seal_aes_available(void)
{
	return vnet_seal_init() == 0 && crypto_aead_aes256gcm_is_available();
}

static const char *const cipher_names[] = {
    [VNET_SEAL_AES256GCM] = "aes-256-gcm",
    [VNET_SEAL_CHACHA20POLY1305] = "chacha20-poly1305",
};

const char *vnet_seal_cipher_name(enum vnet_seal_cipher c)
{
	return cipher_names[c];
}

int vnet_seal_cipher_parse(const char *s, enum vnet_seal_cipher *c)
{
	unsigned i;

	for (i = 0; i < sizeof(cipher_names) / sizeof(cipher_names[0]); i++)
		if (!strcmp(s, cipher_names[i])) {
			*c = (enum vnet_seal_cipher)i;
			return 0;
		}
	return -EINVAL;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, unsigned n, unsigned *v)
{
	unsigned i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int vnet_seal_time_parse(const char *s, int64_t *t)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30,
					   31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, se;
	size_t n = strlen(s), i;
	int64_t v = 0;

	if (n && n <= 12 && strspn(s, "0123456789") == n) {
		for (i = 0; i < n; i++)
			v = v * 10 + (s[i] - '0');
		*t = v;
		return 0;
	}
	if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z' || digits(s, 4, &y) ||
	    digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &se) || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

const char *vnet_seal_time_fmt(int64_t t, char *buf)
{
	int64_t z = t / 86400 + 719468, era, s = t % 86400;
	unsigned doe, yoe, doy, mp, d, m;
	char tmp[80];
	int64_t y;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02uT%02u:%02u:%02uZ",
		 (long long)y, m, d, (unsigned)(s / 3600),
		 (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	memcpy(buf, tmp, 20);
	buf[20] = 0;
	return buf;
}

static struct vnet_seal_keys *keys_alloc(void)
{
	struct vnet_seal_keys *k;

	if (vnet_seal_init() < 0) {
		errno = EIO;
		return NULL;
	}
	if (!(k = sodium_malloc(sizeof(*k)))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(k, 0, sizeof(*k));
	k->cipher = VNET_SEAL_CHACHA20POLY1305;
	return k;
}

struct vnet_seal_keys *vnet_seal_keys_empty(enum vnet_seal_cipher c)
{
	struct vnet_seal_keys *k = keys_alloc();

	if (k)
		k->cipher = c;
	return k;
}

void vnet_seal_keys_free(struct vnet_seal_keys *k)
{
	if (k)
		sodium_free(k); /* wipes it */
}

/* Split line l (NUL-terminated, changed) into at most max words. */
static unsigned words(char *l, char **w, unsigned max)
{
	unsigned n = 0;
	char *p = l;

	for (;;) {
		p += strspn(p, " \t\r");
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return max + 1;
		w[n++] = p;
		p += strcspn(p, " \t\r");
		if (*p)
			*p++ = 0;
	}
}

int vnet_seal_keys_parse(const char *buf, size_t len, const char *name,
			 struct vnet_seal_keys **out, struct vnet_err *e)
{
	struct vnet_seal_keys *k = NULL;
	char *line = NULL, *w[6];
	unsigned lineno = 0, nw, have_cipher = 0;
	size_t off = 0, n, bin;
	int ret = -ENOMEM;

	if (!(k = keys_alloc()))
		goto out;
	/* a line holds a key: it is copied into guarded memory too */
	if (!(line = sodium_malloc(len + 1)))
		goto out;
	ret = -EINVAL;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		struct vnet_seal_epoch *ep;
		unsigned long id;
		char *end;

		n = nl ? (size_t)(nl - (buf + off)) : len - off;
		lineno++;
		memcpy(line, buf + off, n);
		line[n] = 0;
		off += n + 1;
		if (memchr(line, 0, n)) {
			vnet_err_set(e, name, lineno, "a NUL byte");
			goto out;
		}
		if (!(nw = words(line, w, 5)))
			continue;
		if (!strcmp(w[0], "cipher")) {
			if (nw != 2) {
				vnet_err_set(e, name, lineno,
					     "want: cipher aes-256-gcm|"
					     "chacha20-poly1305");
				goto out;
			}
			if (have_cipher++) {
				vnet_err_set(e, name, lineno,
					     "a second cipher line");
				goto out;
			}
			if (vnet_seal_cipher_parse(w[1], &k->cipher)) {
				vnet_err_set(
				    e, name, lineno,
				    "unknown cipher '%.40s' (want "
				    "aes-256-gcm or chacha20-poly1305)",
				    w[1]);
				goto out;
			}
			continue;
		}
		if (strcmp(w[0], "epoch")) {
			vnet_err_set(e, name, lineno,
				     "unknown keyword '%.40s' (want cipher or "
				     "epoch)",
				     w[0]);
			goto out;
		}
		if (nw != 5) {
			vnet_err_set(e, name, lineno,
				     "want: epoch ID NOT_BEFORE NOT_AFTER KEY");
			goto out;
		}
		if (k->n == VNET_SEAL_EPOCHS) {
			vnet_err_set(e, name, lineno,
				     "more than %d epochs: remove old ones",
				     VNET_SEAL_EPOCHS);
			goto out;
		}
		ep = &k->e[k->n];
		errno = 0;
		id = strtoul(w[1], &end, 10);
		if (w[1][0] < '0' || w[1][0] > '9' || *end || errno || !id ||
		    id > UINT32_MAX) {
			vnet_err_set(e, name, lineno,
				     "epoch '%.40s': want 1-4294967295", w[1]);
			goto out;
		}
		if (k->n && id <= k->e[k->n - 1].id) {
			vnet_err_set(e, name, lineno,
				     "epoch %lu after epoch %u: epochs go up",
				     id, k->e[k->n - 1].id);
			goto out;
		}
		ep->id = (uint32_t)id;
		if (vnet_seal_time_parse(w[2], &ep->not_before) ||
		    vnet_seal_time_parse(w[3], &ep->not_after)) {
			vnet_err_set(e, name, lineno,
				     "epoch %lu: a time is not seconds since "
				     "1970 or YYYY-MM-DDTHH:MM:SSZ",
				     id);
			goto out;
		}
		if (ep->not_before >= ep->not_after) {
			vnet_err_set(e, name, lineno,
				     "epoch %lu: not-after is not after "
				     "not-before",
				     id);
			goto out;
		}
		if (strlen(w[4]) != 2 * VNET_SEAL_KEYLEN ||
		    sodium_hex2bin(ep->key, sizeof(ep->key), w[4], strlen(w[4]),
				   NULL, &bin, NULL) ||
		    bin != VNET_SEAL_KEYLEN) {
			vnet_err_set(e, name, lineno,
				     "epoch %lu: the key is not %d hex digits",
				     id, 2 * VNET_SEAL_KEYLEN);
			goto out;
		}
		k->n++;
	}
	if (!have_cipher) {
		vnet_err_set(e, name, 0, "no 'cipher' line");
		goto out;
	}
	if (!k->n) {
		vnet_err_set(e, name, 0, "no epoch");
		goto out;
	}
	*out = k;
	k = NULL;
	ret = 0;
out:
	if (ret == -ENOMEM)
		vnet_err_sys(e, name, ENOMEM);
	if (line)
		sodium_free(line);
	vnet_seal_keys_free(k);
	return ret;
}

int vnet_seal_keys_load(const char *path, struct vnet_seal_keys **out,
			struct vnet_err *e)
{
	char *buf = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t r;
	int fd, ret = -EIO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return vnet_err_sys(e, path, errno);
	if (fstat(fd, &st) < 0) {
		ret = vnet_err_sys(e, path, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		vnet_err_set(e, path, 0, "not a regular file");
		ret = -EINVAL;
		goto out;
	}
	if (st.st_mode & 077) {
		vnet_err_set(e, path, 0,
			     "mode %04o lets group or others read or change "
			     "the keys: chmod 600 it",
			     (unsigned)(st.st_mode & 07777));
		ret = -EPERM;
		goto out;
	}
	if (vnet_seal_init() < 0 ||
	    !(buf = sodium_malloc(VNET_SEAL_FILE_MAX))) {
		ret = vnet_err_sys(e, path, ENOMEM);
		goto out;
	}
	while ((r = read(fd, buf + len, VNET_SEAL_FILE_MAX - len)) > 0)
		if ((len += (size_t)r) == VNET_SEAL_FILE_MAX)
			break;
	if (r < 0) {
		ret = vnet_err_sys(e, path, errno);
		goto out;
	}
	if (len == VNET_SEAL_FILE_MAX) {
		vnet_err_set(e, path, 0, "longer than %d bytes",
			     VNET_SEAL_FILE_MAX - 1);
		ret = -EFBIG;
		goto out;
	}
	if ((ret = vnet_seal_keys_parse(buf, len, path, out, e)))
		goto out;
	if ((*out)->cipher == VNET_SEAL_AES256GCM &&
	    !crypto_aead_aes256gcm_is_available()) {
		vnet_err_set(e, path, 0,
			     "aes-256-gcm: this CPU has no AES-NI for it (a "
			     "fabric with such nodes needs chacha20-poly1305)");
		vnet_seal_keys_free(*out);
		*out = NULL;
		ret = -EOPNOTSUPP;
	}
out:
	if (buf)
		sodium_free(buf);
	close(fd);
	return ret;
}

int vnet_seal_keys_save(const struct vnet_seal_keys *k, const char *path,
			struct vnet_err *e)
{
	const size_t line = 64 + 2 * VNET_SEAL_KEYLEN + 1;
	char *buf = NULL, tmp[PATH_MAX], a[24], b[24];
	size_t len = 0, w;
	ssize_t r;
	unsigned i;
	int fd = -1, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return vnet_err_sys(e, path, ENAMETOOLONG);
	if (!(buf = sodium_malloc(64 + VNET_SEAL_EPOCHS * (line + 48))))
		return vnet_err_sys(e, path, ENOMEM);
	len = (size_t)sprintf(buf, "# vnet-encap seal keys\ncipher %s\n",
			      vnet_seal_cipher_name(k->cipher));
	for (i = 0; i < k->n; i++) {
		len +=
		    (size_t)sprintf(buf + len, "epoch %u %s %s ", k->e[i].id,
				    vnet_seal_time_fmt(k->e[i].not_before, a),
				    vnet_seal_time_fmt(k->e[i].not_after, b));
		sodium_bin2hex(buf + len, 2 * VNET_SEAL_KEYLEN + 1, k->e[i].key,
			       VNET_SEAL_KEYLEN);
		len += 2 * VNET_SEAL_KEYLEN;
		buf[len++] = '\n';
	}
	/* mkstemp makes it 0600 */
	if ((fd = mkstemp(tmp)) < 0) {
		ret = vnet_err_sys(e, tmp, errno);
		goto out;
	}
	for (w = 0; w < len; w += (size_t)r)
		if ((r = write(fd, buf + w, len - w)) < 0) {
			ret = vnet_err_sys(e, tmp, errno);
			goto out;
		}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		ret = vnet_err_sys(e, tmp, errno);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = vnet_err_sys(e, path, errno);
		goto out;
	}
	tmp[0] = 0;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret && tmp[0])
		unlink(tmp);
	sodium_free(buf);
	return ret;
}

int vnet_seal_keys_add(struct vnet_seal_keys *k, int64_t not_before,
		       int64_t not_after)
{
	struct vnet_seal_epoch *ep;

	if (k->n == VNET_SEAL_EPOCHS)
		return -ENOSPC;
	if (not_before >= not_after ||
	    (k->n && k->e[k->n - 1].id == UINT32_MAX))
		return -EINVAL;
	ep = &k->e[k->n];
	ep->id = k->n ? k->e[k->n - 1].id + 1 : 1;
	ep->not_before = not_before;
	ep->not_after = not_after;
	randombytes_buf(ep->key, sizeof(ep->key));
	k->n++;
	return 0;
}

void vnet_seal_window_init(struct vnet_seal_window *w, uint64_t c)
{
	memset(w->bits, 0, sizeof(w->bits));
	w->top = c;
	w->bits[(c / 64) % (VNET_SEAL_WINDOW / 64)] |= 1ull << (c % 64);
}

int vnet_seal_window_check(const struct vnet_seal_window *w, uint64_t c)
{
	if (c > w->top)
		return 0;
	/* RFC 6479: the bitmap keeps one block beyond the window, so
	 * moving the top clears whole blocks */
	if (w->top - c >= VNET_SEAL_WINDOW - 64)
		return VNET_SEAL_TOO_OLD;
	if (w->bits[(c / 64) % (VNET_SEAL_WINDOW / 64)] & (1ull << (c % 64)))
		return VNET_SEAL_REPLAYED;
	return 0;
}

void vnet_seal_window_update(struct vnet_seal_window *w, uint64_t c)
{
	const uint64_t nb = VNET_SEAL_WINDOW / 64;
	uint64_t cur = c / 64, top = w->top / 64, i, d;

	if (c > w->top) {
		d = cur - top;
		if (d > nb)
			d = nb;
		for (i = 1; i <= d; i++)
			w->bits[(top + i) % nb] = 0;
		w->top = c;
	}
	w->bits[cur % nb] |= 1ull << (c % 64);
}

struct vnet_seal *vnet_seal_new(struct vnet_seal_keys *keys)
{
	struct vnet_seal *s;

	if (vnet_seal_init() < 0) {
		errno = EIO;
		return NULL;
	}
	if (!(s = sodium_malloc(sizeof(*s)))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->keys = keys;
	/* A fresh session at every start: the counter may begin at 0
	 * again because the session key is new (vnet-encap(8)). */
	randombytes_buf(&s->salt, sizeof(s->salt));
	s->aged_at = INT64_MIN;
	return s;
}

static const struct vnet_seal_epoch *
epoch_in(const struct vnet_seal_keys *k, uint32_t id)
{
	unsigned i;

	for (i = 0; i < k->n; i++)
		if (k->e[i].id == id)
			return &k->e[i];
	return NULL;
}

static const struct vnet_seal_epoch *epoch_of(const struct vnet_seal *s,
					      uint32_t id)
{
	return epoch_in(s->keys, id);
}

static void derive(const struct vnet_seal_epoch *ep, uint64_t salt,
		   unsigned char *key)
{
	uint8_t in[sizeof(kdf_label) + 12];

	memcpy(in, kdf_label, sizeof(kdf_label));
	put32(in + 8, ep->id);
	put64(in + 12, salt);
	crypto_generichash(key, VNET_SEAL_KEYLEN, in, sizeof(in), ep->key,
			   sizeof(ep->key));
}

void vnet_seal_set_keys(struct vnet_seal *s, struct vnet_seal_keys *keys)
{
	unsigned i;

	struct vnet_seal_keys *old = s->keys;
	const struct vnet_seal_epoch *a, *b;

	s->keys = keys;
	/* Sessions of an epoch the new file has with the same key keep
	 * their windows (forgotten, their packets could be replayed once);
	 * the others go. */
	for (i = 0; i < VNET_SEAL_SENDERS; i++) {
		if (!s->snd[i].used)
			continue;
		a = epoch_in(old, s->snd[i].epoch);
		b = epoch_in(keys, s->snd[i].epoch);
		if (a && b && !sodium_memcmp(a->key, b->key, sizeof(a->key)))
			continue;
		sodium_memzero(&s->snd[i], sizeof(s->snd[i]));
		s->nsenders--;
	}
	a = epoch_in(old, s->send_id);
	b = epoch_in(keys, s->send_id);
	if (!a || !b || sodium_memcmp(a->key, b->key, sizeof(a->key))) {
		s->send_id = 0;
		sodium_memzero(s->send_key, sizeof(s->send_key));
	}
	vnet_seal_keys_free(old);
}

const struct vnet_seal_keys *vnet_seal_keys(const struct vnet_seal *s)
{
	return s->keys;
}

void vnet_seal_free(struct vnet_seal *s)
{
	if (!s)
		return;
	vnet_seal_keys_free(s->keys);
	sodium_free(s);
}

const struct vnet_seal_epoch *vnet_seal_send_epoch(struct vnet_seal *s,
						   int64_t now)
{
	unsigned i = s->keys->n;

	while (i--)
		if (s->keys->e[i].not_before <= now &&
		    now < s->keys->e[i].not_after)
			return &s->keys->e[i];
	return NULL;
}

void vnet_seal_aead_encrypt(enum vnet_seal_cipher cipher,
			    const unsigned char *key, const uint8_t *n,
			    const uint8_t *ad, size_t adlen, const uint8_t *m,
			    size_t mlen, uint8_t *out)
{
	if (cipher == VNET_SEAL_AES256GCM)
		crypto_aead_aes256gcm_encrypt_detached(
		    out, out + mlen, NULL, m, mlen, ad, adlen, NULL, n, key);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		    out, out + mlen, NULL, m, mlen, ad, adlen, NULL, n, key);
}

int vnet_seal_aead_decrypt(enum vnet_seal_cipher cipher,
			   const unsigned char *key, const uint8_t *n,
			   const uint8_t *ad, size_t adlen, const uint8_t *c,
			   size_t clen, uint8_t *out)
{
	int r;

	if (cipher == VNET_SEAL_AES256GCM)
		r = crypto_aead_aes256gcm_decrypt_detached(
		    out, NULL, c, clen, c + clen, ad, adlen, n, key);
	else
		r = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		    out, NULL, c, clen, c + clen, ad, adlen, n, key);
	return r ? -EBADMSG : 0;
}

static void nonce(uint8_t *n, uint32_t epoch, uint64_t ctr)
{
	put32(n, epoch);
	put64(n + 4, ctr);
}

int vnet_seal_frame(struct vnet_seal *s, int64_t now, uint8_t *hdr, size_t hlen,
		    const struct iovec *in, unsigned nin, size_t ilen,
		    uint8_t *out)
{
	const struct vnet_seal_epoch *ep = vnet_seal_send_epoch(s, now);
	uint8_t *f = hdr + hlen - VNET_SEAL_FLEN, n[12];
	size_t off = 0;
	unsigned i;

	if (!ep)
		return -ENOKEY;
	if (s->send_id != ep->id) {
		derive(ep, s->salt, s->send_key);
		s->send_id = ep->id;
	}
	put32(f, ep->id);
	put64(f + 4, s->salt);
	put64(f + 12, s->counter);
	nonce(n, ep->id, s->counter++);
	for (i = 0; i < nin; i++) {
		memcpy(out + off, in[i].iov_base, in[i].iov_len);
		off += in[i].iov_len;
	}
	(void)ilen;
	vnet_seal_aead_encrypt(s->keys->cipher, s->send_key, n, hdr, hlen, out,
			       off, out);
	return 0;
}

static struct sender *sender_find(struct vnet_seal *s, uint64_t salt,
				  uint32_t epoch)
{
	const struct sender *l = &s->snd[s->last];
	unsigned i;

	/* a burst is mostly of one sender */
	if (l->salt == salt && l->used && l->epoch == epoch)
		return &s->snd[s->last];
	for (i = 0; i < s->hw; i++)
		if (s->snd[i].salt == salt && s->snd[i].used &&
		    s->snd[i].epoch == epoch) {
			s->last = i;
			return &s->snd[i];
		}
	return NULL;
}

/* A free slot, or the least recently used one (evicted, counted). */
static struct sender *sender_slot(struct vnet_seal *s)
{
	struct sender *lru = &s->snd[0];
	unsigned i;

	for (i = 0; i < VNET_SEAL_SENDERS; i++) {
		if (!s->snd[i].used) {
			s->nsenders++;
			if (i >= s->hw)
				s->hw = i + 1;
			s->last = i;
			return &s->snd[i];
		}
		if (s->snd[i].tick < lru->tick)
			lru = &s->snd[i];
	}
	s->evicted++;
	s->last = (unsigned)(lru - s->snd);
	return lru;
}

unsigned vnet_seal_age(struct vnet_seal *s, int64_t now)
{
	const struct vnet_seal_epoch *ep;
	unsigned i, n = 0;

	for (i = 0; i < s->hw; i++) {
		if (!s->snd[i].used)
			continue;
		ep = epoch_of(s, s->snd[i].epoch);
		if (ep && now < ep->not_after)
			continue;
		sodium_memzero(&s->snd[i], sizeof(s->snd[i]));
		s->nsenders--;
		n++;
	}
	return n;
}

int vnet_seal_open(struct vnet_seal *s, int64_t now, const uint8_t *p,
		   size_t hlen, size_t len, uint8_t *out, size_t *olen)
{
	const struct vnet_seal_epoch *ep;
	const uint8_t *f, *c;
	struct sender *sd;
	const unsigned char *key;
	uint64_t salt, ctr;
	uint32_t id;
	uint8_t n[12];
	size_t clen;
	int r;

	if (hlen < VNET_SEAL_FLEN || len < hlen + VNET_SEAL_TAGLEN)
		return VNET_SEAL_TRUNCATED;
	if (now != s->aged_at) {
		s->aged_at = now;
		vnet_seal_age(s, now);
	}
	f = p + hlen - VNET_SEAL_FLEN;
	id = get32(f);
	salt = get64(f + 4);
	ctr = get64(f + 12);
	if (!(ep = epoch_of(s, id)))
		return VNET_SEAL_UNKNOWN_EPOCH;
	if (now >= ep->not_after)
		return VNET_SEAL_TOO_OLD;
	if ((sd = sender_find(s, salt, id))) {
		if ((r = vnet_seal_window_check(&sd->w, ctr)))
			return r;
		key = sd->key;
	} else {
		derive(ep, salt, s->scratch);
		key = s->scratch;
	}
	nonce(n, id, ctr);
	c = p + hlen;
	clen = len - hlen - VNET_SEAL_TAGLEN;
	r = vnet_seal_aead_decrypt(s->keys->cipher, key, n, p, hlen, c, clen,
				   out);
	if (r) {
		sodium_memzero(s->scratch, sizeof(s->scratch));
		return VNET_SEAL_FORGED;
	}
	if (sd) {
		vnet_seal_window_update(&sd->w, ctr);
	} else {
		sd = sender_slot(s);
		sd->used = 1;
		sd->salt = salt;
		sd->epoch = id;
		memcpy(sd->key, s->scratch, sizeof(sd->key));
		vnet_seal_window_init(&sd->w, ctr);
	}
	sd->tick = ++s->tick;
	*olen = clen;
	return 0;
}

unsigned vnet_seal_senders(const struct vnet_seal *s)
{
	return s->nsenders;
}

uint64_t vnet_seal_evicted(const struct vnet_seal *s)
{
	return s->evicted;
}
