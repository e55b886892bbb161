/* SPDX-License-Identifier: ISC */
/* sig.c -- signal flags, ppoll, and dropping privileges. */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vnet/sig.h"

static volatile sig_atomic_t pending, stop_signo;
static sigset_t unblocked;
static int inited;
static struct timespec grace_end; /* CLOCK_MONOTONIC; 0: not started */

static void on_signal(int signo)
{
	switch (signo) {
	case SIGTERM:
	case SIGINT:
		pending |= VNET_SIG_STOP;
		stop_signo = signo;
		break;
	case SIGHUP:
		pending |= VNET_SIG_HUP;
		break;
	case SIGUSR1:
		pending |= VNET_SIG_USR1;
		break;
	}
}

int vnet_sig_init(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL))
		return -errno;
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
		sigaddset(&block, sigs[i]);
	}
	if (sigprocmask(SIG_BLOCK, &block, &unblocked))
		return -errno;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(&unblocked, sigs[i]);
	inited = 1;
	return 0;
}

int vnet_sig_poll(struct pollfd *fds, unsigned n, int timeout_ms)
{
	struct timespec ts, *tp = NULL;
	int r;

	if (pending)
		timeout_ms = 0;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	r = ppoll(fds, n, tp, &unblocked);
	if (r < 0 && errno == EINTR)
		return 0;
	return r;
}

int vnet_sig_take(void)
{
	int p = pending;

	pending = 0;
	return p;
}

int vnet_sig_stop_signo(void)
{
	return stop_signo;
}

/* Milliseconds left until the grace period after a stop ends (started by
 * the first call after the stop), 0 when it is over. */
static int grace_left_ms(void)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!grace_end.tv_sec && !grace_end.tv_nsec) {
		grace_end = now;
		grace_end.tv_sec += VNET_SIG_GRACE_MS / 1000;
		grace_end.tv_nsec += (long)(VNET_SIG_GRACE_MS % 1000) * 1000000L;
		if (grace_end.tv_nsec >= 1000000000L) {
			grace_end.tv_sec++;
			grace_end.tv_nsec -= 1000000000L;
		}
	}
	ms = (int64_t)(grace_end.tv_sec - now.tv_sec) * 1000 +
	     (grace_end.tv_nsec - now.tv_nsec) / 1000000L;
	return ms > 0 ? (int)ms : 0;
}

int vnet_sig_wait_fd(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec ts, *tp;
	int r, ms;

	for (;;) {
		tp = NULL;
		if (stop_signo) {
			if (!(ms = grace_left_ms()))
				return -ECANCELED;
			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (long)(ms % 1000) * 1000000L;
			tp = &ts;
		}
		/* Blocked outside ppoll, a signal that came after the check
		 * above is delivered inside it: it cannot be missed. */
		r = ppoll(&pfd, 1, tp, inited ? &unblocked : NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue; /* the grace period is over: checked above */
		if (pfd.revents & POLLNVAL)
			return -EBADF;
		return 0;
	}
}

int vnet_user_check(const char *name)
{
	errno = 0;
	if (getpwnam(name))
		return 0;
	return errno && errno != ENOENT && errno != ESRCH ? -errno : -ENOENT;
}

int vnet_drop_privileges(const char *name)
{
	struct passwd *pw;

	errno = 0;
	if (!(pw = getpwnam(name)))
		return errno ? -errno : -ENOENT;
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) ||
	    setuid(pw->pw_uid))
		return -errno;
	/* Make sure there is no way back. */
	if (pw->pw_uid && setuid(0) == 0)
		return -EPERM;
	return 0;
}
