/* SPDX-License-Identifier: ISC */
/* test_dhcp_client.c -- vnet-route's DHCP responder against a real client.
 *
 *   busybox udhcpc -- tap vndhcp0 -- this test: route_dhcp_answer() for
 *   (02:00:5e:10:00:aa)               segment 5, 198.19.5.0/24, gateway
 *                                     198.19.5.1 at 02:00:5e:00:05:01
 *
 * The test unshares a network namespace first, so the tap dies with the
 * process.  It reads the client's frames from the tap, answers those to
 * UDP port 67 with the engine, as vnet-route does, and writes the replies
 * back.  The client's script records what it was given:
 *  - first from the pool: the lowest address, with router, DNS, domain,
 *    lease time and MTU, and the host name the client sent in the dump;
 *  - then, with a static lease for its MAC loaded and the BROADCAST flag
 *    asked for (-B), the static address and its host name.
 * Without root, unshare, /dev/net/tun or busybox it skips;
 * VNET_TEST_STRICT=1 turns the skip into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tfile.h"
#include "vnet-route/dhcp.h"
#include "vnet/pkt.h"
#include "vnet/tap.h"

#define TAP "vndhcp0"
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static const uint8_t client_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0xaa};

static const struct route_dhcp_seg seg = {
	.vid = 5,
	.subnet = IP(198, 19, 5, 0),
	.mask = 0xffffff00,
	.gw = IP(198, 19, 5, 1),
	.gw_mac = {0x02, 0x00, 0x5e, 0x00, 0x05, 0x01},
	.pool_lo = IP(198, 19, 5, 10),
	.pool_hi = IP(198, 19, 5, 99),
	.dns = {IP(198, 19, 5, 53)},
	.ndns = 1,
	.lease_s = 3600,
	.domain = "lab.test",
	.mtu = 1450,
};

static char dir[64], script[128], result[128];
static int tapfd = -1;

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Run udhcpc with the extra argument (NULL: none) and answer it until it
 * exits (at most 20 s).  Its exit status, or -1. */
static int run_client(struct route_dhcp *d, const char *extra)
{
	static uint8_t buf[2048], out[ROUTE_DHCP_REPLY_MAX];
	struct pollfd pfd = {.fd = tapfd, .events = POLLIN};
	long end = now_ms() + 20000;
	int status = -1, answered = 0;
	struct vnet_pkt p;
	ssize_t n;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		/* -n: exit if no lease; -q: exit after one; -f: foreground;
		 * 4 DISCOVERs a second apart. */
		execlp("busybox", "busybox", "udhcpc", "-i", TAP, "-n", "-q",
		       "-f", "-t", "4", "-T", "1", "-s", script, "-x",
		       "hostname:vm7", extra, (char *)NULL);
		_exit(127);
	}
	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pid = -1;
			break;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(tapfd, buf, sizeof(buf));
		if (n <= 0 || vnet_pkt_parse(buf, (size_t)n, &p) ||
		    !(p.layers & VNET_L_UDP) || p.dport != 67)
			continue;
		n = route_dhcp_answer(d, &seg, buf, (size_t)n, out,
				      sizeof(out), now_ns());
		if (n > 0 && write(tapfd, out, (size_t)n) == n)
			answered++;
	}
	if (pid > 0) {
		T_FAIL("udhcpc still running after 20 s");
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		return -1;
	}
	printf("# %d replies written\n", answered);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *dump(struct route_dhcp *d)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	buf[0] = '\0';
	if (f) {
		T_EQ(route_dhcp_dump(d, f, now_ns()), 0);
		fclose(f);
	}
	return buf;
}

