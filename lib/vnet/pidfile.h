/* SPDX-License-Identifier: ISC */
/* pidfile.h -- pid files held by a lock for the life of the process.
 *
 * A program given --pidfile FILE takes FILE with vnet_pidfile_open()
 * before it opens anything else: the file holds its pid ("PID\n") and
 * carries a write lock on the whole file (fcntl F_OFD_SETLK, an open file
 * description lock) until the process exits, however it exits.  A second
 * instance given the same FILE finds the lock held and is refused, told
 * the pid in the file, instead of overwriting the file and deleting it on
 * its way out.  A file left by a process that died is not locked: the
 * next instance takes it over.
 *
 * The pid is written atomically: into a temporary file FILE.PID.tmp in
 * the same directory, which is locked first and then linked (a new FILE)
 * or renamed (over a stale FILE, whose lock is held meanwhile) into
 * place, so a reader never sees an empty or partial FILE, and two
 * instances starting together cannot both win.  At exit
 * vnet_pidfile_remove() removes FILE only if it is still the file this
 * process locked.
 *
 * The lock goes with the one descriptor (unlike a POSIX lock, which the
 * process would lose by closing any descriptor of the file, a read by
 * vnet_pidfile_read() too), and conflicts with another open in the same
 * process as with another process.  The descriptor is close-on-exec; a
 * child forked without exec shares it and so holds the lock while it
 * lives.  FILE must not be a symbolic link (ELOOP: a root process would
 * otherwise create or lock what the link points to).
 *
 * Nothing here prints: NULL or -errno, with a struct vnet_err (err.h)
 * filled, obj FILE.
 */
#ifndef VNET_PIDFILE_H
#define VNET_PIDFILE_H

#include <sys/types.h>

#include "vnet/err.h"

struct vnet_pidfile;

/* Take path as this process's pid file: locked, holding getpid().
 * Returns it, or NULL with errno set and e (may be NULL) filled:
 *	EAGAIN	"held by pid N: another instance is running"
 *	ELOOP	"is a symbolic link"
 *	other	"open: REASON", "create FILE.PID.tmp: REASON", "write: ...",
 *		"rename: ...", "lock: ..." */
struct vnet_pidfile *vnet_pidfile_open(const char *path, struct vnet_err *e);
/* Remove the file if path still names the file this process locked (not
 * a newer one), release the lock, free pf.  Takes NULL.  0, or -errno of
 * the unlink (EACCES once privileges are dropped: the file stays, not
 * locked, and the next instance takes it over); pf is freed in any case. */
int vnet_pidfile_remove(struct vnet_pidfile *pf);
/* The path pf was opened with. */
const char *vnet_pidfile_path(const struct vnet_pidfile *pf);

/* For a program that signals the owner of a pid file (vnet-acl
 * --reload): the pid written in the file at path into *pid, and into
 * *held whether a process holds its lock (1; then the pid is that
 * process's, which wrote it) or not (0: the file is stale, its process
 * gone, the pid perhaps another process's now).  0, or -errno with e (may
 * be NULL) filled, obj path: "REASON" (open, read), "no pid in the file"
 * (EINVAL). */
int vnet_pidfile_read(const char *path, pid_t *pid, int *held,
		      struct vnet_err *e);

#endif
