/* SPDX-License-Identifier: ISC */
/* ctl.c -- the control socket of a long-running program, and its client. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vnet/clock.h"
#include "vnet/ctl.h"
#include "vnet/tool.h" /* VNET_VERSION */

#define SUN_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define PAUSE_NS 100000000ULL /* accept again after running out of fds */
#define FD_MIN 10	      /* the lowest descriptor of the socket */

/* ---- bounded buffers ---- */

struct buf {
	char *p;
	size_t len, cap;
	int full; /* a write did not fit in VNET_CTL_REPLY_MAX */
};

static int buf_add(struct buf *b, const void *d, size_t n)
{
	size_t cap;
	char *p;

	if (b->full)
		return -1;
	if (n > VNET_CTL_REPLY_MAX - b->len) {
		b->full = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap))) {
			b->full = 1;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
							: sizeof(tmp) - 1);
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* s (n bytes) as a JSON string. */
static void json_str(struct buf *b, const char *s, size_t n)
{
	size_t i, run = 0;

	buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f)
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		if (ch == '"' || ch == '\\') {
			char esc[2] = { '\\', (char)ch };

			buf_add(b, esc, 2);
		} else {
			buf_printf(b, "\\u%04x", ch);
		}
	}
	buf_add(b, s + run, n - run);
	buf_add(b, "\"", 1);
}

/* Whether s (n bytes) is a JSON number as written: -?(0|[1-9][0-9]*)
 * with an optional fraction. */
static int is_number(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d || (s[d] == '0' && i - d > 1))
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* ---- requests ---- */

static int is_cmd_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

int vnet_ctl_req_parse(struct vnet_ctl_req *rq, const char *line,
		       size_t len, struct vnet_err *e)
{
	char *p, *end, *w;
	size_t i;

	memset(rq, 0, sizeof(*rq));
	if (len && line[len - 1] == '\r')
		len--;
	if (len > VNET_CTL_REQ_MAX) {
		vnet_err_set(e, NULL, 0, "request longer than %d bytes",
			     VNET_CTL_REQ_MAX);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			vnet_err_set(e, NULL, 0,
				     "control character 0x%02x in the request",
				     ch);
			return -EINVAL;
		}
	}
	memcpy(rq->buf, line, len);
	rq->buf[len] = '\0';
	p = rq->buf;
	end = rq->buf + len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			*p++ = '\0';
		if (p == end)
			break;
		w = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		*p = '\0'; /* p == end is the terminator already */
		if (p < end)
			p++;
		if (!strcmp(w, "--json")) {
			rq->json = 1;
		} else if (w[0] == '-' && w[1] == '-') {
			vnet_err_set(e, NULL, 0, "unknown option '%.64s'", w);
			return -EINVAL;
		} else if (!rq->cmd) {
			for (i = 0; w[i]; i++)
				if (!is_cmd_char(w[i]))
					break;
			if (w[i] || i > 32) {
				vnet_err_set(e, NULL, 0, "bad command '%.32s'",
					     w);
				return -EINVAL;
			}
			rq->cmd = w;
		} else if (rq->argc == VNET_CTL_ARGS_MAX) {
			vnet_err_set(e, NULL, 0, "more than %d arguments",
				     VNET_CTL_ARGS_MAX);
			return -EINVAL;
		} else {
			rq->argv[rq->argc++] = w;
		}
	}
	if (!rq->cmd) {
		vnet_err_set(e, NULL, 0, "empty request");
		return -EINVAL;
	}
	return 0;
}

/* ---- the server's state ---- */

struct client {
	struct vnet_ctl *ctl;
	int fd;	     /* -1: a free slot */
	int writing; /* the reply is being written */
	char in[VNET_CTL_REQ_MAX + 2];
	size_t inlen;
	char head[VNET_ERR_MSG + 2]; /* the status line */
	size_t headlen;
	struct buf out; /* the body */
	size_t off;	/* bytes of head and body written */
	uint64_t deadline;
};

struct vnet_ctl {
	int lfd;
	char path[SUN_MAX];
	char program[64];
	char instance[VNET_CTL_NAME_MAX + 1];
	dev_t dev;
	ino_t ino;
	const struct vnet_ctl_cmd *cmds;
	void *arg;
	struct vnet_loop *l;
	struct vnet_loop_timer *timer;
	uint64_t resume; /* accept again from then (0: accepting) */
	struct client c[VNET_CTL_CLIENTS];
};

