/* SPDX-License-Identifier: ISC */
/* afile.h -- files written whole or not at all: the dumps of tables.
 *
 * vnet_afile_write() writes a file under a temporary name in the same
 * directory (FILE.PID.tmp), checks every write, flushes, fsyncs and closes
 * it, and only then renames it over FILE.  A reader, and a later load,
 * sees the old file or the new one, never a part of one; on any failure
 * (a full disk: ENOSPC, an I/O error, a callback that gives up) the
 * temporary file is removed and FILE stays as it was, byte for byte.
 *
 * vnet_afile_check() is the check a program makes at start on a path it
 * will write later (a dump, a pid file), so that a typo is a
 * configuration error then rather than a failed dump hours later.
 *
 * Nothing here prints: 0 or -errno, and a struct vnet_err (err.h) filled
 * with the file's name and what went wrong.
 */
#ifndef VNET_AFILE_H
#define VNET_AFILE_H

#include <stdio.h>

#include "vnet/err.h"

/* Whether a file can be created or replaced at path: its directory
 * exists, is a directory and is writable (access(2), by the real user),
 * and path is not a directory or anything but a regular file.  0, or
 * -errno with e (may be NULL) filled: obj path, msg one of
 *	"directory DIR does not exist"	  ENOENT
 *	"DIR is not a directory"	  ENOTDIR
 *	"directory DIR is not writable: REASON"  EACCES, EROFS, ...
 *	"is a directory"		  EISDIR
 *	"not a regular file"		  EINVAL (a device, a FIFO)
 *	"empty path" / "path too long"	  EINVAL, ENAMETOOLONG */
int vnet_afile_check(const char *path, struct vnet_err *e);

/* Write path whole: fn(arg, f) writes the content to f, a stdio stream on
 * the temporary file, and returns 0 or -errno (its own error, reported as
 * such).  Every write to f is checked; the first one that fails makes the
 * whole write fail with its errno, whatever fn returns.  The new file has
 * mode 0666 less the umask, like fopen(3)'s.  The directory is fsynced
 * after the rename (its errors are ignored: the file is in place).
 * Returns 0 when path holds what fn wrote; otherwise -errno, with e (may
 * be NULL) filled, obj path, msg the step and why:
 *	"create FILE.PID.tmp: Permission denied"
 *	"write: No space left on device"  (a write, the flush, fsync, close)
 *	"rename: ..."
 *	"STRERROR"			  (fn's error)
 * and path untouched, the temporary file removed. */
int vnet_afile_write(const char *path, int (*fn)(void *arg, FILE *f),
		     void *arg, struct vnet_err *e);

#endif
