/* SPDX-License-Identifier: ISC */
/* ipfix.c -- IPFIX messages (RFC 7011) and their transport to a collector. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vnet-flowexport/ipfix.h"
#include "vnet/err.h"
#include "vnet/bytes.h"
#include "vnet/num.h"
#include "vnet/sig.h"

/* Information Element IDs (IANA IPFIX registry). */
enum {
	IE_OCTETS = 1,
	IE_PACKETS = 2,
	IE_PROTO = 4,
	IE_TOS = 5,
	IE_TCP_FLAGS = 6,
	IE_SPORT = 7,
	IE_SRC4 = 8,
	IE_IN_IF = 10,
	IE_DPORT = 11,
	IE_DST4 = 12,
	IE_OUT_IF = 14,
	IE_SRC6 = 27,
	IE_DST6 = 28,
	IE_ICMP4 = 32,
	IE_SRC_MAC = 56,
	IE_VLAN = 58,
	IE_DST_MAC = 80,
	IE_END_REASON = 136,
	IE_ICMP6 = 139,
	IE_START_MS = 152,
	IE_END_MS = 153,
	IE_DOMAIN_ID = 149,
	IE_IN_VRF = 234,
	IE_OUT_VRF = 235,
	IE_SELECTOR_ID = 302,
	IE_SELECTOR_ALG = 304,
	IE_SAMPLING_INTERVAL = 305,
	IE_SAMPLING_SPACE = 306,
	IE_L2_SEGMENT = 351,
};

/* layer2SegmentId: the top octet names the kind of segment. */
#define L2SEG_VXLAN 0x01ULL
#define SELECTOR_SYSTEMATIC_COUNT 1 /* RFC 5475 / IANA selectorAlgorithm */

struct field {
	uint16_t ie, len;
};

/* The template tables.  One entry per field in record order; the
 * segment fields depend on the profile, the addresses and ICMP on the
 * IP version. */
static const struct field fields_v4[] = {
	{ IE_SRC4, 4 }, { IE_DST4, 4 },
};
static const struct field fields_v6[] = {
	{ IE_SRC6, 16 }, { IE_DST6, 16 },
};
static const struct field fields_mid[] = {
	{ IE_SPORT, 2 },    { IE_DPORT, 2 },	{ IE_PROTO, 1 },
	{ IE_TCP_FLAGS, 2 }, { IE_TOS, 1 },	{ 0, 2 }, /* ICMP type code */
	{ IE_OCTETS, 8 },   { IE_PACKETS, 8 },	{ IE_START_MS, 8 },
	{ IE_END_MS, 8 },   { IE_VLAN, 2 },	{ IE_SRC_MAC, 6 },
	{ IE_DST_MAC, 6 },
};
static const struct field fields_seg_std[] = {
	{ IE_L2_SEGMENT, 8 },
};
static const struct field fields_seg_nfdump[] = {
	{ IE_IN_VRF, 4 }, { IE_OUT_VRF, 4 }, { IE_DOMAIN_ID, 4 },
};
static const struct field fields_tail[] = {
	{ IE_END_REASON, 1 }, { IE_IN_IF, 4 }, { IE_OUT_IF, 4 },
};
/* Options template 258: one scope field, then the options. */
static const struct field fields_sampling[] = {
	{ IE_SELECTOR_ID, 8 },
	{ IE_SELECTOR_ALG, 2 },
	{ IE_SAMPLING_INTERVAL, 4 },
	{ IE_SAMPLING_SPACE, 4 },
};
#define NFIELDS_MAX 24
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct tpl {
	struct field f[NFIELDS_MAX];
	unsigned n;
	size_t reclen;
};

#define TCP_QUEUE (256 * 1024)
#define TCP_QMSGS 4096
#define BACKOFF_MIN 1000000000ULL
#define BACKOFF_MAX 30000000000ULL

enum { OUT_NONE, OUT_FN, OUT_UDP, OUT_TCP };
enum { TCP_DOWN, TCP_CONNECTING, TCP_UP };

struct qmsg {
	size_t end;	/* offset in the queue just past the message */
	uint32_t flows;
};

struct vnet_ipfix {
	struct vnet_ipfix_config c;
	struct tpl tpl[2]; /* 256, 257 */

