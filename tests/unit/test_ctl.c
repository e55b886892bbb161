/* SPDX-License-Identifier: ISC */
/* test_ctl.c -- the control socket (ctl.h): request parsing, names and
 * targets, and a server on a loop answering a client: TSV and JSON from
 * the same handler, errors, failures, a stale socket replaced and a live
 * one refused. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/loop.h"
#include "vnet/sig.h"

static int parse(struct vnet_ctl_req *rq, const char *s, char *msg)
{
	struct vnet_err e;
	int r;

	vnet_err_clear(&e);
	r = vnet_ctl_req_parse(rq, s, strlen(s), &e);
	snprintf(msg, VNET_ERR_MSG, "%s", e.msg);
	return r;
}

static void test_parse(void)
{
	struct vnet_ctl_req rq;
	char msg[VNET_ERR_MSG], line[VNET_CTL_REQ_MAX + 2];
	struct vnet_err e;

	T_EQ(parse(&rq, "counters", msg), 0);
	T_STREQ(rq.cmd, "counters");
	T_EQ(rq.argc, 0);
	T_EQ(rq.json, 0);
	T_EQ(parse(&rq, "counters --json", msg), 0);
	T_EQ(rq.json, 1);
	T_EQ(parse(&rq, " --json\tfdb\t", msg), 0);
	T_STREQ(rq.cmd, "fdb");
	T_EQ(rq.json, 1);
	T_EQ(parse(&rq, "reload a  b --json c", msg), 0);
	T_STREQ(rq.cmd, "reload");
	T_EQ(rq.argc, 3);
	T_STREQ(rq.argv[0], "a");
	T_STREQ(rq.argv[1], "b");
	T_STREQ(rq.argv[2], "c");
	/* A CR before the newline (telnet, socat crlf) is dropped. */
	T_EQ(parse(&rq, "describe\r", msg), 0);
	T_STREQ(rq.cmd, "describe");
	T_EQ(parse(&rq, "ct-2", msg), 0);

	T_EQ(parse(&rq, "", msg), -EINVAL);
	T_STREQ(msg, "empty request");
	T_EQ(parse(&rq, " \t ", msg), -EINVAL);
	T_STREQ(msg, "empty request");
	T_EQ(parse(&rq, "--json", msg), -EINVAL);
	T_STREQ(msg, "empty request");
	T_EQ(parse(&rq, "Counters", msg), -EINVAL);
	T_STREQ(msg, "bad command 'Counters'");
	T_EQ(parse(&rq, "fdb;rm", msg), -EINVAL);
	T_STREQ(msg, "bad command 'fdb;rm'");
	T_EQ(parse(&rq, "counters --all", msg), -EINVAL);
	T_STREQ(msg, "unknown option '--all'");
	T_EQ(parse(&rq, "count\x01" "ers", msg), -EINVAL);
	T_STREQ(msg, "control character 0x01 in the request");
	T_EQ(parse(&rq, "counters\x7f", msg), -EINVAL);
	T_STREQ(msg, "control character 0x7f in the request");
	T_EQ(parse(&rq, "a 1 2 3 4 5 6 7 8", msg), 0);
	T_EQ(rq.argc, 8);
	T_EQ(parse(&rq, "a 1 2 3 4 5 6 7 8 9", msg), -EINVAL);
	T_STREQ(msg, "more than 8 arguments");
	/* A NUL byte is a control character, not the end. */
	vnet_err_clear(&e);
	T_EQ(vnet_ctl_req_parse(&rq, "fdb\0x", 5, &e), -EINVAL);
	T_STREQ(e.msg, "control character 0x00 in the request");
	/* The longest line, and one byte more. */
	memset(line, 'a', sizeof(line));
	line[VNET_CTL_REQ_MAX] = '\0';
	line[0] = 'x';
	line[1] = ' ';
	T_EQ(parse(&rq, line, msg), 0);
	T_STREQ(rq.cmd, "x");
	line[VNET_CTL_REQ_MAX] = 'a';
	line[VNET_CTL_REQ_MAX + 1] = '\0';
	T_EQ(parse(&rq, line, msg), -EINVAL);
	T_STREQ(msg, "request longer than 512 bytes");
}

