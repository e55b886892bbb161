/* SPDX-License-Identifier: ISC */
/* test_seal.c -- unit tests for sealing: AEAD known answers, the replay
 * window, key files, sealing and opening frames. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/seal.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (h[0] && h[1] && sscanf(h, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

/* RFC 8439 2.8.2, as libsodium's test/default/aead_chacha20poly1305.c
 * checks its IETF construction. */
static void test_kat_chacha(void)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: "
				 "If I could offer you only one tip for the "
				 "future, sunscreen would be it.";
	uint8_t key[32], n[12], ad[12], ct[114], tag[16], out[130], back[114];
	size_t i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	unhex("070000004041424344454647", n);
	unhex("50515253c0c1c2c3c4c5c6c7", ad);
	T_EQ(unhex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a7"
		   "36ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b29"
		   "05d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4"
		   "fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b"
		   "6116",
		   ct),
	     114);
	unhex("1ae10b594f09e26a7e902ecbd0600691", tag);
	T_EQ(strlen(pt), 114);
	T_EQ(vnet_seal_init(), 0);
	vnet_seal_aead_encrypt(VNET_SEAL_CHACHA20POLY1305, key, n, ad, 12,
			       (const uint8_t *)pt, 114, out);
	T_MEMEQ(out, ct, 114);
	T_MEMEQ(out + 114, tag, 16);
	T_EQ(vnet_seal_aead_decrypt(VNET_SEAL_CHACHA20POLY1305, key, n, ad, 12,
				    out, 114, back),
	     0);
	T_MEMEQ(back, pt, 114);
	/* in place, as the data path seals */
	memcpy(out, pt, 114);
	vnet_seal_aead_encrypt(VNET_SEAL_CHACHA20POLY1305, key, n, ad, 12, out,
			       114, out);
	T_MEMEQ(out, ct, 114);
	for (i = 0; i < 130; i++) {
		out[i] ^= 1;
		T_EQ(vnet_seal_aead_decrypt(VNET_SEAL_CHACHA20POLY1305, key, n,
					    ad, 12, out, 114, back),
		     -EBADMSG);
		out[i] ^= 1;
	}
	ad[0] ^= 1;
	T_EQ(vnet_seal_aead_decrypt(VNET_SEAL_CHACHA20POLY1305, key, n, ad, 12,
				    out, 114, back),
	     -EBADMSG);
}

/* NIST CAVP gcmEncryptExtIV256 (the set libsodium's
 * test/default/aead_aes256gcm.c draws on): count 0 of PT=0 AAD=0, and
 * one with 128-bit plaintext and AAD. */
static void test_kat_aes(void)
{
	uint8_t key[32], n[12], ad[16], pt[16], exp[32], out[32], back[16];

	if (!vnet_seal_aes_available()) {
		printf("# no AES-256-GCM on this CPU: skipped\n");
		return;
	}
	unhex(
	    "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
	    key);
	unhex("516c33929df5a3284ff463d7", n);
	unhex("bdc1ac884d332457a1d2664f168c76f0", exp);
	vnet_seal_aead_encrypt(VNET_SEAL_AES256GCM, key, n, NULL, 0, NULL, 0,
			       out);
	T_MEMEQ(out, exp, 16);
	unhex(
	    "92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b",
	    key);
	unhex("ac93a1a6145299bde902f21a", n);
	unhex("1e0889016f67601c8ebea4943bc23ad6", ad);
	unhex("2d71bcfa914e4ac045b2aa60955fad24", pt);
	unhex(
	    "8995ae2e6df3dbf96fac7b7137bae67feca5aa77d51d4a0a14d9c51e1da474ab",
	    exp);
	vnet_seal_aead_encrypt(VNET_SEAL_AES256GCM, key, n, ad, 16, pt, 16,
			       out);
	T_MEMEQ(out, exp, 32);
	T_EQ(vnet_seal_aead_decrypt(VNET_SEAL_AES256GCM, key, n, ad, 16, out,
				    16, back),
	     0);
	T_MEMEQ(back, pt, 16);
	out[31] ^= 0x80;
	T_EQ(vnet_seal_aead_decrypt(VNET_SEAL_AES256GCM, key, n, ad, 16, out,
				    16, back),
	     -EBADMSG);
}