	/* The message being built. */
	uint8_t *msg;
	size_t used;
	size_t set_off;	   /* offset of the open data set, 0 if none */
	unsigned set_tid;
	uint32_t nrec;	   /* data records (sequence number) */
	uint32_t nflows;   /* of them, flow records */
	int started, with_tpl;
	uint64_t since;

	/* Session */
	uint32_t seq;
	int need_tpl;
	uint64_t tpl_time;
	uint32_t msgs_since_tpl;

	/* Output */
	int out;
	int (*out_fn)(void *arg, const uint8_t *msg, size_t len);
	void *out_arg;
	int fd;
	struct sockaddr_storage ss;
	socklen_t sslen;
	int last_err;
	int udp_connected;
	uint64_t pace_next; /* --rate: when the next message may go */
	int tcp;
	uint64_t retry_at, backoff;
	uint8_t *q;
	size_t qhead, qlen;
	struct qmsg qm[TCP_QMSGS];
	unsigned qm_head, qm_n;

	struct vnet_ipfix_stats st;
};

/* The low len bytes of v, big-endian. */
static inline void put_be(uint8_t *p, uint64_t v, unsigned len)
{
	while (len--) {
		p[len] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int vnet_ipfix_profile_parse(const char *s, enum vnet_ipfix_profile *p)
{
	if (!strcmp(s, "standard"))
		*p = VNET_IPFIX_STANDARD;
	else if (!strcmp(s, "nfdump"))
		*p = VNET_IPFIX_NFDUMP;
	else
		return -EINVAL;
	return 0;
}

static void tpl_append(struct tpl *t, const struct field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n && t->n < NFIELDS_MAX; i++) {
		t->f[t->n] = f[i];
		t->reclen += f[i].len;
		t->n++;
	}
}

static void tpl_build(struct tpl *t, enum vnet_ipfix_profile p, int v6)
{
	memset(t, 0, sizeof(*t));
	if (v6)
		tpl_append(t, fields_v6, NELEM(fields_v6));
	else
		tpl_append(t, fields_v4, NELEM(fields_v4));
	tpl_append(t, fields_mid, NELEM(fields_mid));
	t->f[t->n - NELEM(fields_mid) + 5].ie = v6 ? IE_ICMP6 : IE_ICMP4;
	if (p == VNET_IPFIX_NFDUMP)
		tpl_append(t, fields_seg_nfdump, NELEM(fields_seg_nfdump));
	else
		tpl_append(t, fields_seg_std, NELEM(fields_seg_std));
	tpl_append(t, fields_tail, NELEM(fields_tail));
}

size_t vnet_ipfix_record_len(enum vnet_ipfix_profile p, unsigned tid)
{
	struct tpl t;

	tpl_build(&t, p, tid == VNET_IPFIX_TPL_V6);
	return t.reclen;
}

static size_t sampling_reclen(void)
{
	size_t i, n = 0;

	for (i = 0; i < NELEM(fields_sampling); i++)
		n += fields_sampling[i].len;
	return n;
}

/* Bytes the templates (and the sampling options) take at the start of a
 * message. */
static size_t tpl_bytes(const struct vnet_ipfix *x)
{
	size_t n = 4 + 2 * 4 + (x->tpl[0].n + x->tpl[1].n) * 4;

	if (x->c.sample_n > 1)
		n += 4 + 6 + NELEM(fields_sampling) * 4 + 4 + sampling_reclen();
	return n;
}

struct vnet_ipfix *vnet_ipfix_new(const struct vnet_ipfix_config *c)
{
	struct vnet_ipfix *x;

	if (!(x = calloc(1, sizeof(*x))))
		return NULL;
	x->c = *c;
	x->fd = -1;
	tpl_build(&x->tpl[0], c->profile, 0);
	tpl_build(&x->tpl[1], c->profile, 1);
	if (c->msg_max > VNET_IPFIX_MSG_MAX || c->msg_max < VNET_IPFIX_MSG_MIN ||
	    c->msg_max < VNET_IPFIX_HLEN + tpl_bytes(x) + 4 + x->tpl[1].reclen) {
		free(x);
		errno = EINVAL;
		return NULL;
	}
	if (!(x->msg = malloc(c->msg_max))) {
		free(x);
		return NULL;
	}
	x->need_tpl = 1;
	x->backoff = BACKOFF_MIN;
	return x;
}

void vnet_ipfix_free(struct vnet_ipfix *x)
{
	if (!x)
		return;
	if (x->fd >= 0)
		close(x->fd);
	free(x->q);
	free(x->msg);
	free(x);
}

const struct vnet_ipfix_stats *vnet_ipfix_stats(const struct vnet_ipfix *x)
{
	return &x->st;
}

int vnet_ipfix_error(const struct vnet_ipfix *x)
{
	return x->last_err;
}

void vnet_ipfix_set_output(struct vnet_ipfix *x,
			   int (*out)(void *arg, const uint8_t *msg,
				      size_t len),
			   void *arg)
{
	x->out = OUT_FN;
	x->out_fn = out;
	x->out_arg = arg;
}

void vnet_ipfix_new_session(struct vnet_ipfix *x)
{
	x->seq = 0;
	x->need_tpl = 1;
}

unsigned vnet_ipfix_pending(const struct vnet_ipfix *x)
{
	return x->started ? x->nflows : 0;
}

uint64_t vnet_ipfix_pending_since(const struct vnet_ipfix *x)
{
	return x->since;
}

/* Message building */

static void write_tpl_set(struct vnet_ipfix *x)
{
	uint8_t *p = x->msg + x->used, *set = p;
	unsigned t, i;

	p += 4;
	for (t = 0; t < 2; t++) {
		vnet_put16(p, (uint16_t)(VNET_IPFIX_TPL_V4 + t));
		vnet_put16(p + 2, (uint16_t)x->tpl[t].n);
		p += 4;
		for (i = 0; i < x->tpl[t].n; i++, p += 4) {
			vnet_put16(p, x->tpl[t].f[i].ie);
			vnet_put16(p + 2, x->tpl[t].f[i].len);
		}
	}
	vnet_put16(set, VNET_IPFIX_SET_TEMPLATE);
	vnet_put16(set + 2, (uint16_t)(p - set));
	x->used += (size_t)(p - set);
	if (x->c.sample_n <= 1)
		return;

	/* Options template set, then the one record of its data set. */
	set = p;
	vnet_put16(p + 4, VNET_IPFIX_TPL_SAMPLING);
	vnet_put16(p + 6, (uint16_t)NELEM(fields_sampling));
	vnet_put16(p + 8, 1); /* scope field count */
	p += 10;
	for (i = 0; i < NELEM(fields_sampling); i++, p += 4) {
		vnet_put16(p, fields_sampling[i].ie);
		vnet_put16(p + 2, fields_sampling[i].len);
	}
	vnet_put16(set, VNET_IPFIX_SET_OPTIONS);
	vnet_put16(set + 2, (uint16_t)(p - set));
	x->used += (size_t)(p - set);
	set = p;
	vnet_put16(p, VNET_IPFIX_TPL_SAMPLING);
	vnet_put16(p + 2, (uint16_t)(4 + sampling_reclen()));
	p += 4;
	put_be(p, 1, 8);			 /* selectorId */
	put_be(p + 8, SELECTOR_SYSTEMATIC_COUNT, 2); /* selectorAlgorithm */
	put_be(p + 10, 1, 4);			 /* samplingPacketInterval */
	put_be(p + 14, x->c.sample_n - 1, 4);	 /* samplingPacketSpace */
	p += sampling_reclen();
	x->used += (size_t)(p - set);
	x->nrec++;
}

static int tcp_mode(const struct vnet_ipfix *x)
{
	return x->out == OUT_TCP;
}

static void start_msg(struct vnet_ipfix *x, uint64_t now)
{
	int tpl = x->need_tpl;

	if (!tcp_mode(x)) {
		if (x->c.refresh_ns && now >= x->tpl_time &&
		    now - x->tpl_time >= x->c.refresh_ns)
			tpl = 1;
		if (x->c.refresh_msgs && x->msgs_since_tpl >= x->c.refresh_msgs)
			tpl = 1;
	}
	x->used = VNET_IPFIX_HLEN;
	x->set_off = 0;
	x->set_tid = 0;
	x->nrec = x->nflows = 0;
	x->started = 1;
	x->with_tpl = tpl;
	x->since = now;
	if (tpl)
		write_tpl_set(x);
}

static void close_set(struct vnet_ipfix *x)
{
	if (!x->set_off)
		return;
	vnet_put16(x->msg + x->set_off + 2, (uint16_t)(x->used - x->set_off));
	x->set_off = 0;
	x->set_tid = 0;
}

static void encode(uint8_t *p, const struct tpl *t, const struct vnet_flow *f,
		   uint32_t domain)
{
	const struct vnet_flow_key *k = &f->key;
	int has_seg = k->segment != VNET_FLOW_NO_SEGMENT;
	uint32_t vni = has_seg ? k->segment & 0xffffff : 0;
	unsigned i;
	uint64_t v;

	for (i = 0; i < t->n; p += t->f[i].len, i++) {
		switch (t->f[i].ie) {
		case IE_SRC4:
		case IE_SRC6:
			memcpy(p, k->src.b, t->f[i].len);
			continue;
		case IE_DST4:
		case IE_DST6:
			memcpy(p, k->dst.b, t->f[i].len);
			continue;
		case IE_SRC_MAC:
			memcpy(p, f->src_mac, 6);
			continue;
		case IE_DST_MAC:
			memcpy(p, f->dst_mac, 6);
			continue;
		case IE_SPORT:
			v = k->sport;
			break;
		case IE_DPORT:
			v = k->dport;
			break;
		case IE_PROTO:
			v = k->proto;
			break;
		case IE_TCP_FLAGS:
			v = f->tcp_flags;
			break;
		case IE_TOS:
			v = f->tos;
			break;
		case IE_ICMP4:
		case IE_ICMP6:
			v = vnet_flow_is_icmp(k) ? k->dport : 0;
			break;
		case IE_OCTETS:
			v = f->bytes;
			break;
		case IE_PACKETS:
			v = f->packets;
			break;
		case IE_START_MS:
			v = f->start_ns / 1000000;
			break;
		case IE_END_MS:
			v = f->end_ns / 1000000;
			break;
		case IE_VLAN:
			v = k->vlan;
			break;
		case IE_L2_SEGMENT:
			v = has_seg ? L2SEG_VXLAN << 56 | vni : 0;
			break;
		case IE_IN_VRF:
		case IE_OUT_VRF:
			v = vni;
			break;
		case IE_DOMAIN_ID:
			v = domain;
			break;
		case IE_END_REASON:
			v = f->end_reason;
			break;
		case IE_IN_IF:
			v = k->in_if;
			break;
		case IE_OUT_IF:
			v = k->out_if;
			break;
		default:
			v = 0;
			break;
		}
		put_be(p, v, t->f[i].len);
	}
}

/* Transports */

static void q_drop_all(struct vnet_ipfix *x)
{
	unsigned i;

	for (i = 0; i < x->qm_n; i++)
		x->st.records_dropped +=
			x->qm[(x->qm_head + i) % TCP_QMSGS].flows;
	x->qm_n = x->qm_head = 0;
	x->qhead = x->qlen = 0;
}

static void tcp_fail(struct vnet_ipfix *x, int err)
{
	x->last_err = err;
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	q_drop_all(x);
	if (x->started) {
		x->st.records_dropped += x->nflows;
		x->started = 0;
	}
	x->tcp = TCP_DOWN;
	x->retry_at = mono_ns() + x->backoff;
	x->backoff = x->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX
						  : x->backoff * 2;
}

static void tcp_up(struct vnet_ipfix *x)
{
	x->tcp = TCP_UP;
	x->backoff = BACKOFF_MIN;
	x->last_err = 0;
	x->st.connects++;
}

static void tcp_start(struct vnet_ipfix *x)
{
	int fd;

	fd = socket(x->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0) {
		tcp_fail(x, errno);
		return;
	}
	x->fd = fd;
	/* A new connection is a new Transport Session (RFC 7011 10.4). */
	vnet_ipfix_new_session(x);
	if (!connect(fd, (struct sockaddr *)&x->ss, x->sslen)) {
		tcp_up(x);
	} else if (errno == EINPROGRESS) {
		x->tcp = TCP_CONNECTING;
	} else {
		tcp_fail(x, errno);
	}
}

static void tcp_check_connect(struct vnet_ipfix *x, int timeout_ms)
{
	struct pollfd pfd = { .fd = x->fd, .events = POLLOUT };
	socklen_t sl = sizeof(int);
	int err = 0;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return;
	if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err)
		tcp_fail(x, err);
	else
		tcp_up(x);
}

