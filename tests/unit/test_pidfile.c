/* SPDX-License-Identifier: ISC */
/* test_pidfile.c -- pid files held by a lock (lib/pidfile.c): the file
 * holds the pid whole, a second process is refused naming the holder and
 * leaves the file alone, a stale file is taken over, only the owner
 * removes it, and of processes that start together exactly one wins.
 *
 * A POSIX lock never conflicts with its own process, so every second
 * instance here is a child (fork); none runs longer than the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tfile.h"
#include "vnet/pidfile.h"

static char dir[] = "/tmp/vnet-pidfile.XXXXXX";
static char path[256];

static void put_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	T_ASSERT(f);
	if (!f)
		return;
	fputs(text, f);
	T_EQ(fclose(f), 0);
}

static const char *err_text(const struct vnet_err *e)
{
	static char buf[VNET_ERR_STRLEN];

	return vnet_err_str(e, buf, sizeof(buf));
}

/* Files in dir other than . and .. (no temporary file is ever left). */
static int entries(void)
{
	char cmd[300], buf[32];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	if ((p = popen(cmd, "r"))) {
		if (fgets(buf, sizeof(buf), p))
			n = atoi(buf);
		pclose(p);
	}
	return n;
}

/* Run fn in a child, which exits with the number of failed checks. */
static int in_child(int (*fn)(pid_t parent))
{
	pid_t parent = getpid(), pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (!pid)
		_exit(fn(parent));
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* The second instance: refused, told the parent's pid; and what a reader
 * (vnet-acl --reload) sees. */
static int second_instance(pid_t parent)
{
	char want[400], buf[32];
	struct vnet_pidfile *pf;
	struct vnet_err e;
	int bad = 0, held;
	pid_t pid;

	errno = 0;
	pf = vnet_pidfile_open(path, &e);
	bad += pf != NULL;
	bad += errno != EAGAIN;
	snprintf(want, sizeof(want),
		 "%s: held by pid %ld: another instance is running", path,
		 (long)parent);
	bad += strcmp(err_text(&e), want) != 0;
	bad += e.errnum != EAGAIN;
	bad += vnet_pidfile_read(path, &pid, &held, &e) != 0;
	bad += pid != parent || !held;
	snprintf(want, sizeof(want), "%ld\n", (long)parent);
	bad += get_file(path, buf, sizeof(buf)) < 0 || strcmp(buf, want);
	if (bad)
		printf("# child: %d checks failed (%s)\n", bad, err_text(&e));
	fflush(stdout);
	return bad;
}

static void test_lock(void)
{
	struct vnet_pidfile *pf;
	char want[32], buf[32];
	struct vnet_err e;

	pf = vnet_pidfile_open(path, &e);
	T_ASSERT(pf);
	if (!pf) {
		T_FAIL("%s", err_text(&e));
		return;
	}
	T_STREQ(vnet_pidfile_path(pf), path);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	T_EQ(get_file(path, buf, sizeof(buf)), (long)strlen(want));
	T_STREQ(buf, want);
	T_EQ(entries(), 1);
	/* Twice: the first child's exit takes nothing with it.  A read in
	 * this process (above) keeps the lock, too. */
	T_EQ(in_child(second_instance), 0);
	T_EQ(in_child(second_instance), 0);
	/* Another open in the same process is refused like another
	 * process. */
	T_ASSERT(!vnet_pidfile_open(path, &e));
	T_EQ(e.errnum, EAGAIN);
	T_EQ(get_file(path, buf, sizeof(buf)), (long)strlen(want));
	T_STREQ(buf, want);
	T_EQ(vnet_pidfile_remove(pf), 0);
	T_EQ(access(path, F_OK), -1);
	T_EQ(entries(), 0);
	T_EQ(vnet_pidfile_remove(NULL), 0);
}

static int takes_it(pid_t parent)
{
	struct vnet_pidfile *pf;
	struct vnet_err e;

	(void)parent;
	if (!(pf = vnet_pidfile_open(path, &e))) {
		printf("# child: %s\n", err_text(&e));
		fflush(stdout);
		return 1;
	}
	return vnet_pidfile_remove(pf) != 0;
}

/* A file nobody holds (its process died) is taken over; the reader sees
 * the stale pid and no holder. */
static void test_stale(void)
{
	struct vnet_pidfile *pf;
	char want[32], buf[32];
	struct vnet_err e;
	int held;
	pid_t pid;

	put_file(path, "999999\n");
	T_EQ(vnet_pidfile_read(path, &pid, &held, &e), 0);
	T_EQ(pid, 999999);
	T_EQ(held, 0);
	pf = vnet_pidfile_open(path, &e);
	T_ASSERT(pf);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	T_EQ(get_file(path, buf, sizeof(buf)), (long)strlen(want));
	T_STREQ(buf, want);
	T_EQ(entries(), 1);
	vnet_pidfile_remove(pf);
	/* An empty one too, and once released, it is free again. */
	put_file(path, "");
	T_EQ(in_child(takes_it), 0);
	T_EQ(access(path, F_OK), -1);
	T_EQ(in_child(takes_it), 0);
}

/* The owner removes only the file it locked: not one put in its place. */
static void test_remove_only_own(void)
{
	struct vnet_pidfile *pf;
	char other[300], buf[32];
	struct vnet_err e;

	pf = vnet_pidfile_open(path, &e);
	T_ASSERT(pf);
	snprintf(other, sizeof(other), "%s/other", dir);
	put_file(other, "4242\n");
	T_EQ(rename(other, path), 0);
	T_EQ(vnet_pidfile_remove(pf), 0);
	T_EQ(get_file(path, buf, sizeof(buf)), 5);
	T_STREQ(buf, "4242\n");
	unlink(path);
}

static void test_refuses(void)
{
	char p[300], want[700];
	struct vnet_err e;
	int held;
	pid_t pid;

	/* A symbolic link: never followed (the target is not created). */
	snprintf(p, sizeof(p), "%s/target", dir);
	T_EQ(symlink(p, path), 0);
	errno = 0;
	T_ASSERT(!vnet_pidfile_open(path, &e));
	T_EQ(errno, ELOOP);
	snprintf(want, sizeof(want), "%s: is a symbolic link", path);
	T_STREQ(err_text(&e), want);
	T_EQ(access(p, F_OK), -1);
	unlink(path);
	T_EQ(entries(), 0);

	snprintf(p, sizeof(p), "%s/nodir/x.pid", dir);
	errno = 0;
	T_ASSERT(!vnet_pidfile_open(p, &e));
	T_EQ(errno, ENOENT);
	snprintf(want, sizeof(want), "%s: create %s.%ld.tmp: %s", p, p,
		 (long)getpid(), strerror(ENOENT));
	T_STREQ(err_text(&e), want);
	T_ASSERT(!vnet_pidfile_open("", &e));
	T_STREQ(err_text(&e), "empty path");

	T_EQ(vnet_pidfile_read(p, &pid, &held, &e), -ENOENT);
	snprintf(want, sizeof(want), "%s: %s", p, strerror(ENOENT));
	T_STREQ(err_text(&e), want);
	put_file(path, "not a pid\n");
	T_EQ(vnet_pidfile_read(path, &pid, &held, &e), -EINVAL);
	snprintf(want, sizeof(want), "%s: no pid in the file", path);
	T_STREQ(err_text(&e), want);
	put_file(path, "0\n");
	T_EQ(vnet_pidfile_read(path, &pid, &held, &e), -EINVAL);
	unlink(path);
}

/* Processes that start at once on a stale file or none: one wins, each
 * other one is refused naming the winner's pid, and the file holds it. */
#define RACERS 4

static void racer(int go, int res, int hold)
{
	struct vnet_pidfile *pf;
	struct vnet_err e;
	char c, line[64];
	int n;

	/* Everyone starts when the parent closes go. */
	if (read(go, &c, 1) < 0)
		_exit(2);
	pf = vnet_pidfile_open(path, &e);
	if (pf)
		n = snprintf(line, sizeof(line), "W\n");
	else if (sscanf(e.msg, "held by pid %d", &n) == 1)
		n = snprintf(line, sizeof(line), "L %d\n", n);
	else
		n = snprintf(line, sizeof(line), "E %.50s\n", e.msg);
	if (write(res, line, (size_t)n) != n)
		_exit(2);
	if (pf && read(hold, &c, 1) < 0)
		_exit(2);
	vnet_pidfile_remove(pf);
	_exit(0);
}

static void race(int stale)
{
	int go[2], res[2], hold[2], named[RACERS];
	pid_t pids[RACERS], winner = 0;
	char want[32], buf[32], line[64];
	int i, wins = 0, losses = 0, st;
	FILE *r;

	T_ASSERT(!pipe(go) && !pipe(res) && !pipe(hold));
	if (stale)
		put_file(path, "999999\n");
	fflush(stdout);
	for (i = 0; i < RACERS; i++) {
		if ((pids[i] = fork()) == 0) {
			close(go[1]);
			close(hold[1]);
			close(res[0]);
			racer(go[0], res[1], hold[0]);
		}
	}
	close(go[0]);
	close(go[1]);
	close(res[1]);
	r = fdopen(res[0], "r");
	for (i = 0; r && i < RACERS && fgets(line, sizeof(line), r); i++) {
		named[losses] = 0;
		if (line[0] == 'W')
			wins++;
		else if (sscanf(line, "L %d", &named[losses]) == 1)
			losses++;
		else
			T_FAIL("racer: %s", line);
	}
	T_EQ(wins, 1);
	T_EQ(losses, RACERS - 1);
	T_ASSERT(get_file(path, buf, sizeof(buf)) > 0);
	for (i = 0; i < RACERS; i++) {
		snprintf(want, sizeof(want), "%ld\n", (long)pids[i]);
		if (!strcmp(buf, want))
			winner = pids[i];
	}
	T_ASSERT(winner);
	for (i = 0; i < losses; i++)
		T_EQ(named[i], winner);
	close(hold[1]);
	for (i = 0; i < RACERS; i++)
		T_EQ(waitpid(pids[i], &st, 0), pids[i]);
	if (r)
		fclose(r);
	close(hold[0]);
	T_EQ(access(path, F_OK), -1);
	T_EQ(entries(), 0);
}

static void test_race(void)
{
	int i;

	for (i = 0; i < 20; i++)
		race(i & 1);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/vnet.pid", dir);
	T_RUN(test_lock);
	T_RUN(test_stale);
	T_RUN(test_remove_only_own);
	T_RUN(test_refuses);
	T_RUN(test_race);
	rmdir(dir);
	return T_DONE();
}
