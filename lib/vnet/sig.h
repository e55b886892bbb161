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
/* Which signal stopped us (for the log), 0 if none. */
int vnet_sig_stop_signo(void);

/* Drop to user `name` (its uid, gid and supplementary groups) after the
 * privileged set-up is done.  0 or -errno (-ENOENT: no such user). */
int vnet_drop_privileges(const char *name);

#endif