static void test_window(void)
{
	static struct vnet_seal_window w;
	const uint64_t win = VNET_SEAL_WINDOW - 64;
	uint64_t c;

	T_ASSERT(win >= 2048);
	vnet_seal_window_init(&w, 100);
	T_EQ(vnet_seal_window_check(&w, 100), VNET_SEAL_REPLAYED);
	T_EQ(vnet_seal_window_check(&w, 101), 0);
	T_EQ(vnet_seal_window_check(&w, 99), 0);
	/* reordering within the window is accepted, once */
	for (c = 200; c > 100; c--) {
		T_EQ(vnet_seal_window_check(&w, c), 0);
		vnet_seal_window_update(&w, c);
	}
	for (c = 100; c <= 200; c++)
		T_EQ(vnet_seal_window_check(&w, c), VNET_SEAL_REPLAYED);
	T_EQ(vnet_seal_window_check(&w, 99), 0);
	/* a jump: what is within the window stays, what is behind is old */
	vnet_seal_window_update(&w, 200 + win - 1);
	T_EQ(vnet_seal_window_check(&w, 200), VNET_SEAL_REPLAYED);
	T_EQ(vnet_seal_window_check(&w, 199), VNET_SEAL_TOO_OLD);
	T_EQ(vnet_seal_window_check(&w, 300), 0);
	vnet_seal_window_update(&w, 300);
	T_EQ(vnet_seal_window_check(&w, 300), VNET_SEAL_REPLAYED);
	/* a jump past the whole bitmap clears it */
	vnet_seal_window_update(&w, 1000000);
	T_EQ(vnet_seal_window_check(&w, 1000000), VNET_SEAL_REPLAYED);
	T_EQ(vnet_seal_window_check(&w, 1000000 - win + 1), 0);
	T_EQ(vnet_seal_window_check(&w, 1000000 - win), VNET_SEAL_TOO_OLD);
	T_EQ(vnet_seal_window_check(&w, 1000001), 0);
	/* block-boundary reuse: a counter 64 bits on in a cleared block */
	for (c = 1000001; c < 1000000 + 3 * 64; c++)
		vnet_seal_window_update(&w, c);
	for (c = 1000000; c < 1000000 + 3 * 64; c++)
		T_EQ(vnet_seal_window_check(&w, c), VNET_SEAL_REPLAYED);
}

static void test_time(void)
{
	char b[24];
	int64_t t;

	T_EQ(vnet_seal_time_parse("2026-12-04T05:00:00Z", &t), 0);
	T_EQ(t, 1796360400);
	T_STREQ(vnet_seal_time_fmt(t, b), "2026-12-04T05:00:00Z");
	T_EQ(vnet_seal_time_parse("0", &t), 0);
	T_STREQ(vnet_seal_time_fmt(t, b), "1970-01-01T00:00:00Z");
	T_EQ(vnet_seal_time_parse("2024-02-29T23:59:59Z", &t), 0);
	T_STREQ(vnet_seal_time_fmt(t, b), "2024-02-29T23:59:59Z");
	T_EQ(vnet_seal_time_parse("2026-13-01T00:00:00Z", &t), -EINVAL);
	T_EQ(vnet_seal_time_parse("2026-12-04 05:00:00Z", &t), -EINVAL);
	T_EQ(vnet_seal_time_parse("", &t), -EINVAL);
	T_EQ(vnet_seal_time_parse("12x", &t), -EINVAL);
}

#define K1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void bad(const char *text, unsigned line, const char *what)
{
	struct vnet_seal_keys *k = NULL;
	struct vnet_err e;
	char buf[VNET_ERR_STRLEN];

	vnet_err_clear(&e);
	T_EQ(vnet_seal_keys_parse(text, strlen(text), "k", &k, &e), -EINVAL);
	T_ASSERT(!k);
	T_EQ(e.line, line);
	vnet_err_str(&e, buf, sizeof(buf));
	if (!strstr(buf, what))
		T_FAIL("'%s' does not say '%s'", buf, what);
	if (strstr(buf, "0405060708"))
		T_FAIL("'%s' quotes the key", buf);
}

