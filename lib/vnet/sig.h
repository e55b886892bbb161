/* SPDX-License-Identifier: ISC */
/* sig.h -- the signal contract every tool shares (DESIGN.md section 9):
 * SIGTERM/SIGINT stop (flush, exit 0), SIGHUP reloads, SIGUSR1 dumps
 * counters.  Handlers only set flags; the signals stay blocked except
 * inside vnet_sig_poll(), so a signal can never be lost between checking
 * the flags and going to sleep.
 */
#ifndef VNET_SIG_H
#define VNET_SIG_H

#include <poll.h>

enum { VNET_SIG_STOP = 1, VNET_SIG_HUP = 2, VNET_SIG_USR1 = 4 };

/* Install the handlers, block the signals, ignore SIGPIPE.  0 or -errno. */
int vnet_sig_init(void);
/* ppoll with the signals unblocked; timeout_ms < 0 waits forever.  Returns
 * ppoll's result, or 0 when a signal interrupted it. */
int vnet_sig_poll(struct pollfd *fds, unsigned n, int timeout_ms);
/* The VNET_SIG_* flags raised since the last call, cleared. */
int vnet_sig_take(void);
/* Which signal stopped us (for the log), 0 if none.  A stop is for
 * good: once SIGTERM or SIGINT has arrived this stays set. */
int vnet_sig_stop_signo(void);
/* Wait until fd is ready for events (POLLOUT for a writer whose pipe is
 * full), with the signals unblocked.  SIGHUP and SIGUSR1 do not end the
 * wait; they stay raised for vnet_sig_take().  After a stop signal (even
 * one that came before the call) the wait goes on only while the reader
 * keeps making room, and gives up VNET_SIG_GRACE_MS after the first wait
 * that followed the stop.  0 when ready (or POLLERR/POLLHUP: the write
 * that follows tells), -ECANCELED when given up because of a stop,
 * -EBADF, or -errno. */
#define VNET_SIG_GRACE_MS 1000
int vnet_sig_wait_fd(int fd, short events);

/* Drop to user `name` (its uid, gid and supplementary groups) after the
 * privileged set-up is done.  0 or -errno (-ENOENT: no such user). */
int vnet_drop_privileges(const char *name);
/* Whether user name exists (getpwnam): 0, -ENOENT, or -errno of the
 * lookup. */
int vnet_user_check(const char *name);

#endif