static void tcp_write(struct vnet_ipfix *x)
{
	ssize_t n;

	while (x->qhead < x->qlen) {
		n = send(x->fd, x->q + x->qhead, x->qlen - x->qhead,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				tcp_fail(x, errno);
			break;
		}
		x->qhead += (size_t)n;
		while (x->qm_n && x->qm[x->qm_head].end <= x->qhead) {
			x->st.records_exported += x->qm[x->qm_head].flows;
			x->st.messages_sent++;
			x->qm_head = (x->qm_head + 1) % TCP_QMSGS;
			x->qm_n--;
		}
	}
	if (x->tcp == TCP_UP && x->qhead == x->qlen)
		x->qhead = x->qlen = 0;
}

/* A closed connection shows as readable with nothing to read. */
static void tcp_check_closed(struct vnet_ipfix *x)
{
	struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
	uint8_t buf[256];
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return;
	n = recv(x->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0)
		tcp_fail(x, ECONNRESET);
	else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		 errno != EINTR)
		tcp_fail(x, errno);
}

void vnet_ipfix_poll(struct vnet_ipfix *x)
{
	if (x->out != OUT_TCP)
		return;
	if (x->tcp == TCP_DOWN && mono_ns() >= x->retry_at)
		tcp_start(x);
	if (x->tcp == TCP_CONNECTING)
		tcp_check_connect(x, 0);
	if (x->tcp == TCP_UP) {
		tcp_check_closed(x);
		if (x->tcp == TCP_UP)
			tcp_write(x);
	}
}