/* ---- replies ---- */

enum { SEC_NONE, SEC_KV, SEC_TABLE };

struct vnet_ctl_reply {
	const struct vnet_ctl *ctl;
	int json;
	struct buf body;
	FILE *f; /* onto body */
	char status[VNET_ERR_MSG];
	int failed, fields;
	int sec;
	size_t sec_off;
	const struct vnet_ctl_col *cols;
	const char *sec_key;
	int offline; /* --describe: no socket, no instance */
};

static ssize_t reply_write(void *cookie, const char *d, size_t n)
{
	struct vnet_ctl_reply *rp = cookie;

	if (buf_add(&rp->body, d, n) < 0) {
		errno = ENOSPC;
		return -1;
	}
	return (ssize_t)n;
}

static void sync_out(struct vnet_ctl_reply *rp)
{
	if (rp->f)
		fflush(rp->f);
}

/* The start of a JSON member: a comma after the first, the key. */
static void json_key(struct vnet_ctl_reply *rp, const char *key)
{
	if (rp->fields++)
		buf_add(&rp->body, ",", 1);
	json_str(&rp->body, key, strlen(key));
	buf_add(&rp->body, ":", 1);
}

/* The next line of text (n bytes from *p): its start and length; 0 at
 * the end. */
static int next_line(const char **p, const char *end, const char **l,
		     size_t *n)
{
	const char *nl;

	if (*p >= end)
		return 0;
	*l = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*n = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return 1;
}

static void kv_to_json(struct buf *b, const char *t, size_t len)
{
	const char *p = t, *end = t + len, *l, *tab;
	size_t n, k;
	int first = 1;

	buf_add(b, "{", 1);
	while (next_line(&p, end, &l, &n)) {
		if (!n || l[0] == '#')
			continue;
		tab = memchr(l, '\t', n);
		k = tab ? (size_t)(tab - l) : n;
		if (!first)
			buf_add(b, ",", 1);
		first = 0;
		json_str(b, l, k);
		buf_add(b, ":", 1);
		if (!tab)
			buf_puts(b, "null");
		else if (is_number(tab + 1, n - k - 1))
			buf_add(b, tab + 1, n - k - 1);
		else
			json_str(b, tab + 1, n - k - 1);
	}
	buf_add(b, "}", 1);
}

static void table_to_json(struct vnet_ctl_reply *rp, const char *t,
			  size_t len)
{
	const char *p = t, *end = t + len, *l, *f, *tab;
	struct buf *b = &rp->body;
	size_t n, fl;
	int rows = 0, notes = 0;

	buf_add(b, "[", 1);
	while (next_line(&p, end, &l, &n)) {
		if (!n || l[0] == '#') {
			notes += n && l[0] == '#';
			continue;
		}
		buf_puts(b, rows++ ? ",{" : "{");
		f = l;
		for (unsigned c = 0; rp->cols[c].name; c++) {
			if (c)
				buf_add(b, ",", 1);
			json_str(b, rp->cols[c].name, strlen(rp->cols[c].name));
			buf_add(b, ":", 1);
			if (!f) {
				buf_puts(b, "null");
				continue;
			}
			tab = memchr(f, '\t', (size_t)(l + n - f));
			fl = (size_t)((tab ? tab : l + n) - f);
			if (fl == 1 && f[0] == '-')
				buf_puts(b, "null");
			else if (rp->cols[c].num && is_number(f, fl))
				buf_add(b, f, fl);
			else
				json_str(b, f, fl);
			f = tab ? tab + 1 : NULL;
		}
		buf_add(b, "}", 1);
	}
	buf_add(b, "]", 1);
	if (!notes)
		return;
	json_key(rp, "notes");
	buf_add(b, "[", 1);
	p = t;
	notes = 0;
	while (next_line(&p, end, &l, &n)) {
		if (!n || l[0] != '#')
			continue;
		if (notes++)
			buf_add(b, ",", 1);
		for (l++, n--; n && (*l == ' ' || *l == '\t'); l++, n--)
			;
		json_str(b, l, n);
	}
	buf_add(b, "]", 1);
}

