/* SPDX-License-Identifier: ISC */
/* test_err.c -- the one error type (err.h) and its formatter, and the
 * errors that ports and the middle-program frame loop fill. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vnet/err.h"
#include "vnet/mid.h"
#include "vnet/port.h"
#include "vnet/tap.h"

static const char *str(const struct vnet_err *e)
{
	static char buf[VNET_ERR_STRLEN];

	return vnet_err_str(e, buf, sizeof(buf));
}

static void test_forms(void)
{
	struct vnet_err e;

	vnet_err_clear(&e);
	T_ASSERT(!vnet_err_isset(&e));
	T_STREQ(str(&e), "no error");
	T_STREQ(str(NULL), "no error");
	T_ASSERT(!vnet_err_isset(NULL));

	/* FILE:LINE: what is wrong */
	vnet_err_set(&e, "t.policy", 3, "unknown group '%s'", "dbs");
	T_ASSERT(vnet_err_isset(&e));
	T_STREQ(e.obj, "t.policy");
	T_EQ(e.line, 3);
	T_EQ(e.errnum, 0);
	T_STREQ(e.msg, "unknown group 'dbs'");
	T_STREQ(str(&e), "t.policy:3: unknown group 'dbs'");

	/* OBJECT: what is wrong */
	vnet_err_set(&e, "tap:vm0", 0, "bad MTU");
	T_STREQ(str(&e), "tap:vm0: bad MTU");

	/* No object: the caller names it. */
	vnet_err_set(&e, NULL, 0, "%s", "bad address");
	T_STREQ(e.obj, "");
	T_STREQ(str(&e), "bad address");
	vnet_err_set(&e, NULL, 7, "x");
	T_STREQ(str(&e), "line 7: x");

	vnet_err_clear(&e);
	T_STREQ(e.obj, "");
	T_EQ(e.line, 0);
	T_STREQ(e.msg, "");

	/* NULL is taken everywhere. */
	vnet_err_clear(NULL);
	vnet_err_set(NULL, "x", 1, "y");
	vnet_err_prefix(NULL, "z");
	T_EQ(vnet_err_sys(NULL, "x", EPERM), -EPERM);
}

static void test_sys(void)
{
	struct vnet_err e;

	T_EQ(vnet_err_sys(&e, "/nonexistent", ENOENT), -ENOENT);
	T_EQ(e.errnum, ENOENT);
	T_EQ(e.line, 0);
	T_STREQ(str(&e), "/nonexistent: No such file or directory");
	/* -errno is taken as well; 0 is EIO. */
	T_EQ(vnet_err_sys(&e, NULL, -EPERM), -EPERM);
	T_EQ(e.errnum, EPERM);
	T_STREQ(str(&e), "Operation not permitted");
	T_EQ(vnet_err_sys(&e, "x", 0), -EIO);
	T_EQ(e.errnum, EIO);
	/* A later set clears errnum and line. */
	vnet_err_set(&e, "f", 0, "m");
	T_EQ(e.errnum, 0);
}

static void test_prefix(void)
{
	struct vnet_err e;

	vnet_err_sys(&e, "tap:vm1", EPERM);
	vnet_err_prefix(&e, "open %s", "left");
	T_STREQ(e.obj, "open left tap:vm1");
	T_STREQ(str(&e), "open left tap:vm1: Operation not permitted");
	/* Without an object the prefix becomes it. */
	vnet_err_set(&e, NULL, 0, "bad port (expected 1-65535)");
	vnet_err_prefix(&e, "'%s'", "udp:198.18.0.1:0");
	T_STREQ(str(&e), "'udp:198.18.0.1:0': bad port (expected 1-65535)");
	/* An empty prefix changes nothing; the line stays. */
	vnet_err_set(&e, "f", 2, "m");
	vnet_err_prefix(&e, "%s", "");
	T_STREQ(str(&e), "f:2: m");
	vnet_err_prefix(&e, "include from");
	T_STREQ(str(&e), "include from f:2: m");
	/* An argument may come from e itself. */
	vnet_err_set(&e, "a", 0, "b");
	vnet_err_set(&e, e.obj, 0, "%s and %s", e.msg, e.obj);
	T_STREQ(str(&e), "a: b and a");
}