static void test_pool_address(void)
{
	struct route_dhcp *d = route_dhcp_new(16, NULL);
	char got[1024];

	T_ASSERT(d != NULL);
	T_ASSERT(tapfd >= 0);
	if (!d || tapfd < 0)
		goto out;
	T_EQ(run_client(d, NULL), 0);
	T_ASSERT(get_file(result, got, sizeof(got)) > 0);
	printf("# udhcpc: %s", got);
	T_STREQ(got, "bound ip=198.19.5.10 mask=24 router=198.19.5.1 "
		     "dns=198.19.5.53 domain=lab.test lease=3600 mtu=1450 "
		     "hostname= serverid=198.19.5.1\n");
	T_ASSERT(strstr(dump(d), "5\t02:00:5e:10:00:aa\t198.19.5.10\t") ==
		 dump(d));
	T_ASSERT(strstr(dump(d), "\tvm7\n") != NULL);
	T_EQ(route_dhcp_counters(d, &(size_t){0})[ROUTE_DHCP_C_ACK].value, 1);
out:
	unlink(result);
	route_dhcp_free(d);
}

static void test_static_address(void)
{
	struct route_dhcp *d = route_dhcp_new(16, NULL);
	char got[1024], path[128];
	FILE *f;

	T_ASSERT(d != NULL);
	T_ASSERT(tapfd >= 0);
	if (!d || tapfd < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/leases", dir);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	if (!f)
		goto out;
	fputs("5 02:00:5e:10:00:aa 198.19.5.77 web1\n", f);
	fclose(f);
	T_EQ(route_dhcp_load(d, path, NULL), 0);
	unlink(path);
	T_EQ(run_client(d, "-B"), 0);
	T_ASSERT(get_file(result, got, sizeof(got)) > 0);
	printf("# udhcpc: %s", got);
	T_STREQ(got, "bound ip=198.19.5.77 mask=24 router=198.19.5.1 "
		     "dns=198.19.5.53 domain=lab.test lease=3600 mtu=1450 "
		     "hostname=web1 serverid=198.19.5.1\n");
	T_STREQ(dump(d), "5\t02:00:5e:10:00:aa\t198.19.5.77\tstatic\tweb1\n");
out:
	unlink(result);
	route_dhcp_free(d);
}

static int skip(const char *why)
{
	return t_skip_all("dhcp_client", why);
}

/* Whether prog is an executable file on PATH. */
static int on_path(const char *prog)
{
	const char *p = getenv("PATH");
	char buf[512];

	while (p && *p) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog);
		if (!access(buf, X_OK))
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

int main(void)
{
	static char why[128];
	FILE *f;
	int r;

	if (geteuid() != 0)
		return skip("not root");
	if (!on_path("busybox"))
		return skip("busybox not installed (contrib/install-deps)");
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, sizeof(why), "unshare(CLONE_NEWNET): %s",
			 strerror(errno));
		return skip(why);
	}
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		snprintf(why, sizeof(why), "/dev/net/tun: %s", strerror(errno));
		return skip(why);
	}
	snprintf(dir, sizeof(dir), "/tmp/test_dhcp_client.XXXXXX");
	if (!mkdtemp(dir))
		return skip("mkdtemp failed");
	snprintf(script, sizeof(script), "%s/script", dir);
	snprintf(result, sizeof(result), "%s/result", dir);
	f = fopen(script, "w");
	if (f) {
		/* udhcpc's environment for the event in $1. */
		fprintf(f, "#!/bin/sh\n"
			   "[ \"$1\" = bound ] || exit 0\n"
			   "echo \"$1 ip=$ip mask=$mask router=$router "
			   "dns=$dns domain=$domain lease=$lease mtu=$mtu "
			   "hostname=$hostname serverid=$serverid\" >%s\n",
			result);
		fclose(f);
		chmod(script, 0755);
	}
	tapfd = vnet_tap_open(TAP);
	r = tapfd < 0 ? tapfd : vnet_link_setup(TAP, 0, client_mac, 1);
	T_RUN(test_pool_address);
	T_RUN(test_static_address);
	if (r < 0)
		printf("# tap %s: %s\n", TAP, strerror(-r));
	if (tapfd >= 0)
		close(tapfd);
	unlink(script);
	rmdir(dir);
	return T_DONE();
}
