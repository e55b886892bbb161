/* SPDX-License-Identifier: ISC */
/* afile.c -- files written whole or not at all (see afile.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnet/afile.h"

/* Fill e with obj path, the message, err; returns -err. */
static int fail(struct vnet_err *e, const char *path, int err,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct vnet_err *e, const char *path, int err,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnet_err_vset(e, path, 0, fmt, ap);
	va_end(ap);
	if (e)
		e->errnum = err;
	return -err;
}

/* The directory part of path into dir (n bytes): "." for a bare name. */
static void dir_of(const char *path, char *dir, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, n, ".");
	else if (slash == path)
		snprintf(dir, n, "/");
	else
		snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

int vnet_afile_check(const char *path, struct vnet_err *e)
{
	char dir[PATH_MAX];
	struct stat st;
	size_t n;

	if (!path || !*path)
		return fail(e, "", EINVAL, "empty path");
	n = strlen(path);
	/* Room for the temporary name beside it. */
	if (n + 32 >= sizeof(dir))
		return fail(e, path, ENAMETOOLONG, "path too long");
	if (path[n - 1] == '/')
		return fail(e, path, EISDIR, "is a directory");
	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st)) {
		if (errno == ENOENT)
			return fail(e, path, ENOENT,
				    "directory %s does not exist", dir);
		return fail(e, path, errno, "directory %s: %s", dir,
			    strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return fail(e, path, ENOTDIR, "%s is not a directory", dir);
	if (access(dir, W_OK | X_OK))
		return fail(e, path, errno, "directory %s is not writable: %s",
			    dir, strerror(errno));
	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return fail(e, path, EISDIR, "is a directory");
		if (!S_ISREG(st.st_mode))
			return fail(e, path, EINVAL, "not a regular file");
	} else if (errno != ENOENT) {
		return fail(e, path, errno, "%s", strerror(errno));
	}
	return 0;
}

/* The stdio stream's writes go here: each one is checked, the first
 * error is kept (stdio would let a later call overwrite errno). */
struct sink {
	int fd;
	int err;
};

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct sink *s = cookie;
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		w = write(s->fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!s->err)
				s->err = w < 0 ? errno : EIO;
			errno = s->err;
			return -1;
		}
		done += (size_t)w;
	}
	return (ssize_t)n;
}

/* The rename is on disk once the directory is: best effort, the new
 * file is in place whatever this says. */
static void sync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd;

	dir_of(path, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	(void)fsync(fd);
	close(fd);
}

int vnet_afile_write(const char *path, int (*fn)(void *arg, FILE *f),
		     void *arg, struct vnet_err *e)
{
	cookie_io_functions_t io = { .write = sink_write };
	struct sink s = { .fd = -1 };
	const char *step = "write";
	char tmp[PATH_MAX];
	FILE *f;
	int r, err = 0;

	if (!path || !*path)
		return fail(e, "", EINVAL, "empty path");
	r = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return fail(e, path, ENAMETOOLONG, "path too long");
	s.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (s.fd < 0 && errno == EEXIST) {
		/* Left by a process that had this pid and died mid-write:
		 * this process writes one file at a time. */
		unlink(tmp);
		s.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			    0666);
	}
	if (s.fd < 0)
		return fail(e, path, errno, "create %s: %s", tmp,
			    strerror(errno));
	if (!(f = fopencookie(&s, "w", io))) {
		err = errno ? errno : ENOMEM;
		goto out;
	}
	r = fn(arg, f);
	if (fflush(f) == EOF || ferror(f))
		err = s.err ? s.err : EIO;
	if (fclose(f) == EOF && !err)
		err = s.err ? s.err : EIO;
	if (!err && s.err)
		err = s.err;
	if (!err && r < 0) {
		err = -r;
		step = NULL; /* fn's own error */
	}
	if (!err && fsync(s.fd)) {
		err = errno;
		step = "fsync";
	}
out:
	if (close(s.fd) && !err) {
		err = errno;
		step = "close";
	}
	if (!err && rename(tmp, path)) {
		err = errno;
		step = "rename";
	}
	if (err) {
		unlink(tmp);
		if (step)
			return fail(e, path, err, "%s: %s", step,
				    strerror(err));
		return fail(e, path, err, "%s", strerror(err));
	}
	sync_dir(path);
	return 0;
}