static void test_keyfile(void)
{
	const char *good =
	    "# fabric\ncipher chacha20-poly1305\n"
	    "epoch 1 0 2000000000 " K1 "\n"
	    "epoch 7 2026-12-04T05:00:00Z 2026-12-05T05:00:00Z " K1 "\n";
	struct vnet_seal_keys *k = NULL;
	struct vnet_err e;

	T_EQ(vnet_seal_keys_parse(good, strlen(good), "k", &k, &e), 0);
	T_ASSERT(k);
	if (!k)
		return;
	T_EQ(k->n, 2);
	T_EQ(k->cipher, VNET_SEAL_CHACHA20POLY1305);
	T_EQ(k->e[1].id, 7);
	T_EQ(k->e[1].not_before, 1796360400);
	T_EQ(k->e[0].key[31], 0x1f);
	vnet_seal_keys_free(k);
	bad("epoch 1 0 1 " K1 "\n", 0, "no 'cipher' line");
	bad("cipher chacha20-poly1305\n", 0, "no epoch");
	bad("cipher rot13\n", 1, "unknown cipher 'rot13'");
	bad("cipher aes-256-gcm\ncipher aes-256-gcm\n", 2, "a second cipher");
	bad("cipher aes-256-gcm\n\nkey 1\n", 3, "unknown keyword 'key'");
	bad("cipher aes-256-gcm\nepoch 1 0 1\n", 2, "want: epoch ID");
	bad("cipher aes-256-gcm\nepoch 0 0 1 " K1 "\n", 2, "epoch '0'");
	bad("cipher aes-256-gcm\nepoch 2 0 1 " K1 "\nepoch 2 0 1 " K1 "\n", 3,
	    "epochs go up");
	bad("cipher aes-256-gcm\nepoch 1 5 5 " K1 "\n", 2, "not after");
	bad("cipher aes-256-gcm\nepoch 1 yesterday 5 " K1 "\n", 2, "a time");
	bad("cipher aes-256-gcm\nepoch 1 0 5 0011\n", 2, "64 hex digits");
	bad("cipher aes-256-gcm\nepoch 1 0 5 " K1 " extra\n", 2, "want: epoch");
}

static void test_keyfile_mode(void)
{
	char path[] = "/tmp/test_seal.XXXXXX";
	struct vnet_seal_keys *k = NULL, *k2 = NULL;
	struct vnet_err e;
	int fd = mkstemp(path);

	T_ASSERT(fd >= 0);
	close(fd);
	T_EQ(vnet_seal_init(), 0);
	if (vnet_seal_keys_load(path, &k, &e) != -EINVAL)
		T_FAIL("an empty key file loads");
	/* a new file from nothing, written 0600 */
	T_EQ(vnet_seal_keys_parse("cipher chacha20-poly1305\nepoch 3 0 9 " K1,
				  strlen("cipher chacha20-poly1305\nepoch 3 0 "
					 "9 " K1),
				  "k", &k, &e),
	     0);
	T_EQ(vnet_seal_keys_add(k, 100, 200), 0);
	T_EQ(k->e[1].id, 4);
	T_EQ(vnet_seal_keys_add(k, 200, 100), -EINVAL);
	T_EQ(vnet_seal_keys_save(k, path, &e), 0);
	T_EQ(vnet_seal_keys_load(path, &k2, &e), 0);
	if (k2) {
		T_EQ(k2->n, 2);
		T_MEMEQ(k2->e[1].key, k->e[1].key, 32);
		T_EQ(k2->e[1].not_after, 200);
	}
	vnet_seal_keys_free(k2);
	k2 = NULL;
	chmod(path, 0644);
	T_EQ(vnet_seal_keys_load(path, &k2, &e), -EPERM);
	T_ASSERT(strstr(e.msg, "mode 0644") != NULL);
	T_ASSERT(strstr(e.msg, "chmod 600") != NULL);
	chmod(path, 0640);
	T_EQ(vnet_seal_keys_load(path, &k2, &e), -EPERM);
	vnet_seal_keys_free(k);
	unlink(path);
}