/* Queue a finished message: 0, or -ENOTCONN when it has to be dropped. */
static int tcp_queue(struct vnet_ipfix *x, const uint8_t *msg, size_t len,
		     uint32_t flows)
{
	struct qmsg *m;
	unsigned i;

	if (x->tcp == TCP_DOWN)
		return -ENOTCONN;
	if (!x->q && !(x->q = malloc(TCP_QUEUE)))
		return -ENOTCONN;
	if (x->qlen + len > TCP_QUEUE && x->qhead) {
		memmove(x->q, x->q + x->qhead, x->qlen - x->qhead);
		for (i = 0; i < x->qm_n; i++)
			x->qm[(x->qm_head + i) % TCP_QMSGS].end -= x->qhead;
		x->qlen -= x->qhead;
		x->qhead = 0;
	}
	if (x->qlen + len > TCP_QUEUE || x->qm_n == TCP_QMSGS)
		return -ENOTCONN; /* the collector is not keeping up */
	memcpy(x->q + x->qlen, msg, len);
	x->qlen += len;
	m = &x->qm[(x->qm_head + x->qm_n) % TCP_QMSGS];
	m->end = x->qlen;
	m->flows = flows;
	x->qm_n++;
	return 0;
}

/* Credit for a pace that fell behind (a slow send, a long sleep). */
#define PACE_SLACK_NS 10000000ULL