/* Texts are cut to fit, never overrun, and always terminated. */
/* The fix after the reason; nothing on an empty error. */
static void test_hint(void)
{
	struct vnet_err e;

	vnet_err_sys(&e, "tap:vm0", EPERM);
	T_EQ(vnet_err_cap(&e, -EPERM, "CAP_NET_ADMIN"), -EPERM);
	T_STREQ(str(&e), "tap:vm0: Operation not permitted: needs "
			 "CAP_NET_ADMIN (run as root or grant the capability)");
	vnet_err_sys(&e, "tap:vm0", ENOENT);
	vnet_err_cap(&e, ENOENT, "CAP_NET_ADMIN");
	T_STREQ(str(&e), "tap:vm0: No such file or directory");
	vnet_err_clear(&e);
	vnet_err_hint(&e, "more");
	T_ASSERT(!vnet_err_isset(&e));
	vnet_err_hint(NULL, "more");
	/* A link that is there and is no tap ("lo" is in every namespace);
	 * a name that is no link keeps the kernel's reason. */
	T_EQ(vnet_tap_err(&e, "tap:lo", "lo", -EINVAL), -EINVAL);
	T_STREQ(str(&e), "tap:lo: lo exists and is not a tap");
	T_EQ(e.errnum, EINVAL);
	vnet_tap_err(&e, "tap:lo", "lo", -EBUSY);
	T_STREQ(str(&e), "tap:lo: lo is a tap that another program holds");
	vnet_tap_err(&e, "tap:vnet-none0", "vnet-none0", -EINVAL);
	T_STREQ(str(&e), "tap:vnet-none0: Invalid argument");
	vnet_tap_err(&e, "tap:vm0", "vm0", -EPERM);
	T_STREQ(str(&e), "tap:vm0: Operation not permitted: needs "
			 "CAP_NET_ADMIN (run as root or grant the capability)");
}

static void test_cut(void)
{
	char big[2000], buf[VNET_ERR_STRLEN + 8], small[8];
	struct vnet_err e;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vnet_err_set(&e, big, 123, "%s", big);
	T_EQ(strlen(e.obj), VNET_ERR_OBJ - 1);
	T_EQ(strlen(e.msg), VNET_ERR_MSG - 1);
	vnet_err_prefix(&e, "%s", big);
	T_EQ(strlen(e.obj), VNET_ERR_OBJ - 1);
	memset(buf, 'x', sizeof(buf));
	vnet_err_str(&e, buf, sizeof(buf));
	T_ASSERT(strlen(buf) < VNET_ERR_STRLEN);
	memset(small, 'x', sizeof(small));
	vnet_err_set(&e, "file", 9, "message");
	T_ASSERT(vnet_err_str(&e, small, 5) == small);
	T_STREQ(small, "file");
	T_EQ(small[5], 'x');
}