/* End the section in progress: in JSON its lines become its value. */
static void sec_end(struct vnet_ctl_reply *rp)
{
	size_t n;
	char *t;

	sync_out(rp);
	if (rp->sec == SEC_NONE)
		return;
	if (rp->json && !rp->body.full) {
		n = rp->body.len - rp->sec_off;
		if (!(t = malloc(n + 1))) {
			rp->body.full = 1;
		} else {
			memcpy(t, rp->body.p + rp->sec_off, n);
			rp->body.len = rp->sec_off;
			if (rp->sec == SEC_KV)
				kv_to_json(&rp->body, t, n);
			else
				table_to_json(rp, t, n);
			free(t);
		}
	}
	rp->sec = SEC_NONE;
}

int vnet_ctl_json(const struct vnet_ctl_reply *rp)
{
	return rp->json;
}

FILE *vnet_ctl_out(struct vnet_ctl_reply *rp)
{
	return rp->f;
}

static void field(struct vnet_ctl_reply *rp, const char *key,
		  const char *val, int num, int tsv)
{
	sec_end(rp);
	if (!rp->json) {
		if (tsv)
			buf_printf(&rp->body, "%s\t%s\n", key, val ? val : "-");
		return;
	}
	json_key(rp, key);
	if (!val)
		buf_puts(&rp->body, "null");
	else if (num)
		buf_puts(&rp->body, val);
	else
		json_str(&rp->body, val, strlen(val));
}

void vnet_ctl_str(struct vnet_ctl_reply *rp, const char *key,
		  const char *val)
{
	field(rp, key, val, 0, 1);
}

void vnet_ctl_u64(struct vnet_ctl_reply *rp, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	field(rp, key, b, 1, 1);
}

void vnet_ctl_head(struct vnet_ctl_reply *rp, int tsv)
{
	uint64_t now = vnet_clock_wall();
	char b[40];

	field(rp, "program", rp->ctl->program, 0, tsv);
	if (rp->offline)
		return;
	field(rp, "instance", rp->ctl->instance, 0, tsv);
	snprintf(b, sizeof(b), "%ld", (long)getpid());
	field(rp, "pid", b, 1, tsv);
	snprintf(b, sizeof(b), "%llu.%06llu",
		 (unsigned long long)(now / 1000000000ULL),
		 (unsigned long long)(now % 1000000000ULL / 1000));
	field(rp, "time", b, 1, tsv);
}

void vnet_ctl_about(struct vnet_ctl_reply *rp)
{
	vnet_ctl_head(rp, 1);
	vnet_ctl_str(rp, "version", VNET_VERSION);
	if (!rp->offline)
		vnet_ctl_str(rp, "control", rp->ctl->path);
	vnet_ctl_str(rp, "clock", vnet_clock_mode() == VNET_CLOCK_PCAP ? "pcap"
								      : "live");
}

static void mtu_field(struct vnet_ctl_reply *rp, const char *key,
		      unsigned v)
{
	if (v)
		vnet_ctl_u64(rp, key, v);
	else
		vnet_ctl_str(rp, key, NULL);
}

void vnet_ctl_budget(struct vnet_ctl_reply *rp,
		     const struct vnet_ctl_budget *b)
{
	vnet_ctl_str(rp, "inner_framing", b->inner);
	vnet_ctl_str(rp, "outer_framing", b->outer);
	vnet_ctl_u64(rp, "overhead", b->overhead);
	mtu_field(rp, "inner_mtu", b->inner_mtu);
	mtu_field(rp, "outer_mtu", b->outer_mtu);
}

static void sec_begin(struct vnet_ctl_reply *rp, int sec, const char *key,
		      const struct vnet_ctl_col *cols)
{
	sec_end(rp);
	if (rp->json)
		json_key(rp, key);
	rp->sec = sec;
	rp->sec_off = rp->body.len;
	rp->cols = cols;
}

void vnet_ctl_kv(struct vnet_ctl_reply *rp, const char *key)
{
	sec_begin(rp, SEC_KV, key, NULL);
}

void vnet_ctl_table(struct vnet_ctl_reply *rp, const char *key,
		    const struct vnet_ctl_col *cols)
{
	sec_begin(rp, SEC_TABLE, key, cols);
}

static void set_status(struct vnet_ctl_reply *rp, const char *pre,
		       const char *fmt, va_list ap)
{
	size_t k = (size_t)snprintf(rp->status, sizeof(rp->status), "%s", pre);

	if (k < sizeof(rp->status))
		vsnprintf(rp->status + k, sizeof(rp->status) - k, fmt, ap);
	rp->status[strcspn(rp->status, "\r\n")] = '\0';
}

