/* SPDX-License-Identifier: ISC */
/* vnet-pipe.c -- run programs as a two-way chain (the "=" syntax of dpipe). */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vnet/err.h"
#include "vnet/log.h"
#include "vnet/opt.h"
#include "vnet/tool.h"
#include "budget.h"

#define PIPE_CAPACITY (1 << 20)
#define KILL_AFTER_MS 5000
#define DESCRIBE_MAX (256 << 10) /* longest --describe of a member read */

/* Signals that vnet-pipe passes on to every member. */
static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};

static const struct vnet_opt opts[] = {
	VNET_OPT_ROWS_BASIC,
	{ .shared = VNET_OPT_DESCRIBE },
	{ 0 },
};

static const struct vnet_opt_prog prog = {
	.name = "vnet-pipe",
	.opts = opts,
	.operands = "CMD [ARG ...] = CMD [ARG ...] [= CMD [ARG ...]]...",
	.notes = "Run each CMD with its neighbours' pipes: the ends on fds 0/1, "
		 "a middle member\non fds 0/1 toward its left neighbour and "
		 "fds 3/4 toward its right one.\n",
	.in_order = 1, /* the rest is the members' */
};

/* One program of the chain. */
struct member {
	char **argv;   /* NULL-terminated, points into main's argv */
	int fd[5];     /* what the child gets on fds 0, 1, 3, 4; -1: closed */
	pid_t pid;     /* 0 when not running (never started or reaped) */
	uint64_t sent; /* signals vnet-pipe sent it, one bit each */
	uint64_t stopped; /* those of them sent to stop it at shutdown */
};

struct chain {
	struct member *m;
	int n;	    /* members */
	int live;   /* members started and not yet reaped */
	int status; /* exit status of the first failure, -1: none */
	bool verbose;
	bool stopping; /* a member exited: the others are being stopped */
	bool killed;   /* SIGKILL sent to the stragglers */
	struct timespec kill_at;
	sigset_t oldmask; /* the signal mask vnet-pipe was started with */
};

static uint64_t sigbit(int sig)
{
	return sig > 0 && sig < 64 ? UINT64_C(1) << sig : 0;
}

static void __attribute__((noreturn)) usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	vnet_opt_usage(stderr);
	exit(2);
}

/* vnet-pipe's own options, before the first member. */
static int parse_options(int argc, char **argv, bool *verbose, bool *describe)
{
	struct vnet_opt_common o;
	const char *arg;

	vnet_opt_begin(&prog, &o, argc, argv);
	while (vnet_opt_next(&arg) != -1)
		; /* no options of its own */
	*verbose = o.verbose > VNET_LOG_WARN;
	*describe = o.describe;
	return optind;
}

/* Cut argv[first..argc) at each lone "=" into members. */
static struct member *split_members(int argc, char **argv, int first, int *n)
{
	struct member *m;
	int i, k, count = 1;

	if (first >= argc)
		usage_error("no command given");
	for (i = first; i < argc; i++) {
		/* dpipe's one-way links; refuse them rather than pass them
		 * to a program as an argument. */
		if (!strcmp(argv[i], "=}") || !strcmp(argv[i], "{="))
			usage_error("'%s': one-way links are not supported;"
				    " use a | pipeline",
				    argv[i]);
		if (!strcmp(argv[i], "="))
			count++;
	}
	if (count < 2)
		usage_error("a chain needs at least two members, "
			    "separated by '='");
	/* Every member must have a command; check before allocating, so
	 * that a usage error leaves nothing behind. */
	for (i = first, k = 1; i <= argc; i++) {
		if (i < argc && strcmp(argv[i], "="))
			continue;
		if (i == first || !strcmp(argv[i - 1], "="))
			usage_error("member %d of the chain is empty", k);
		k++;
	}

