/* SPDX-License-Identifier: ISC */
/* sig.c -- signal flags, ppoll, and dropping privileges. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vnet/sig.h"

static volatile sig_atomic_t pending, stop_signo;
static sigset_t unblocked;

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