void vnet_ctl_ok(struct vnet_ctl_reply *rp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_status(rp, "ok ", fmt, ap);
	va_end(ap);
}

int vnet_ctl_fail(struct vnet_ctl_reply *rp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_status(rp, "", fmt, ap);
	va_end(ap);
	rp->failed = 1;
	return -EINVAL;
}

/* ---- the server ---- */

static void drop(struct client *cl)
{
	if (cl->fd < 0)
		return;
	if (cl->ctl->l)
		vnet_loop_del_fd(cl->ctl->l, cl->fd);
	close(cl->fd);
	buf_free(&cl->out);
	cl->fd = -1;
	cl->writing = 0;
	cl->inlen = 0;
}

/* The timer at the earliest deadline, or off. */
static void arm(struct vnet_ctl *c)
{
	uint64_t when = c->resume ? c->resume : VNET_LOOP_OFF;

	for (unsigned i = 0; i < VNET_CTL_CLIENTS; i++)
		if (c->c[i].fd >= 0 && c->c[i].deadline < when)
			when = c->c[i].deadline;
	if (c->timer)
		vnet_loop_timer_set(c->timer, when);
}

static const struct vnet_ctl_col help_cols[] = {
	{ .name = "command" }, { .name = "args" }, { .name = "help" }, { 0 },
};

static void help_row(FILE *f, const char *name, const char *args,
		     const char *help)
{
	fprintf(f, "%s\t%s\t%s\n", name, args ? args : "-", help);
}

static int do_help(struct vnet_ctl *c, struct vnet_ctl_reply *rp)
{
	const struct vnet_ctl_cmd *k;

	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "commands", help_cols);
	help_row(rp->f, "help", NULL, "list the commands");
	for (k = c->cmds; k && k->name; k++)
		help_row(rp->f, k->name, k->args, k->help);
	return 0;
}

static const cookie_io_functions_t reply_io = { .write = reply_write };

/* Answer the request line (len bytes) of cl, and start writing. */
static void answer(struct client *cl, const char *line, size_t len)
{
	struct vnet_ctl *c = cl->ctl;
	struct vnet_ctl_reply rp = { .ctl = c };
	const struct vnet_ctl_cmd *k = NULL;
	struct vnet_ctl_req rq;
	struct vnet_err e;
	int r;

	vnet_err_clear(&e);
	if (vnet_ctl_req_parse(&rq, line, len, &e) < 0) {
		vnet_ctl_fail(&rp, "error: %s", e.msg);
		goto done;
	}
	rp.json = rq.json;
	if (strcmp(rq.cmd, "help")) {
		for (k = c->cmds; k && k->name; k++)
			if (!strcmp(k->name, rq.cmd))
				break;
		if (!k || !k->name) {
			vnet_ctl_fail(&rp, "error: unknown command '%s' "
					   "(help lists them)", rq.cmd);
			goto done;
		}
	}
	if ((!k || !k->args) && rq.argc) {
		vnet_ctl_fail(&rp, "error: %s takes no arguments", rq.cmd);
		goto done;
	}
	if (!(rp.f = fopencookie(&rp, "w", reply_io))) {
		vnet_ctl_fail(&rp, "error: %s", strerror(errno));
		goto done;
	}
	if (rp.json)
		buf_add(&rp.body, "{", 1);
	r = k ? k->fn(c->arg, &rq, &rp) : do_help(c, &rp);
	sec_end(&rp);
	if (rp.json)
		buf_add(&rp.body, "}\n", 2);
	if (r < 0 && !rp.failed)
		vnet_ctl_fail(&rp, "error: %s", strerror(-r));
	else if (!rp.failed && rp.body.full)
		vnet_ctl_fail(&rp, "error: the reply is longer than %u MiB",
			      VNET_CTL_REPLY_MAX >> 20);
done:
	if (rp.f)
		fclose(rp.f);
	if (!rp.failed && !rp.status[0])
		snprintf(rp.status, sizeof(rp.status), "ok");
	cl->headlen = (size_t)snprintf(cl->head, sizeof(cl->head), "%s\n",
				       rp.status);
	if (rp.failed)
		buf_free(&rp.body);
	cl->out = rp.body;
	cl->off = 0;
	cl->writing = 1;
	vnet_loop_mod_fd(c->l, cl->fd, POLLOUT);
}