	m = calloc((size_t)count, sizeof(*m));
	if (!m)
		err(1, "calloc");
	k = 0;
	m[0].argv = &argv[first];
	for (i = first; i <= argc; i++) {
		if (i < argc && strcmp(argv[i], "="))
			continue;
		if (i == argc)
			break;
		argv[i] = NULL;
		m[++k].argv = &argv[i + 1];
	}
	*n = count;
	return m;
}

/* OpenSSH's sanitise_stdfd(): with 0, 1 or 2 closed, a pipe could land on
 * one of them and a member would find it as its stderr. */
static void sanitise_stdfd(void)
{
	int fd;

	do {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			err(1, "open /dev/null");
	} while (fd <= 2);
	close(fd);
}

/* Two pipes per link: k -> k+1 ("right") and k+1 -> k ("left"), each
 * close-on-exec.  Member k gets them on the fds of the dpipe convention. */
static void make_pipes(struct chain *c)
{
	int k, t, right[2], left[2];

	for (k = 0; k < c->n; k++)
		for (t = 0; t < 5; t++)
			c->m[k].fd[t] = -1;

	for (k = 0; k + 1 < c->n; k++) {
		struct member *a = &c->m[k], *b = &c->m[k + 1];

		if (pipe2(right, O_CLOEXEC) < 0 || pipe2(left, O_CLOEXEC) < 0)
			err(1, "pipe");
		/* Fewer wakeups per frame; the default 64 KiB stays if the
		 * per-user pipe limit refuses it. */
		(void)fcntl(right[1], F_SETPIPE_SZ, PIPE_CAPACITY);
		(void)fcntl(left[1], F_SETPIPE_SZ, PIPE_CAPACITY);

		/* a's right-hand side: 0/1 for the left end, else 3/4. */
		a->fd[k == 0 ? 0 : 3] = left[0];
		a->fd[k == 0 ? 1 : 4] = right[1];
		/* b's left-hand side is always 0/1. */
		b->fd[0] = right[0];
		b->fd[1] = left[1];
	}
}

static void close_pipes(struct chain *c)
{
	int k, t;

	for (k = 0; k < c->n; k++)
		for (t = 0; t < 5; t++)
			if (c->m[k].fd[t] >= 0) {
				close(c->m[k].fd[t]);
				c->m[k].fd[t] = -1;
			}
}

static void __attribute__((noreturn)) child_fail(const char *what)
{
	warn("%s", what);
	_exit(127);
}

/* In the child: put the member's pipes on 0, 1, 3 and 4, restore the
 * signal state vnet-pipe changed, and exec.  Every other pipe is
 * close-on-exec.  An end member gets no fds 3/4 even if vnet-pipe
 * inherited them: a program takes open fds 3/4 to mean it is a middle. */
