/* SPDX-License-Identifier: ISC */
/* pidfile.c -- pid files held by a lock for the life of the process
 * (see pidfile.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vnet/num.h"
#include "vnet/pidfile.h"

/* Rounds of "the file changed between open and lock" before giving up. */
#define TRIES 16

struct vnet_pidfile {
	int fd; /* the locked file, which path names */
	dev_t dev;
	ino_t ino;
	char path[];
};

static void set_err(struct vnet_err *e, const char *path, int err,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_err(struct vnet_err *e, const char *path, int err,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnet_err_vset(e, path, 0, fmt, ap);
	va_end(ap);
	if (e)
		e->errnum = err;
}

/* A write lock on the whole file, without waiting.  An open file
 * description lock: it goes with this descriptor only (a POSIX lock would
 * be dropped when the process closed any descriptor of the file) and it
 * conflicts with another open of the file in the same process too. */
static int lock_whole(int fd)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	return fcntl(fd, F_OFD_SETLK, &l);
}

/* Whether another open file description holds a lock on the file. */
static int locked(int fd)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	return !fcntl(fd, F_OFD_GETLK, &l) && l.l_type != F_UNLCK;
}

/* The pid written in the file open on fd, 0 if there is none. */
static pid_t pid_in(int fd, int *err)
{
	char buf[64];
	uint64_t v;
	ssize_t n;

	*err = 0;
	do
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*err = errno;
		return 0;
	}
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
		     buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (vnet_parse_u64(buf, 1, INT_MAX, &v))
		return 0;
	return (pid_t)v;
}

/* Whether path (not followed) names the file open on fd. */
static int names(const char *path, int fd)
{
	struct stat a, b;

	return !fstat(fd, &a) && !lstat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int alive(pid_t pid)
{
	return !kill(pid, 0) || errno == EPERM;
}

static void pause_ms(void)
{
	const struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static int write_all(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The temporary file tmp holding "PID\n", locked: its fd, or -errno with
 * *step saying what failed (tmp is removed then). */
static int make_tmp(const char *tmp, const char **step)
{
	char buf[32];
	int fd, n, err;

	*step = "create";
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a process that had this pid and died. */
		unlink(tmp);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	*step = "write";
	if ((err = write_all(fd, buf, (size_t)n)) < 0)
		goto fail;
	*step = "lock";
	if (lock_whole(fd)) {
		err = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	unlink(tmp);
	return err;
}

struct vnet_pidfile *vnet_pidfile_open(const char *path, struct vnet_err *e)
{
	struct vnet_pidfile *pf = NULL, *ret = NULL;
	const char *step = NULL;
	char tmp[PATH_MAX];
	int tfd = -1, fd = -1, err = 0, creat = 0, i, n;
	struct stat st;
	pid_t holder;

	if (!path || !*path) {
		set_err(e, "", EINVAL, "empty path");
		errno = EINVAL;
		return NULL;
	}
	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		set_err(e, path, ENAMETOOLONG, "path too long");
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (!(pf = malloc(sizeof(*pf) + strlen(path) + 1))) {
		set_err(e, path, ENOMEM, "%s", strerror(ENOMEM));
		errno = ENOMEM;
		return NULL;
	}
	strcpy(pf->path, path);
	if ((tfd = make_tmp(tmp, &step)) < 0) {
		err = -tfd;
		set_err(e, path, err, "%s %s: %s", step, tmp, strerror(err));
		goto out;
	}
	for (i = 0; i < TRIES; i++) {
		/* No file yet: ours, whole, in one step. */
		if (!creat && !link(tmp, path)) {
			unlink(tmp);
			goto placed;
		}
		/* A file system without hard links: an empty file is
		 * created, locked and replaced. */
		if (!creat && errno != EEXIST)
			creat = 1;
		fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
					(creat ? O_CREAT : 0), 0644);
		if (fd < 0) {
			err = errno;
			if (err == ENOENT)
				continue; /* removed meanwhile */
			if (err == ELOOP)
				set_err(e, path, err, "is a symbolic link");
			else
				set_err(e, path, err, "open: %s",
					strerror(err));
			goto out;
		}
		if (lock_whole(fd)) {
			err = errno;
			if (err != EAGAIN && err != EACCES) {
				set_err(e, path, err, "lock: %s",
					strerror(err));
				goto out;
			}
			/* The holder wrote its pid before it put the
			 * file in place.  But a holder that is taking
			 * over a stale file holds it for a moment before
			 * it renames its own over it: look again until
			 * the pid is of a live process. */
			holder = names(path, fd) ? pid_in(fd, &n) : 0;
			if (!holder || !alive(holder)) {
				if (i + 1 < TRIES) {
					close(fd);
					fd = -1;
					pause_ms();
					continue;
				}
			}
			err = EAGAIN;
			if (holder > 0)
				set_err(e, path, err,
					"held by pid %ld: another instance "
					"is running", (long)holder);
			else
				set_err(e, path, err,
					"held by another process: another "
					"instance is running");
			goto out;
		} else if (names(path, fd)) {
			/* A stale file, ours to replace while we hold it. */
			if (rename(tmp, path)) {
				err = errno;
				set_err(e, path, err, "rename: %s",
					strerror(err));
				goto out;
			}
			close(fd);
			fd = -1;
			goto placed;
		}
		/* Replaced or removed since it was opened. */
		close(fd);
		fd = -1;
	}
	err = EAGAIN;
	set_err(e, path, err, "the file keeps changing: another instance "
			      "is starting");
	goto out;
placed:
	if (fstat(tfd, &st)) {
		err = errno;
		set_err(e, path, err, "%s", strerror(err));
		unlink(path);
		goto out;
	}
	pf->fd = tfd;
	pf->dev = st.st_dev;
	pf->ino = st.st_ino;
	ret = pf;
	pf = NULL;
	tfd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (tfd >= 0) {
		close(tfd);
		unlink(tmp);
	}
	free(pf);
	if (!ret)
		errno = err ? err : EIO;
	return ret;
}

int vnet_pidfile_remove(struct vnet_pidfile *pf)
{
	struct stat st;
	int ret = 0;

	if (!pf)
		return 0;
	if (!lstat(pf->path, &st) && st.st_dev == pf->dev &&
	    st.st_ino == pf->ino && unlink(pf->path))
		ret = -errno;
	close(pf->fd);
	free(pf);
	return ret;
}

const char *vnet_pidfile_path(const struct vnet_pidfile *pf)
{
	return pf->path;
}

int vnet_pidfile_read(const char *path, pid_t *pid, int *held,
		      struct vnet_err *e)
{
	int fd, err;

	*pid = 0;
	*held = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return vnet_err_sys(e, path, errno);
	*pid = pid_in(fd, &err);
	*held = locked(fd);
	close(fd);
	if (err)
		return vnet_err_sys(e, path, err);
	if (!*pid) {
		set_err(e, path, EINVAL, "no pid in the file");
		return -EINVAL;
	}
	return 0;
}