int vnet_ctl_describe_print(const char *program,
			    const struct vnet_ctl_cmd *cmds, void *arg,
			    FILE *out)
{
	static struct vnet_ctl c; /* large; only its program is used */
	struct vnet_ctl_reply rp = { .ctl = &c, .json = 1, .offline = 1 };
	const struct vnet_ctl_cmd *k;
	struct vnet_ctl_req rq = { .cmd = "describe", .json = 1 };
	int r = -ENOENT;

	snprintf(c.program, sizeof(c.program), "%s", program);
	for (k = cmds; k && k->name; k++)
		if (!strcmp(k->name, "describe"))
			break;
	if (!k || !k->name)
		return r;
	if (!(rp.f = fopencookie(&rp, "w", reply_io)))
		return -errno;
	buf_add(&rp.body, "{", 1);
	r = k->fn(arg, &rq, &rp);
	sec_end(&rp);
	buf_add(&rp.body, "}\n", 2);
	fclose(rp.f);
	if (r >= 0 && rp.body.full)
		r = -ENOSPC;
	if (r >= 0 && (fwrite(rp.body.p, 1, rp.body.len, out) != rp.body.len ||
		       fflush(out)))
		r = -EIO;
	buf_free(&rp.body);
	return r < 0 ? r : 0;
}

/* Write what the client takes; drop it when all is written or it went
 * away. */
static void send_some(struct client *cl)
{
	struct msghdr mh = { 0 };
	struct iovec iov[2];
	ssize_t n;

	for (;;) {
		size_t total = cl->headlen + cl->out.len;

		if (cl->off >= total) {
			drop(cl);
			return;
		}
		mh.msg_iov = iov;
		if (cl->off < cl->headlen) {
			iov[0].iov_base = cl->head + cl->off;
			iov[0].iov_len = cl->headlen - cl->off;
			iov[1].iov_base = cl->out.p;
			iov[1].iov_len = cl->out.len;
			mh.msg_iovlen = cl->out.len ? 2 : 1;
		} else {
			iov[0].iov_base = cl->out.p + (cl->off - cl->headlen);
			iov[0].iov_len = total - cl->off;
			mh.msg_iovlen = 1;
		}
		n = sendmsg(cl->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				drop(cl);
			return;
		}
		cl->off += (size_t)n;
	}
}

static int on_client(void *arg, int fd, short revents)
{
	struct client *cl = arg;
	char *nl;
	ssize_t n;

	(void)revents;
	if (cl->writing) {
		send_some(cl);
		return 0;
	}
	n = read(fd, cl->in + cl->inlen, sizeof(cl->in) - 1 - cl->inlen);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			drop(cl);
		return 0;
	}
	if (n == 0 && !cl->inlen) {
		drop(cl);
		return 0;
	}
	cl->inlen += (size_t)n;
	if ((nl = memchr(cl->in, '\n', cl->inlen)))
		answer(cl, cl->in, (size_t)(nl - cl->in));
	else if (n == 0 || cl->inlen == sizeof(cl->in) - 1)
		/* The end of its writing, or too long a line: answered as
		 * it stands (the parser says what is wrong with it). */
		answer(cl, cl->in, cl->inlen);
	else
		return 0;
	send_some(cl);
	return 0;
}

static int on_listen(void *arg, int fd, short revents)
{
	static const char busy[] = "error: too many clients\n";
	struct vnet_ctl *c = arg;
	struct client *cl;
	int cfd, i;

	(void)revents;
	for (int tries = 0; tries <= VNET_CTL_CLIENTS; tries++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* The connection stays queued: wait a little
				 * rather than spin on it. */
				vnet_loop_mod_fd(c->l, c->lfd, 0);
				c->resume = vnet_clock_wall() + PAUSE_NS;
				arm(c);
			}
			return 0;
		}
		for (i = 0; i < VNET_CTL_CLIENTS && c->c[i].fd >= 0; i++)
			;
		if (i == VNET_CTL_CLIENTS) {
			if (send(cfd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* nothing more to do for it */
			}
			close(cfd);
			continue;
		}
		cl = &c->c[i];
		if (vnet_loop_add_fd(c->l, cfd, POLLIN, on_client, cl) < 0) {
			close(cfd);
			continue;
		}
		cl->fd = cfd;
		cl->inlen = 0;
		cl->writing = 0;
		cl->deadline = vnet_clock_wall() +
			       VNET_CTL_TIMEOUT_MS * 1000000ULL;
		arm(c);
	}
	return 0;
}