static void test_names(void)
{
	char buf[256];

	T_EQ(vnet_ctl_name_check("vm0"), 0);
	T_EQ(vnet_ctl_name_check("vx0@vt123-4-a"), 0);
	T_EQ(vnet_ctl_name_check("vnet-acl-1234"), 0);
	T_EQ(vnet_ctl_name_check("web_1.x"), 0);
	T_EQ(vnet_ctl_name_check(""), -EINVAL);
	T_EQ(vnet_ctl_name_check(".hidden"), -EINVAL);
	T_EQ(vnet_ctl_name_check("-x"), -EINVAL);
	T_EQ(vnet_ctl_name_check("a/b"), -EINVAL);
	T_EQ(vnet_ctl_name_check("a b"), -EINVAL);
	memset(buf, 'a', 65);
	buf[65] = '\0';
	T_EQ(vnet_ctl_name_check(buf), -EINVAL);
	buf[64] = '\0';
	T_EQ(vnet_ctl_name_check(buf), 0);

	T_EQ(vnet_ctl_target("web", buf, sizeof(buf)), 0);
	T_STREQ(buf, VNET_CTL_DIR "/web.sock");
	T_EQ(vnet_ctl_target("./web.sock", buf, sizeof(buf)), 0);
	T_STREQ(buf, "./web.sock");
	T_EQ(vnet_ctl_target("we b", buf, sizeof(buf)), -EINVAL);

	/* Without a tap: PROGRAM-PID. */
	char want[64];

	snprintf(want, sizeof(want), "vnet-x-%ld", (long)getpid());
	vnet_ctl_default_name("vnet-x", NULL, buf, sizeof(buf));
	T_STREQ(buf, want);
	/* A tap name that is no instance name falls back to it too. */
	vnet_ctl_default_name("vnet-x", "a b", buf, sizeof(buf));
	T_STREQ(buf, want);
	/* On a tap: its name (qualified by a named namespace). */
	vnet_ctl_default_name("vnet-x", "vm0", buf, sizeof(buf));
	T_ASSERT(!strcmp(buf, "vm0") || !strncmp(buf, "vm0@", 4) ||
		 !strcmp(buf, want));

	char r1[] = "ok\nbody\n", r2[] = "ok generation 3\n",
	     r3[] = "refused: p:3: bad", *st, *body;

	T_EQ(vnet_ctl_split(r1, &st, &body), 1);
	T_STREQ(st, "ok");
	T_STREQ(body, "body\n");
	T_EQ(vnet_ctl_split(r2, &st, &body), 1);
	T_STREQ(st, "ok generation 3");
	T_STREQ(body, "");
	T_EQ(vnet_ctl_split(r3, &st, &body), 0);
	T_STREQ(st, "refused: p:3: bad");
}

/* ---- a server in a child process ---- */

static const struct vnet_ctl_col cols[] = {
	{ .name = "vni", .num = 1 },
	{ .name = "mac" },
	{ .name = "age", .num = 1 },
	{ 0 },
};

static int h_counters(void *arg, const struct vnet_ctl_req *rq,
		      struct vnet_ctl_reply *rp)
{
	(void)arg;
	(void)rq;
	vnet_ctl_head(rp, 1);
	vnet_ctl_kv(rp, "counters");
	fprintf(vnet_ctl_out(rp), "frames\t12\nrule:allow \"x\":packets\t3\n"
				  "odd\t007\nword\tabc\n");
	return 0;
}

static int h_table(void *arg, const struct vnet_ctl_req *rq,
		   struct vnet_ctl_reply *rp)
{
	(void)arg;
	(void)rq;
	vnet_ctl_head(rp, 0);
	vnet_ctl_table(rp, "fdb", cols);
	fprintf(vnet_ctl_out(rp), "5\t02:00:00:00:00:01\t-\n"
				  "6\t02:00:00:00:00:02\t30\textra\n"
				  "7\n# flood all VNIs: 198.18.0.9\n");
	return 0;
}

static int h_reload(void *arg, const struct vnet_ctl_req *rq,
		    struct vnet_ctl_reply *rp)
{
	(void)arg;
	if (rq->argc && !strcmp(rq->argv[0], "bad"))
		return vnet_ctl_fail(rp, "refused: p.policy:3: unknown group "
					 "'dbs'");
	if (rq->argc && !strcmp(rq->argv[0], "errno"))
		return -ENOENT;
	vnet_ctl_ok(rp, "generation %d", 2);
	vnet_ctl_u64(rp, "generation", 2);
	vnet_ctl_str(rp, "policy", NULL);
	return 0;
}

static int h_big(void *arg, const struct vnet_ctl_req *rq,
		 struct vnet_ctl_reply *rp)
{
	FILE *f = vnet_ctl_out(rp);

	(void)arg;
	(void)rq;
	for (unsigned i = 0; i < 2 * (VNET_CTL_REPLY_MAX / 64); i++)
		fprintf(f, "%063u\n", i);
	return 0;
}