/* vnet_port_open names the port in spec form. */
static void test_port_open(void)
{
	struct vnet_port_spec sp;
	struct vnet_port *p;
	struct vnet_err e;

	T_EQ(vnet_port_parse("pcap:/nonexistent/x.pcap", &sp, &e), 0);
	vnet_err_clear(&e);
	errno = 0;
	T_ASSERT(!vnet_port_open(&sp, 0, VNET_FMT_PCAP, &e));
	T_EQ(errno, ENOENT);
	T_EQ(e.errnum, ENOENT);
	T_STREQ(str(&e), "pcap:/nonexistent/x.pcap: No such file or directory");
	/* e may be NULL. */
	T_ASSERT(!vnet_port_open(&sp, 0, VNET_FMT_PCAP, NULL));
	/* The right-hand fds of a middle program, not open: a hint. */
	setenv("ALTERNATE_STDIN", "1000", 1);
	setenv("ALTERNATE_STDOUT", "1001", 1);
	T_EQ(vnet_port_parse("-", &sp, &e), 0);
	T_ASSERT(!vnet_port_open(&sp, VNET_PORT_RIGHT, VNET_FMT_PCAP, &e));
	T_EQ(e.errnum, EBADF);
	T_STREQ(str(&e), "fd:1000,1001: Bad file descriptor (run as a middle "
			 "member of vnet-pipe)");
	unsetenv("ALTERNATE_STDIN");
	unsetenv("ALTERNATE_STDOUT");
	/* A name in spec form on success too. */
	T_EQ(vnet_port_parse("pcap:/dev/null", &sp, &e), 0);
	p = vnet_port_open(&sp, VNET_PORT_NO_READ, VNET_FMT_PCAP, &e);
	T_ASSERT(p != NULL);
	if (p) {
		T_STREQ(vnet_port_name(p), "pcap:/dev/null");
		T_ASSERT(!vnet_err_isset(vnet_port_err(p)));
	}
	vnet_port_close(p);
}

static int no_frames(void *arg, struct vnet_mid *m, enum vnet_dir dir,
		     struct vnet_frame *f, unsigned n)
{
	(void)arg;
	(void)m;
	(void)dir;
	(void)f;
	(void)n;
	return 0;
}

/* The frame loop of a middle program returns its errors, naming the
 * side, and prints nothing. */
static void test_mid_errors(void)
{
	static const char junk[] = "hello, world\n";
	const struct vnet_mid_ops ops = { .frames = no_frames };
	struct vnet_mid_config c = { 0 };
	int in[2], null;
	char l[32], nul[32];
	struct vnet_mid *m;
	struct vnet_err e;

	T_ASSERT((null = open("/dev/null", O_RDWR)) >= 0);
	snprintf(nul, sizeof(nul), "fd:%d,%d", null, null);
	/* Open: the side and the spec. */
	c.left = "pcap:/nonexistent/x.pcap";
	c.right = nul;
	T_ASSERT(!vnet_mid_open(&c, &e));
	T_EQ(errno, ENOENT);
	T_STREQ(str(&e), "open left pcap:/nonexistent/x.pcap: No such file "
			 "or directory");
	c.left = nul;
	c.right = "tap:";
	T_ASSERT(!vnet_mid_open(&c, &e));
	T_EQ(errno, EINVAL);
	T_STREQ(str(&e), "--right 'tap:': bad tap name");

	/* Run: a corrupt stream on the left. */
	T_ASSERT(pipe(in) == 0);
	T_EQ(write(in[1], junk, sizeof(junk) - 1), (ssize_t)sizeof(junk) - 1);
	close(in[1]);
	snprintf(l, sizeof(l), "fd:%d,%d", in[0], null);
	c.left = l;
	c.sink = 1;
	c.right = NULL;
	m = vnet_mid_open(&c, &e);
	T_ASSERT(m != NULL);
	if (m) {
		T_ASSERT(!vnet_err_isset(vnet_mid_err(m)));
		T_EQ(vnet_mid_run(m, &ops, NULL), -EPROTO);
		T_EQ(vnet_mid_err(m)->errnum, EPROTO);
		T_ASSERT(strstr(str(vnet_mid_err(m)),
				"unrecognized stream format (first bytes "
				"68 65 6c 6c)") != NULL);
		T_ASSERT(!strncmp(str(vnet_mid_err(m)), "left ", 5));
		T_ASSERT(strstr(str(vnet_mid_err(m)), l) != NULL);
	}
	vnet_mid_close(m);
	close(in[0]);
	close(null);
}

int main(void)
{
	T_RUN(test_forms);
	T_RUN(test_sys);
	T_RUN(test_prefix);
	T_RUN(test_hint);
	T_RUN(test_cut);
	T_RUN(test_port_open);
	T_RUN(test_mid_errors);
	return T_DONE();
}