static int on_timer(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct vnet_ctl *c = arg;

	(void)t;
	for (unsigned i = 0; i < VNET_CTL_CLIENTS; i++)
		if (c->c[i].fd >= 0 && c->c[i].deadline <= now)
			drop(&c->c[i]);
	if (c->resume && c->resume <= now) {
		c->resume = 0;
		vnet_loop_mod_fd(c->l, c->lfd, POLLIN);
	}
	arm(c);
	return 0;
}

int vnet_ctl_name_check(const char *name)
{
	size_t i;

	if (!name[0] || name[0] == '.' || name[0] == '-')
		return -EINVAL;
	for (i = 0; name[i]; i++) {
		char ch = name[i];

		if (i == VNET_CTL_NAME_MAX ||
		    !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '@' || ch == '-'))
			return -EINVAL;
	}
	return 0;
}

/* The name ip-netns(8) gave the network namespace we are in: 1 and buf
 * set; 0 the first namespace (that of PID 1, or no way to tell); -ENOENT
 * another, unnamed, one. */
static int netns_name(char *buf, size_t n)
{
	struct stat self, init, st;
	char path[300];
	struct dirent *de;
	int known, r = -ENOENT;
	DIR *d;

	if (stat("/proc/self/ns/net", &self))
		return 0;
	known = !stat("/proc/1/ns/net", &init);
	if (known && self.st_dev == init.st_dev && self.st_ino == init.st_ino)
		return 0;
	if ((d = opendir("/run/netns"))) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s",
				 de->d_name);
			if (!stat(path, &st) && st.st_dev == self.st_dev &&
			    st.st_ino == self.st_ino) {
				snprintf(buf, n, "%s", de->d_name);
				r = 1;
				break;
			}
		}
		closedir(d);
	}
	return r == 1 ? 1 : known ? -ENOENT : 0;
}

void vnet_ctl_default_name(const char *program, const char *tap, char *buf,
			   size_t n)
{
	char ns[256];
	int r;

	if (tap && *tap && (r = netns_name(ns, sizeof(ns))) >= 0) {
		if ((size_t)snprintf(buf, n, r ? "%s@%s" : "%s", tap, ns) < n &&
		    !vnet_ctl_name_check(buf))
			return;
	}
	snprintf(buf, n, "%s-%ld", program, (long)getpid());
}

/* Whether something listens on path: 1 yes, 0 a stale socket, -errno. */
static int probe(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		r = 1;
	else if (errno == EAGAIN || errno == EINPROGRESS)
		r = 1; /* a full backlog: alive, and busy */
	else if (errno == ECONNREFUSED)
		r = 0;
	else
		r = -errno;
	close(fd);
	return r;
}