static struct vnet_seal_keys *keys(const char *text)
{
	struct vnet_seal_keys *k = NULL;
	struct vnet_err e;

	vnet_seal_keys_parse(text, strlen(text), "k", &k, &e);
	return k;
}

/* A header of 8 bytes and the fields, as VXLAN's sealed mode has it. */
#define HL (8 + VNET_SEAL_FLEN)

static void test_frames(void)
{
	const char *t = "cipher chacha20-poly1305\n"
			"epoch 1 0 1000 " K1 "\n"
			"epoch 2 900 2000 " K1 "\n";
	struct vnet_seal *a = vnet_seal_new(keys(t)),
			 *b = vnet_seal_new(keys(t));
	static uint8_t p[40][HL + 100 + 16], out[200], frame[100];
	struct iovec in[2] = {{frame, 60}, {frame + 60, 40}};
	size_t olen, i;
	unsigned j;

	T_ASSERT(a && b);
	if (!a || !b)
		return;
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	/* epoch 1 before 900, epoch 2 from then: the sender switches */
	T_EQ(vnet_seal_send_epoch(a, 899)->id, 1);
	T_EQ(vnet_seal_send_epoch(a, 900)->id, 2);
	T_ASSERT(!vnet_seal_send_epoch(a, 2000));
	T_EQ(vnet_seal_frame(a, 3000, p[0], HL, in, 2, 100, p[0] + HL),
	     -ENOKEY);
	for (j = 0; j < 40; j++) {
		memset(p[j], 0x11, 8);
		T_EQ(vnet_seal_frame(a, 500, p[j], HL, in, 2, 100, p[j] + HL),
		     0);
		T_EQ(p[j][8 + 3], 1);  /* epoch */
		T_EQ(p[j][8 + 19], j); /* counter */
	}
	T_ASSERT(memcmp(p[0] + HL, frame, 100) != 0);
	/* a truncated packet */
	T_EQ(vnet_seal_open(b, 500, p[0], HL, HL + 15, out, &olen),
	     VNET_SEAL_TRUNCATED);
	/* every byte flipped: forged, and no state made */
	for (i = 0; i < HL + 116; i++) {
		int r;

		p[1][i] ^= 0x40;
		r = vnet_seal_open(b, 500, p[1], HL, HL + 116, out, &olen);
		if (i >= 8 && i < 12)
			T_EQ(r, VNET_SEAL_UNKNOWN_EPOCH);
		else
			T_EQ(r, VNET_SEAL_FORGED);
		p[1][i] ^= 0x40;
	}
	T_EQ(vnet_seal_senders(b), 0);
	/* out of order, within the window */
	for (j = 40; j-- > 0;) {
		T_EQ(vnet_seal_open(b, 500, p[j], HL, HL + 116, out, &olen), 0);
		T_EQ(olen, 100);
		T_MEMEQ(out, frame, 100);
	}
	T_EQ(vnet_seal_senders(b), 1);
	/* replayed */
	for (j = 0; j < 40; j++)
		T_EQ(vnet_seal_open(b, 500, p[j], HL, HL + 116, out, &olen),
		     VNET_SEAL_REPLAYED);
	/* after epoch 1's not-after: too old, and the session forgotten */
	T_EQ(vnet_seal_open(b, 1000, p[0], HL, HL + 116, out, &olen),
	     VNET_SEAL_TOO_OLD);
	T_EQ(vnet_seal_senders(b), 0);
	/* epoch 2 from 900 on; a receiver accepts it from load */
	T_EQ(vnet_seal_frame(a, 950, p[0], HL, in, 2, 100, p[0] + HL), 0);
	T_EQ(p[0][8 + 3], 2);
	T_EQ(vnet_seal_open(b, 950, p[0], HL, HL + 116, out, &olen), 0);
	/* a receiver without epoch 2 */
	vnet_seal_set_keys(b, keys("cipher chacha20-poly1305\n"
				   "epoch 1 0 1000 " K1 "\n"));
	T_EQ(vnet_seal_open(b, 950, p[0], HL, HL + 116, out, &olen),
	     VNET_SEAL_UNKNOWN_EPOCH);
	/* another fabric's key of the same epoch */
	vnet_seal_set_keys(b,
			   keys("cipher chacha20-poly1305\nepoch 2 0 1000 "
				"ff0102030405060708090a0b0c0d0e0f101112131415"
				"161718191a1b1c1d1e1f\n"));
	T_EQ(vnet_seal_open(b, 950, p[0], HL, HL + 116, out, &olen),
	     VNET_SEAL_FORGED);
	vnet_seal_free(a);
	vnet_seal_free(b);
}