/* Hold a UDP message of flows records until the records before it have
 * had their time at c.rate a second. */
static void pace(struct vnet_ipfix *x, uint32_t flows)
{
	uint64_t now, wait;

	if (!x->c.rate || !flows)
		return;
	now = mono_ns();
	if (x->pace_next + PACE_SLACK_NS < now)
		x->pace_next = now;
	while (now < x->pace_next && !vnet_sig_stop_signo()) {
		wait = x->pace_next - now;
		vnet_sig_poll(NULL, 0, (int)((wait + 999999) / 1000000));
		now = mono_ns();
	}
	x->pace_next += (uint64_t)flows * 1000000000ULL / x->c.rate;
}

/* IP_RECVERR queues each ICMP error it reports: read them away (the
 * send that failed has counted the error). */
static void drain_errqueue(struct vnet_ipfix *x)
{
	uint8_t buf[256], cbuf[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m;
	int i;

	for (i = 0; i < 16; i++) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		if (recvmsg(x->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
	}
}

static int udp_send(struct vnet_ipfix *x, const uint8_t *msg, size_t len)
{
	ssize_t n;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (x->udp_connected)
			n = send(x->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = sendto(x->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
				   (struct sockaddr *)&x->ss, x->sslen);
		if (n == (ssize_t)len)
			return 0;
		/* Every failed send counts.  An ICMP error for an earlier
		 * datagram is reported by this send, which did not go out:
		 * that one is tried once more. */
		x->last_err = n < 0 ? errno : EMSGSIZE;
		x->st.send_errors++;
		drain_errqueue(x);
		/* The only loss a sender can see: its own buffer or queue.
		 * A receiver's full buffer (a local collector that does not
		 * keep up) drops without a word to the sender. */
		if (x->last_err == EAGAIN || x->last_err == EWOULDBLOCK ||
		    x->last_err == ENOBUFS)
			x->st.send_full++;
		if (x->last_err != ECONNREFUSED)
			break;
	}
	return x->last_err == ENOTCONN ? -EIO : -x->last_err;
}

/* Finish the message being built and hand it to the output. */
static int finish_msg(struct vnet_ipfix *x, uint64_t now)
{
	uint32_t flows = x->nflows;
	int r;

	if (!x->started)
		return 0;
	x->started = 0;
	close_set(x);
	vnet_put16(x->msg, VNET_IPFIX_VERSION);
	vnet_put16(x->msg + 2, (uint16_t)x->used);
	vnet_put32(x->msg + 4, (uint32_t)(now / 1000000000ULL));
	vnet_put32(x->msg + 8, x->seq);
	vnet_put32(x->msg + 12, x->c.domain);

	switch (x->out) {
	case OUT_FN:
		r = x->out_fn(x->out_arg, x->msg, x->used);
		break;
	case OUT_UDP:
		pace(x, flows);
		r = udp_send(x, x->msg, x->used);
		break;
	case OUT_TCP:
		r = tcp_queue(x, x->msg, x->used, flows);
		break;
	default:
		r = -ENOTCONN;
		break;
	}
	if (r == -ENOTCONN) {
		x->st.records_dropped += flows;
		return r;
	}
	x->seq += x->nrec;
	if (x->with_tpl) {
		x->need_tpl = 0;
		x->tpl_time = x->since;
		x->msgs_since_tpl = 0;
		x->st.templates_sent += x->c.sample_n > 1 ? 3 : 2;
	}
	x->msgs_since_tpl++;
	if (r < 0) {
		if (x->out != OUT_UDP) /* udp_send() counts its own */
			x->st.send_errors++;
		return r;
	}
	if (x->out == OUT_TCP) {
		tcp_write(x); /* counted as exported once written */
		return 0;
	}
	x->st.messages_sent++;
	x->st.records_exported += flows;
	return 0;
}

int vnet_ipfix_flush(struct vnet_ipfix *x, uint64_t now)
{
	if (!x->started || !x->nflows)
		return 0;
	return finish_msg(x, now);
}

int vnet_ipfix_add(struct vnet_ipfix *x, const struct vnet_flow *f,
		   uint64_t now)
{
	unsigned tid = f->key.ip_version == 6 ? VNET_IPFIX_TPL_V6
					      : VNET_IPFIX_TPL_V4;
	const struct tpl *t = &x->tpl[tid - VNET_IPFIX_TPL_V4];
	size_t need = t->reclen + (x->set_tid == tid ? 0 : 4);
	int r = 0;

	if (x->started && x->used + need > x->c.msg_max)
		r = finish_msg(x, now);
	if (tcp_mode(x) && x->tcp == TCP_DOWN) {
		x->st.records_dropped++;
		return r;
	}
	if (!x->started)
		start_msg(x, now);
	if (x->set_tid != tid) {
		close_set(x);
		x->set_off = x->used;
		x->set_tid = tid;
		vnet_put16(x->msg + x->used, (uint16_t)tid);
		x->used += 4;
	}
	encode(x->msg + x->used, t, f, x->c.domain);
	x->used += t->reclen;
	x->nrec++;
	x->nflows++;
	return r;
}

int vnet_ipfix_drain(struct vnet_ipfix *x, int timeout_ms)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ULL, now;
	struct pollfd pfd;

	if (x->out != OUT_TCP)
		return 0;
	for (;;) {
		vnet_ipfix_poll(x);
		if (x->tcp == TCP_DOWN)
			return x->qm_n ? -ENOTCONN : 0;
		if (x->tcp == TCP_UP && !x->qm_n)
			return 0;
		now = mono_ns();
		if (now >= end) {
			q_drop_all(x);
			return -ETIMEDOUT;
		}
		pfd.fd = x->fd;
		pfd.events = POLLOUT;
		poll(&pfd, 1, (int)((end - now) / 1000000ULL) + 1);
	}
}

int vnet_ipfix_connect(struct vnet_ipfix *x,
		       const struct vnet_ipfix_collector *c, int timeout_ms)
{
	int fd, on;

	x->sslen = vnet_addr_to_sockaddr(&c->addr, c->port, &x->ss);
	if (!x->sslen)
		return -EAFNOSUPPORT;
	if (c->proto == VNET_IPFIX_TCP) {
		x->out = OUT_TCP;
		tcp_start(x);
		if (x->tcp == TCP_DOWN && x->last_err != ECONNREFUSED &&
		    x->last_err != ENETUNREACH && x->last_err != EHOSTUNREACH &&
		    x->last_err != ETIMEDOUT && x->last_err != EADDRNOTAVAIL)
			return -x->last_err;
		if (x->tcp == TCP_CONNECTING)
			tcp_check_connect(x, timeout_ms);
		return x->tcp == TCP_UP ? 0 : 1;
	}
	fd = socket(x->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	x->fd = fd;
	x->out = OUT_UDP;
	/* Without it a UDP send hides a full device queue (ENOBUFS) and
	 * says it went out (Linux udp_send_skb). */
	on = 1;
	if (x->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
	else
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	if (!connect(fd, (struct sockaddr *)&x->ss, x->sslen)) {
		x->udp_connected = 1;
		return 0;
	}
	/* No route yet: send unconnected, each failure counted, until
	 * there is one. */
	x->last_err = errno;
	if (errno == ENETUNREACH || errno == EHOSTUNREACH ||
	    errno == EADDRNOTAVAIL)
		return 0;
	return -x->last_err;
}

/* Collector specs */

/* Fill e with msg about the collector spec (quoted, as port specs are);
 * -EINVAL. */
static int perr(struct vnet_err *e, const char *spec, const char *msg)
{
	char q[VNET_ERR_OBJ];

	snprintf(q, sizeof(q), "'%s'", spec);
	vnet_err_set(e, q, 0, "%s", msg);
	return -EINVAL;
}

int vnet_ipfix_collector_parse(const char *s, struct vnet_ipfix_collector *c,
			       struct vnet_err *e)
{
	const char *spec = s;
	char buf[128], *host, *port = NULL, *end;
	struct vnet_ipfix_collector r;
	uint64_t p = VNET_IPFIX_PORT;

	memset(&r, 0, sizeof(r));
	r.proto = VNET_IPFIX_UDP;
	if (!strncmp(s, "udp:", 4)) {
		s += 4;
	} else if (!strncmp(s, "tcp:", 4)) {
		r.proto = VNET_IPFIX_TCP;
		s += 4;
	}
	if (strlen(s) >= sizeof(buf)) {
		return perr(e, spec, "too long");
	}
	strcpy(buf, s);
	host = buf;
	if (*host == '[') {
		if (!(end = strchr(host, ']'))) {
			return perr(e, spec, "missing ']' after the IPv6 address");
		}
		*end = '\0';
		host++;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1]) {
			return perr(e, spec, "expected ':PORT' after ']'");
		}
	} else if ((end = strchr(host, ':')) && !strchr(end + 1, ':')) {
		*end = '\0'; /* one colon: ADDR:PORT; more: a bare IPv6 */
		port = end + 1;
	}
	if (!*host || vnet_addr_parse(host, &r.addr)) {
		return perr(e, spec, "not an IPv4 or IPv6 address (udp:ADDR[:PORT] or "
		       "tcp:ADDR[:PORT]; IPv6 in brackets)");
	}
	if (port && vnet_parse_u64(port, 1, 65535, &p)) {
		return perr(e, spec, "bad port (1-65535)");
	}
	r.port = (uint16_t)p;
	*c = r;
	return 0;
}

const char *vnet_ipfix_collector_fmt(const struct vnet_ipfix_collector *c,
				     char *buf, size_t len)
{
	char a[VNET_ADDRSTRLEN];
	int v6 = c->addr.family == AF_INET6;

	snprintf(buf, len, "%s:%s%s%s:%u",
		 c->proto == VNET_IPFIX_TCP ? "tcp" : "udp", v6 ? "[" : "",
		 vnet_addr_fmt(&c->addr, a), v6 ? "]" : "", c->port);
	return buf;
}