/* Make the directory of path if it is missing (one level). */
static void make_dir(const char *path)
{
	char dir[SUN_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if (!(slash = strrchr(dir, '/')) || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST) {
		/* bind says what is wrong */
	}
}

static int listen_on(struct vnet_ctl *c, struct vnet_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int r;

	make_dir(c->path);
	if (!lstat(c->path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			vnet_err_set(e, c->path, 0,
				     "exists and is not a socket");
			return -ENOTSOCK;
		}
		if ((r = probe(c->path)) > 0) {
			vnet_err_set(e, c->path, 0,
				     "in use by a running program (give "
				     "another --name or --control)");
			return -EADDRINUSE;
		}
		if (r < 0)
			return vnet_err_sys(e, c->path, r);
		/* A dead instance's: replaced. */
		if (unlink(c->path) && errno != ENOENT)
			return vnet_err_sys(e, c->path, errno);
	}
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->lfd < 0)
		return vnet_err_sys(e, c->path, errno);
	/* Out of the descriptors a shell redirects (0-9): a program that
	 * has not opened its sides yet tells a two-way chain (fds 3 and 4
	 * open) from a one-way filter by them. */
	if (c->lfd < FD_MIN) {
		int fd = fcntl(c->lfd, F_DUPFD_CLOEXEC, FD_MIN);

		if (fd < 0) {
			r = vnet_err_sys(e, c->path, errno);
			close(c->lfd);
			c->lfd = -1;
			return r;
		}
		close(c->lfd);
		c->lfd = fd;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	old = umask(0177);
	r = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r) {
		r = errno;
		vnet_err_sys(e, c->path, r);
		if (r == EADDRINUSE)
			vnet_err_set(e, c->path, 0,
				     "in use by a running program (give "
				     "another --name or --control)");
		return -r;
	}
	if (chmod(c->path, 0600) || listen(c->lfd, VNET_CTL_CLIENTS) ||
	    stat(c->path, &st)) {
		r = vnet_err_sys(e, c->path, errno);
		unlink(c->path);
		return r;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return 0;
}

int vnet_ctl_open(const struct vnet_ctl_config *cfg, struct vnet_ctl **out,
		  struct vnet_err *e)
{
	struct vnet_ctl *c;
	size_t n;
	int r;

	*out = NULL;
	if (cfg->path && !strcmp(cfg->path, "none"))
		return 0;
	if (!(c = calloc(1, sizeof(*c))))
		return vnet_err_sys(e, NULL, ENOMEM);
	c->lfd = -1;
	for (unsigned i = 0; i < VNET_CTL_CLIENTS; i++) {
		c->c[i].fd = -1;
		c->c[i].ctl = c;
	}
	snprintf(c->program, sizeof(c->program), "%s", cfg->program);
	if (cfg->name)
		snprintf(c->instance, sizeof(c->instance), "%s", cfg->name);
	else
		vnet_ctl_default_name(cfg->program, cfg->tap, c->instance,
				      sizeof(c->instance));
	c->cmds = cfg->cmds;
	c->arg = cfg->arg;
	if (cfg->path)
		n = (size_t)snprintf(c->path, sizeof(c->path), "%s", cfg->path);
	else
		n = (size_t)snprintf(c->path, sizeof(c->path), "%s/%s.sock",
				     VNET_CTL_DIR, c->instance);
	r = -ENAMETOOLONG;
	if (n >= sizeof(c->path)) {
		vnet_err_set(e, cfg->path ? cfg->path : c->instance, 0,
			     "socket path longer than %zu bytes", SUN_MAX - 1);
		goto fail;
	}
	if (!c->path[0]) {
		r = -EINVAL;
		vnet_err_set(e, NULL, 0, "empty socket path");
		goto fail;
	}
	if ((r = listen_on(c, e)) < 0) {
		/* Not allowed to make the default one (a user's pipeline,
		 * no /run/vnet of its own): a program without a socket. */
		if (!cfg->path &&
		    (r == -EACCES || r == -EPERM || r == -EROFS || r == -ENOENT))
			r = 1;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	if (c->lfd >= 0)
		close(c->lfd);
	free(c);
	return r;
}

int vnet_ctl_attach(struct vnet_ctl *c, struct vnet_loop *l)
{
	int r;

	if (c->l)
		return -EBUSY;
	if ((r = vnet_loop_add_fd(l, c->lfd, POLLIN, on_listen, c)) < 0)
		return r;
	if (!(c->timer = vnet_loop_timer_add(l, VNET_LOOP_WALL, on_timer, c)))
		return -errno;
	c->l = l;
	return 0;
}

void vnet_ctl_close(struct vnet_ctl *c)
{
	struct stat st;

	if (!c)
		return;
	/* The loop may be gone already: only the descriptors close. */
	c->l = NULL;
	for (unsigned i = 0; i < VNET_CTL_CLIENTS; i++)
		drop(&c->c[i]);
	if (c->lfd >= 0)
		close(c->lfd);
	/* Only our own socket: not one a later instance made (after ours
	 * was taken for stale).  A program that dropped privileges may not
	 * be allowed to: the next instance of the name replaces it. */
	if (!stat(c->path, &st) && st.st_dev == c->dev && st.st_ino == c->ino &&
	    unlink(c->path)) {
		/* left for the next instance */
	}
	free(c);
}

const char *vnet_ctl_path(const struct vnet_ctl *c)
{
	return c->path;
}

const char *vnet_ctl_instance(const struct vnet_ctl *c)
{
	return c->instance;
}

/* ---- the client ---- */

int vnet_ctl_target(const char *target, char *buf, size_t n)
{
	size_t k;

	if (strchr(target, '/'))
		k = (size_t)snprintf(buf, n, "%s", target);
	else if (vnet_ctl_name_check(target))
		return -EINVAL;
	else
		k = (size_t)snprintf(buf, n, "%s/%s.sock", VNET_CTL_DIR,
				     target);
	return k < n && k < SUN_MAX ? 0 : -ENAMETOOLONG;
}

static int ms_left(uint64_t deadline)
{
	uint64_t now = vnet_clock_wall();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do {
		r = poll(&p, 1, ms_left(deadline));
	} while (r < 0 && errno == EINTR);
	return r > 0;
}

int vnet_ctl_call(const char *path, const char *request, int timeout_ms,
		  char **reply, size_t *len, struct vnet_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t deadline = vnet_clock_wall() + timeout_ms * 1000000ULL;
	struct buf in = { 0 }, req = { 0 };
	char chunk[65536];
	size_t off = 0;
	ssize_t n;
	int fd, r;

	*reply = NULL;
	if (strlen(path) >= SUN_MAX) {
		vnet_err_set(e, path, 0, "socket path longer than %zu bytes",
			     SUN_MAX - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vnet_err_sys(e, path, errno);
	/* A full backlog says EAGAIN: try again until the deadline. */
	while ((r = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) &&
	       errno == EAGAIN && ms_left(deadline))
		poll(NULL, 0, 10);
	if (r) {
		r = vnet_err_sys(e, path, errno);
		goto out;
	}
	buf_puts(&req, request);
	buf_add(&req, "\n", 1);
	r = -ENOMEM;
	if (req.full)
		goto out;
	while (off < req.len) {
		n = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
		if (n >= 0) {
			off += (size_t)n;
		} else if (errno == EAGAIN) {
			if (!wait_fd(fd, POLLOUT, deadline))
				goto timeout;
		} else if (errno == EPIPE || errno == ECONNRESET) {
			break; /* refused at once: read why */
		} else if (errno != EINTR) {
			r = vnet_err_sys(e, path, errno);
			goto out;
		}
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			if (buf_add(&in, chunk, (size_t)n) < 0) {
				vnet_err_set(e, path, 0, "reply too long");
				r = -EMSGSIZE;
				goto out;
			}
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN) {
			if (!wait_fd(fd, POLLIN, deadline))
				goto timeout;
		} else if (errno == ECONNRESET && in.len) {
			break;
		} else if (errno != EINTR) {
			r = vnet_err_sys(e, path, errno);
			goto out;
		}
	}
	if (!in.len) {
		vnet_err_set(e, path, 0, "closed without an answer");
		r = -ECONNRESET;
		goto out;
	}
	*reply = in.p;
	if (len)
		*len = in.len;
	in.p = NULL;
	r = 0;
	goto out;
timeout:
	vnet_err_set(e, path, 0, "no answer within %d ms", timeout_ms);
	r = -ETIMEDOUT;
out:
	close(fd);
	buf_free(&in);
	buf_free(&req);
	return r;
}

int vnet_ctl_split(char *reply, char **status, char **body)
{
	char *nl = strchr(reply, '\n');

	*status = reply;
	if (nl) {
		*nl = '\0';
		*body = nl + 1;
	} else {
		*body = reply + strlen(reply);
	}
	return !strcmp(reply, "ok") || !strncmp(reply, "ok ", 3);
}

#define FIND_MAX 256 /* socket descriptors of a process looked at */

int vnet_ctl_find_pid(long pid, char *buf, size_t n)
{
	unsigned long ino[FIND_MAX], flags, inode;
	char path[64], link[64], line[512], sp[SUN_MAX + 1];
	unsigned k = 0, i;
	struct dirent *de;
	int r = -ENOENT;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	if (!(d = opendir(path)))
		return -errno;
	while ((de = readdir(d)) && k < FIND_MAX) {
		char fdp[340];
		ssize_t m;

		snprintf(fdp, sizeof(fdp), "%s/%s", path, de->d_name);
		m = readlink(fdp, link, sizeof(link) - 1);
		if (m <= 0)
			continue;
		link[m] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino[k]) == 1)
			k++;
	}
	closedir(d);
	snprintf(path, sizeof(path), "/proc/%ld/net/unix", pid);
	if (!(f = fopen(path, "r")))
		return -errno;
	/* Num RefCount Protocol Flags Type St Inode Path; a listening
	 * socket has __SO_ACCEPTCON (1 << 16) in Flags. */
	while (r == -ENOENT && fgets(line, sizeof(line), f)) {
		sp[0] = '\0';
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %108s", &flags,
			   &inode, sp) != 3 ||
		    !(flags & (1UL << 16)) || sp[0] != '/')
			continue;
		for (i = 0; i < k; i++)
			if (ino[i] == inode)
				break;
		if (i < k && (size_t)snprintf(buf, n, "%s", sp) < n)
			r = 0;
	}
	fclose(f);
	return r;
}