static void __attribute__((noreturn))
exec_member(const struct member *m, const sigset_t *oldmask, pid_t parent)
{
	int tmp[5], t, e;

	/* First lift every source above 4, so that no dup2 below overwrites
	 * a source that a later one still needs. */
	for (t = 0; t < 5; t++) {
		tmp[t] = -1;
		if (m->fd[t] >= 0 &&
		    (tmp[t] = fcntl(m->fd[t], F_DUPFD_CLOEXEC, 5)) < 0)
			child_fail("dup");
	}
	for (t = 0; t < 5; t++) {
		if (t == 2)
			continue;
		if (tmp[t] < 0)
			close(t);
		else if (dup2(tmp[t], t) < 0)
			child_fail("dup2");
	}

	/* If vnet-pipe dies without stopping us, stop too. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		child_fail("prctl");
	if (getppid() != parent)
		_exit(1);

	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);

	/* vnet-pipe wires 3/4; a value inherited from an enclosing dpipe
	 * names that chain's fds, not these. */
	unsetenv("ALTERNATE_STDIN");
	unsetenv("ALTERNATE_STDOUT");

	execvp(m->argv[0], m->argv);
	e = errno;
	warn("%s", m->argv[0]);
	_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

static int ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(t->tv_sec - now.tv_sec) * 1000 +
	     (t->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static void signal_all(struct chain *c, int sig, bool stop)
{
	int k;

	for (k = 0; k < c->n; k++) {
		if (!c->m[k].pid)
			continue;
		c->m[k].sent |= sigbit(sig);
		if (stop)
			c->m[k].stopped |= sigbit(sig);
		if (kill(c->m[k].pid, sig) < 0 && errno != ESRCH)
			warn("kill member %d (%s)", k + 1, c->m[k].argv[0]);
	}
}

/* The first exit ends the chain: ask the others to stop, and give them
 * KILL_AFTER_MS before SIGKILL. */
static void stop_all(struct chain *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	signal_all(c, SIGTERM, true);
	clock_gettime(CLOCK_MONOTONIC, &c->kill_at);
	c->kill_at.tv_sec += KILL_AFTER_MS / 1000;
	c->kill_at.tv_nsec += (KILL_AFTER_MS % 1000) * 1000000L;
	if (c->kill_at.tv_nsec >= 1000000000L) {
		c->kill_at.tv_sec++;
		c->kill_at.tv_nsec -= 1000000000L;
	}
}

static void kill_stragglers(struct chain *c)
{
	int k;

	for (k = 0; k < c->n; k++)
		if (c->m[k].pid)
			warnx("member %d (%s) still running %d s after "
			      "SIGTERM, sending SIGKILL",
			      k + 1, c->m[k].argv[0], KILL_AFTER_MS / 1000);
	signal_all(c, SIGKILL, true);
	c->killed = true;
}

static void member_exited(struct chain *c, struct member *m, int ws)
{
	int n = (int)(m - c->m) + 1, code, sig = 0;
	bool excused = false;

	if (WIFEXITED(ws)) {
		code = WEXITSTATUS(ws);
	} else if (WIFSIGNALED(ws)) {
		sig = WTERMSIG(ws);
		code = 128 + sig;
		/* Our own shutdown signals are no failure of the member. */
		excused = (sig == SIGTERM || sig == SIGKILL) &&
			  (m->stopped & sigbit(sig));
	} else {
		return; /* stopped or continued: still alive */
	}

	if (c->verbose && sig)
		warnx("member %d (%s) exited with status %d "
		      "(killed by signal %d, %s%s)",
		      n, m->argv[0], code, sig, strsignal(sig),
		      excused ? ", sent by vnet-pipe" : "");
	else if (c->verbose)
		warnx("member %d (%s) exited with status %d", n, m->argv[0],
		      code);
	else if (sig && sig != SIGPIPE && !(m->sent & sigbit(sig)))
		/* Nobody else would say it; a shell does the same. */
		warnx("member %d (%s) killed by signal %d (%s)", n, m->argv[0],
		      sig, strsignal(sig));

	if (code != 0 && !excused && c->status < 0)
		c->status = code;
	m->pid = 0;
	c->live--;
	stop_all(c);
}

static void reap(struct chain *c)
{
	pid_t pid;
	int ws, k;

	for (;;) {
		pid = waitpid(-1, &ws, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0 && errno == ECHILD)
			return;
		if (pid < 0)
			err(1, "waitpid");
		if (pid == 0)
			return;
		/* A child vnet-pipe's exec(3) caller left behind is no
		 * member; reaping it is all it needs. */
		for (k = 0; k < c->n; k++)
			if (c->m[k].pid == pid) {
				member_exited(c, &c->m[k], ws);
				break;
			}
	}
}

static void forward(struct chain *c, const struct signalfd_siginfo *si)
{
	/* The terminal's ^C and hangup go to the whole foreground process
	 * group, the members included; sending them again would deliver
	 * them twice. */
	if (si->ssi_code == SI_KERNEL)
		return;
	signal_all(c, (int)si->ssi_signo, false);
}

static void run(struct chain *c, int sfd)
{
	struct signalfd_siginfo si[16];
	struct pollfd pfd = {.fd = sfd, .events = POLLIN};
	ssize_t r;
	size_t i;
	int timeout;

	while (c->live > 0) {
		timeout = -1;
		if (c->stopping && !c->killed)
			timeout = ms_until(&c->kill_at);
		r = poll(&pfd, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err(1, "poll");
		if (r == 0) {
			kill_stragglers(c);
			continue;
		}
		r = read(sfd, si, sizeof(si));
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			err(1, "read signalfd");
		for (i = 0; i < (size_t)r / sizeof(si[0]); i++)
			if (si[i].ssi_signo != SIGCHLD)
				forward(c, &si[i]);
		reap(c);
	}
}

/* ---- the MTU budget (vnet(7) MTU BUDGET) ---- */

/* What the members' --describe said. */
struct plan {
	struct budget_stage *st;
	char **json;	/* each member's object, or NULL */
	char **tap_argv; /* member 1's argv with --mtu N, or NULL */
	struct budget_chain sum;
};

static void plan_free(struct plan *p, int n)
{
	int k;

	for (k = 0; p->json && k < n; k++)
		free(p->json[k]);
	free(p->json);
	free(p->st);
	free(p->tap_argv);
}

/* Whether member m is a vnet program, which takes --describe. */
static bool is_vnet(const struct member *m)
{
	const char *b = strrchr(m->argv[0], '/');

	b = b ? b + 1 : m->argv[0];
	return !strncmp(b, "vnet-", 5) && strcmp(b, "vnet-ctl");
}

/* argv with words w[0..nw) put after its first: a new array. */
static char **argv_insert(char **argv, const char *const *w, int nw)
{
	char **a;
	int n, i;

	for (n = 0; argv[n]; n++)
		;
	if (!(a = calloc((size_t)(n + nw + 1), sizeof(*a))))
		err(1, "calloc");
	a[0] = argv[0];
	for (i = 0; i < nw; i++)
		a[1 + i] = (char *)w[i];
	for (i = 1; i < n; i++)
		a[nw + i] = argv[i];
	return a;
}

/* Run member k of c as "PROG --describe ARG..." with the descriptors
 * it would have in the chain (a middle one fds 3/4, here /dev/null),
 * stdin /dev/null, stderr as ours when loud, else /dev/null.  Its
 * stdout into *out (malloc'd, NUL-ended).  Its exit status, or -1 when
 * it did not exit. */
static int describe_member(const struct chain *c, int k, bool loud,
			   char **out)
{
	static const char *const w[] = { "--describe" };
	char **argv = argv_insert(c->m[k].argv, w, 1);
	bool middle = k > 0 && k < c->n - 1;
	size_t len = 0, cap = 4096;
	int pfd[2], nul, ws;
	char *buf;
	ssize_t r;
	pid_t pid;

	if (!(buf = malloc(cap)))
		err(1, "malloc");
	if (pipe2(pfd, O_CLOEXEC) < 0)
		err(1, "pipe");
	if ((pid = fork()) < 0)
		err(1, "fork");
	if (pid == 0) {
		int wr, dn;

		/* Above 4 first: no dup2 below overwrites a source. */
		if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
		    (wr = fcntl(pfd[1], F_DUPFD_CLOEXEC, 5)) < 0 ||
		    (dn = fcntl(nul, F_DUPFD_CLOEXEC, 5)) < 0)
			_exit(127);
		if (dup2(dn, 0) < 0 || dup2(wr, 1) < 0 ||
		    (!loud && dup2(dn, 2) < 0))
			_exit(127);
		if (middle) {
			if (dup2(dn, 3) < 0 || dup2(dn, 4) < 0)
				_exit(127);
		} else {
			close(3);
			close(4);
		}
		unsetenv("ALTERNATE_STDIN");
		unsetenv("ALTERNATE_STDOUT");
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= DESCRIBE_MAX)
				break;
			cap *= 2;
			if (!(buf = realloc(buf, cap)))
				err(1, "realloc");
		}
		r = read(pfd[0], buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			err(1, "waitpid");
	free(argv);
	*out = buf;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* Describe member k into p: 0, or the member's failure (-1: it did not
 * say; its words on stderr when loud). */
static int describe_one(const struct chain *c, struct plan *p, int k,
			bool loud)
{
	struct vnet_err e;
	int st;

	free(p->json[k]);
	p->json[k] = NULL;
	memset(&p->st[k], 0, sizeof(p->st[k]));
	st = describe_member(c, k, loud, &p->json[k]);
	if (st == 0 && budget_parse(p->json[k], strlen(p->json[k]),
				    &p->st[k], &e) == 0)
		return 0;
	if (st == 0 && loud)
		warnx("member %d (%s): --describe: %s", k + 1,
		      c->m[k].argv[0], e.msg);
	free(p->json[k]);
	p->json[k] = NULL;
	return st ? st : -1;
}

/* Describe every vnet member of c, sum the budget, and give a vnet-tap
 * at the left end that has no MTU of its own the one the chain carries
 * (--mtu N before its arguments).  A chain that cannot fit exits 2 naming
 * the member.  describe: vnet-pipe --describe, where a member that
 * cannot say is an error too (2); in a run it is left to fail on its
 * own. */
static void plan_chain(struct chain *c, struct plan *p, bool describe)
{
	int k, r, j;

	if (!(p->st = calloc((size_t)c->n, sizeof(*p->st))) ||
	    !(p->json = calloc((size_t)c->n, sizeof(*p->json))))
		err(1, "calloc");
	for (k = 0; k < c->n; k++) {
		if (!is_vnet(&c->m[k]))
			continue;
		r = describe_one(c, p, k, describe);
		if (r && describe) {
			warnx("member %d (%s): --describe failed (status %d)",
			      k + 1, c->m[k].argv[0], r);
			exit(2);
		}
	}
	if (budget_chain(p->st, (unsigned)c->n, &p->sum) < 0) {
		k = p->sum.bad;
		for (j = k + 1; j < c->n && !p->st[j].known; j++)
			;
		if (p->sum.turned)
			warnx("member 1 (%s) hands on frames of up to %u "
			      "bytes, more than the %u that member %d (%s) "
			      "carries: give it --mtu %u or less",
			      c->m[0].argv[0], p->sum.need, p->sum.have,
			      j + 1, c->m[j].argv[0],
			      p->st[0].outer_mtu - (p->sum.need - p->sum.have));
		else if (!strcmp(p->st[k].program, "vnet-tap"))
			warnx("member %d (vnet-tap): MTU %u is larger than the "
			      "%u bytes that member %d (%s) carries: give "
			      "mtu=%u or less, or none (vnet-pipe sets it)",
			      k + 1, p->sum.need, p->sum.have, j + 1,
			      c->m[j].argv[0], p->sum.have);
		else
			warnx("member %d (%s) needs an outer MTU of %u, more "
			      "than the %u bytes that member %d (%s) carries: "
			      "give it --mtu %u or less", k + 1,
			      c->m[k].argv[0], p->sum.need, p->sum.have, j + 1,
			      c->m[j].argv[0], p->sum.have);
		exit(2);
	}
	if (p->st[0].known && !strcmp(p->st[0].program, "vnet-tap") &&
	    !p->st[0].inner_mtu && p->sum.inner_mtu) {
		static char mtu[16];
		const char *w[] = { "--mtu", mtu };

		snprintf(mtu, sizeof(mtu), "%u", p->sum.inner_mtu);
		c->m[0].argv = p->tap_argv = argv_insert(c->m[0].argv, w, 2);
		if (c->verbose)
			warnx("member 1 (vnet-tap): --mtu %s, what the chain "
			      "carries", mtu);
		if (describe)
			describe_one(c, p, 0, true);
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void json_mtu(const char *key, unsigned v)
{
	if (v)
		printf(",\"%s\":%u", key, v);
	else
		printf(",\"%s\":null", key);
}

/* vnet-pipe --describe: the members' objects in order, then the sum. */
static int print_plan(const struct chain *c, const struct plan *p)
{
	const char *in = NULL, *out = NULL;
	int k;

	printf("{\"program\":\"vnet-pipe\",\"version\":\"%s\","
	       "\"members\":[", VNET_VERSION);
	for (k = 0; k < c->n; k++) {
		if (k)
			putchar(',');
		if (p->json[k]) {
			size_t n = strlen(p->json[k]);

			while (n && strchr(" \t\r\n", p->json[k][n - 1]))
				n--;
			fwrite(p->json[k], 1, n, stdout);
		} else {
			printf("{\"command\":");
			json_string(c->m[k].argv[0]);
			printf(",\"described\":false}");
		}
	}
	printf("]");
	if (p->sum.turned && p->st[0].outer[0])
		in = p->st[0].outer;
	for (k = 0; k < c->n && !in; k++)
		if (p->st[k].known && p->st[k].inner[0])
			in = p->st[k].inner;
	for (k = c->n; k-- > 0 && !out;)
		if (p->st[k].known && p->st[k].outer[0])
			out = p->st[k].outer;
	printf(",\"inner_framing\":");
	if (in)
		json_string(in);
	else
		printf("null");
	printf(",\"outer_framing\":");
	if (out)
		json_string(out);
	else
		printf("null");
	printf(",\"translation\":%s", p->sum.turned ? "true" : "false");
	printf(",\"overhead\":%u", p->sum.overhead);
	json_mtu("inner_mtu", p->sum.inner_mtu);
	json_mtu("outer_mtu", p->sum.outer_mtu);
	printf("}\n");
	if (fflush(stdout) || ferror(stdout)) {
		warn("--describe: write stdout");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct chain c = {.status = -1};
	struct plan plan = { 0 };
	sigset_t set;
	size_t i;
	pid_t self = getpid();
	int first, k, sfd;
	bool describe;

	first = parse_options(argc, argv, &c.verbose, &describe);
	c.m = split_members(argc, argv, first, &c.n);

	plan_chain(&c, &plan, describe);
	if (describe) {
		k = print_plan(&c, &plan);
		plan_free(&plan, c.n);
		free(c.m);
		return k;
	}
	/* What the members need is theirs now (argv); the rest goes. */
	for (k = 0; k < c.n; k++)
		free(plan.json[k]);
	free(plan.json);
	free(plan.st);
	plan.json = NULL;
	plan.st = NULL;

	sanitise_stdfd();

	/* Signals are read from a signalfd, so they must stay blocked; the
	 * members get the caller's mask back before exec.  SIGCHLD may have
	 * been inherited as ignored, which would reap members behind our
	 * back. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, &c.oldmask) < 0)
		err(1, "sigprocmask");
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		err(1, "signalfd");

	make_pipes(&c);

	for (k = 0; k < c.n; k++) {
		pid_t pid = fork();

		if (pid < 0) {
			warn("fork member %d (%s)", k + 1, c.m[k].argv[0]);
			c.status = 1;
			stop_all(&c);
			break;
		}
		if (pid == 0)
			exec_member(&c.m[k], &c.oldmask, self);
		c.m[k].pid = pid;
		c.live++;
		if (c.verbose)
			warnx("member %d (%s) started, pid %ld", k + 1,
			      c.m[k].argv[0], (long)pid);
	}
	/* The members hold their own ends now; ours would keep EOF away. */
	close_pipes(&c);

	run(&c, sfd);

	close(sfd);
	plan_free(&plan, c.n);
	free(c.m);
	return c.status < 0 ? 0 : c.status;
}