/* Two senders of one fabric do not share nonces' keys: each session's
 * key comes from its own salt, so the same counter seals differently. */
static void test_sessions(void)
{
	const char *t = "cipher chacha20-poly1305\nepoch 1 0 1000 " K1 "\n";
	struct vnet_seal *a = vnet_seal_new(keys(t)),
			 *b = vnet_seal_new(keys(t));
	static uint8_t pa[HL + 30], pb[HL + 30], frame[14];
	struct iovec in = {frame, 14};

	T_ASSERT(a && b);
	if (!a || !b)
		return;
	vnet_seal_frame(a, 1, pa, HL, &in, 1, 14, pa + HL);
	vnet_seal_frame(b, 1, pb, HL, &in, 1, 14, pb + HL);
	T_ASSERT(memcmp(pa + 8 + 4, pb + 8 + 4, 8) != 0); /* salts */
	T_MEMEQ(pa + 8 + 12, pb + 8 + 12, 8);		  /* counters */
	T_ASSERT(memcmp(pa + HL, pb + HL, 14) != 0);
	vnet_seal_free(a);
	vnet_seal_free(b);
}

/* The worked examples of vnet-encap(8) (Sealed mode) open, to the frame. */
static void test_manual_examples(void)
{
	static const char keys[] =
		"cipher chacha20-poly1305\n"
		"epoch 1 2026-01-01T00:00:00Z 2027-01-01T00:00:00Z "
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"\n";
	static const char *const pkt[2] = {
		"0640655800006400ff5ed30500000001b3b79d13309888dd000000000000"
		"00009e06e24ae9f6fe9003ec61b5ca0c9fd2d9c150ed7c7d464e118cda45"
		"f20195aeb8230cd024a6ccc722e9",
		"080000000000640000000001b53cd506906997d600000000000000007ce9"
		"30cbd1faf293a5f458adffefa03b8994d3e6f38937bd108e6f2f07c403a0"
		"fb8410a5b50a4132d4dc",
	};
	static const size_t hl[2] = { 32, 28 };
	uint8_t p[80], frame[26], out[80];
	struct vnet_seal_keys *k = NULL;
	struct vnet_seal *s;
	size_t n, olen;
	unsigned i;

	unhex("020000000002020000000001", frame);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	memcpy(frame + 14, "sealed hello", 12);
	for (i = 0; i < 2; i++) {
		T_EQ(vnet_seal_keys_parse(keys, strlen(keys), "k", &k, NULL), 0);
		T_ASSERT((s = vnet_seal_new(k)) != NULL);
		if (!s)
			return;
		n = unhex(pkt[i], p);
		T_EQ(n, hl[i] + 26 + 16);
		T_EQ(vnet_seal_open(s, 1796360400, p, hl[i], n, out, &olen), 0);
		T_EQ(olen, 26);
		T_MEMEQ(out, frame, 26);
		vnet_seal_free(s);
	}
}

int main(void)
{
	T_RUN(test_kat_chacha);
	T_RUN(test_kat_aes);
	T_RUN(test_window);
	T_RUN(test_time);
	T_RUN(test_keyfile);
	T_RUN(test_keyfile_mode);
	T_RUN(test_frames);
	T_RUN(test_sessions);
	T_RUN(test_manual_examples);
	return T_DONE();
}