static int h_quit(void *arg, const struct vnet_ctl_req *rq,
		  struct vnet_ctl_reply *rp)
{
	(void)rq;
	(void)rp;
	vnet_loop_stop(arg);
	return 0;
}

static const struct vnet_ctl_cmd cmds[] = {
	{ .name = "counters", .help = "c", .fn = h_counters },
	{ .name = "fdb", .help = "t", .fn = h_table },
	{ .name = "reload", .args = "[bad|errno]", .help = "r",
	  .fn = h_reload },
	{ .name = "big", .help = "b", .fn = h_big },
	{ .name = "quit", .help = "q", .fn = h_quit },
	{ 0 },
};

static char dir[] = "/tmp/test_ctl.XXXXXX";
static char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* A server on sock in a child; its pid, once it listens. */
static pid_t serve(void)
{
	int ready[2];
	char b;
	pid_t pid;

	if (pipe(ready))
		return -1;
	if (!(pid = fork())) {
		struct vnet_loop *l = vnet_loop_new();
		struct vnet_ctl_config cc = {
			.program = "test_ctl", .name = "t1", .path = sock,
			.cmds = cmds, .arg = l,
		};
		struct vnet_ctl *c;
		struct vnet_err e;
		int r;

		if (vnet_sig_init() < 0 || vnet_ctl_open(&cc, &c, &e) < 0 ||
		    vnet_ctl_attach(c, l) < 0)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		r = vnet_loop_run(l);
		vnet_ctl_close(c);
		vnet_loop_free(l);
		_exit(r ? 4 : 0);
	}
	close(ready[1]);
	if (read(ready[0], &b, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

/* The reply to req, or the error text. */
static char *call(const char *req)
{
	static char out[4096];
	struct vnet_err e;
	char *reply;
	size_t len;

	vnet_err_clear(&e);
	if (vnet_ctl_call(sock, req, 3000, &reply, &len, &e) < 0) {
		vnet_err_str(&e, out, sizeof(out));
		return out;
	}
	snprintf(out, sizeof(out), "%s", reply);
	free(reply);
	return out;
}

/* Connect, send raw bytes, read what comes back. */
static char *raw(const void *d, size_t n)
{
	static char out[4096];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t k = 0;
	ssize_t m;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	out[0] = '\0';
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, d, n) != (ssize_t)n) {
		close(fd);
		return out;
	}
	while (k < sizeof(out) - 1 &&
	       (m = read(fd, out + k, sizeof(out) - 1 - k)) > 0)
		k += (size_t)m;
	out[k] = '\0';
	close(fd);
	return out;
}

static void test_server(void)
{
	char big[VNET_CTL_REQ_MAX + 100], *r;
	struct vnet_err e;
	struct vnet_ctl *c;
	struct vnet_ctl_config cc = { .program = "x", .path = sock,
				      .cmds = cmds };
	struct stat st;
	pid_t pid;
	int status;

	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(sock, sizeof(sock), "%s/sub/t1.sock", dir);
	T_ASSERT((pid = serve()) > 0);
	/* The directory is made, the socket is 0600. */
	T_EQ(stat(sock, &st), 0);
	T_EQ(st.st_mode & 0777, 0600);
	T_ASSERT(S_ISSOCK(st.st_mode));

	r = call("counters");
	T_ASSERT(!strncmp(r, "ok\nprogram\ttest_ctl\ninstance\tt1\npid\t", 34));
	T_ASSERT(strstr(r, "\ntime\t") != NULL);
	T_ASSERT(strstr(r, "\nframes\t12\nrule:allow \"x\":packets\t3\n"
			   "odd\t007\nword\tabc\n") != NULL);
	r = call("counters --json");
	T_ASSERT(!strncmp(r, "ok\n{\"program\":\"test_ctl\","
			     "\"instance\":\"t1\",\"pid\":", 44));
	T_ASSERT(strstr(r, ",\"counters\":{\"frames\":12,"
			   "\"rule:allow \\\"x\\\":packets\":3,"
			   "\"odd\":\"007\",\"word\":\"abc\"}}\n") != NULL);

	/* A table: only its rows in TSV, rows as objects in JSON. */
	T_STREQ(call("fdb"), "ok\n5\t02:00:00:00:00:01\t-\n"
			     "6\t02:00:00:00:00:02\t30\textra\n7\n"
			     "# flood all VNIs: 198.18.0.9\n");
	r = call("fdb --json");
	T_ASSERT(strstr(r, ",\"fdb\":[{\"vni\":5,\"mac\":\"02:00:00:00:00:01\","
			   "\"age\":null},{\"vni\":6,\"mac\":"
			   "\"02:00:00:00:00:02\",\"age\":30},{\"vni\":7,"
			   "\"mac\":null,\"age\":null}],\"notes\":[\"flood "
			   "all VNIs: 198.18.0.9\"]}\n") != NULL);
	T_STREQ(call("help"), "ok\nhelp\t-\tlist the commands\n"
			      "counters\t-\tc\nfdb\t-\tt\n"
			      "reload\t[bad|errno]\tr\n"
			      "big\t-\tb\nquit\t-\tq\n");

	/* The status line says how it went. */
	T_STREQ(call("reload"), "ok generation 2\ngeneration\t2\npolicy\t-\n");
	T_STREQ(call("reload --json"),
		"ok generation 2\n{\"generation\":2,\"policy\":null}\n");
	T_STREQ(call("reload bad"),
		"refused: p.policy:3: unknown group 'dbs'\n");
	T_STREQ(call("reload errno"), "error: No such file or directory\n");
	T_STREQ(call("nosuch"),
		"error: unknown command 'nosuch' (help lists them)\n");
	T_STREQ(call("fdb x"), "error: fdb takes no arguments\n");
	T_STREQ(call("big"), "error: the reply is longer than 64 MiB\n");

	/* Garbage and too much: an error, then the connection closes. */
	T_STREQ(raw("fdb\x01\n", 5),
		"error: control character 0x01 in the request\n");
	memset(big, 'a', sizeof(big));
	T_STREQ(raw(big, sizeof(big)),
		"error: request longer than 512 bytes\n");
	/* A request without its newline, ended by the client's writing. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char out[256];
		ssize_t m;
		size_t k = 0;
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		T_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		T_EQ(write(fd, "fdb", 3), 3);
		shutdown(fd, SHUT_WR);
		while ((m = read(fd, out + k, sizeof(out) - 1 - k)) > 0)
			k += (size_t)m;
		out[k] = '\0';
		T_ASSERT(!strncmp(out, "ok\n5\t", 5));
		close(fd);
	}

	/* A live socket is refused. */
	vnet_err_clear(&e);
	T_EQ(vnet_ctl_open(&cc, &c, &e), -EADDRINUSE);
	T_ASSERT(strstr(e.msg, "in use by a running program") != NULL);
	T_STREQ(e.obj, sock);

	/* The server stops; its socket goes with it. */
	T_STREQ(call("quit"), "ok\n");
	T_EQ(waitpid(pid, &status, 0), pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_EQ(stat(sock, &st), -1);
	T_ASSERT(strstr(call("counters"), "No such file or directory") != NULL);

	/* A stale socket (nothing listens) is replaced. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		T_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd);
	}
	T_ASSERT(strstr(call("counters"), "Connection refused") != NULL);
	T_ASSERT((pid = serve()) > 0);
	T_ASSERT(!strncmp(call("counters"), "ok\n", 3));
	T_STREQ(call("quit"), "ok\n");
	T_EQ(waitpid(pid, &status, 0), pid);

	/* Something else at the path is left alone. */
	FILE *f = fopen(sock, "w");

	T_ASSERT(f != NULL);
	if (f)
		fclose(f);
	vnet_err_clear(&e);
	T_EQ(vnet_ctl_open(&cc, &c, &e), -ENOTSOCK);
	T_STREQ(e.msg, "exists and is not a socket");
	unlink(sock);

	/* The socket stays out of fds 0-9, which a shell redirects (a
	 * middle program tells a chain by fds 3 and 4). */
	{
		int low = dup(0);

		close(low);
		cc.path = sock;
		T_EQ(vnet_ctl_open(&cc, &c, &e), 0);
		T_ASSERT(c != NULL);
		if (low < 10)
			T_ASSERT(fcntl(low, F_GETFD) == -1 && errno == EBADF);
		vnet_ctl_close(c);
		T_EQ(stat(sock, &st), -1);
	}

	/* --control none: no socket, no error. */
	cc.path = "none";
	c = (struct vnet_ctl *)1;
	T_EQ(vnet_ctl_open(&cc, &c, &e), 0);
	T_ASSERT(c == NULL);

	snprintf(big, sizeof(big), "%s/sub", dir);
	rmdir(big);
	rmdir(dir);
}

int main(void)
{
	vnet_log_init("test_ctl", VNET_LOG_WARN);
	signal(SIGPIPE, SIG_IGN);
	T_RUN(test_parse);
	T_RUN(test_names);
	T_RUN(test_server);
	return T_DONE();
}
