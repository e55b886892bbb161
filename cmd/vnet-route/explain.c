/* SPDX-License-Identifier: ISC */
/* explain.c -- vnet-route --explain: a capture through the router, one
 * line per frame with its fate, the reason and the route. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vnet-route/explain.h"
#include "vnet/clock.h"
#include "vnet/log.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"
#include "vnet/stream.h"

static const char *const act_name[] = {
	[ROUTE_PASS] = "pass", [ROUTE_DONE] = "done", [ROUTE_DROP] = "drop",
};

static void line(FILE *f, unsigned long long no, enum vnet_dir dir,
		 const struct vnet_frame *fr, enum route_act act,
		 const struct route_verdict *v, int json, int access_vid)
{
	char sa[VNET_ADDRSTRLEN] = "-", da[VNET_ADDRSTRLEN] = "-", sn[16] = "-";
	const char *proto = "ether";
	struct vnet_pkt p;
	uint16_t seg;

	if (vnet_segment_ok(vnet_segment_of(fr->data, fr->len, &seg, NULL)))
		snprintf(sn, sizeof(sn), "%u", seg);
	if (access_vid >= 0 && dir == VNET_EGRESS)
		snprintf(sn, sizeof(sn), "%d", access_vid);
	if (vnet_pkt_parse(fr->data, fr->len, &p) == 0) {
		if (p.layers & (VNET_L_IPV4 | VNET_L_IPV6 | VNET_L_ARP)) {
			vnet_addr_fmt(&p.saddr, sa);
			vnet_addr_fmt(&p.daddr, da);
		} else {
			vnet_mac_fmt(p.src, sa);
			vnet_mac_fmt(p.dst, da);
		}
		if (p.layers & VNET_L_ARP)
			proto = "arp";
		else if (p.layers & VNET_L_TCP)
			proto = "tcp";
		else if (p.layers & VNET_L_UDP)
			proto = "udp";
		else if (p.layers & VNET_L_ICMP)
			proto = p.layers & VNET_L_IPV4 ? "icmp" : "icmp6";
		else if (p.layers & VNET_L_IPV4)
			proto = "ip";
		else if (p.layers & VNET_L_IPV6)
			proto = "ip6";
	}
	if (!json) {
		fprintf(f, "%llu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", no,
			vnet_dir_name(dir), sn, proto, sa, da, act_name[act],
			v->why, v->route);
		return;
	}
	/* Only fixed words and addresses: nothing to escape. */
	fprintf(f, "{\"frame\":%llu,\"dir\":\"%s\",\"segment\":%s,"
		"\"proto\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\","
		"\"action\":\"%s\",\"reason\":\"%s\",\"route\":",
		no, vnet_dir_name(dir), strcmp(sn, "-") ? sn : "null", proto,
		sa, da, act_name[act], v->why);
	if (strcmp(v->route, "-"))
		fprintf(f, "\"%s\"}\n", v->route);
	else
		fputs("null}\n", f);
}

int route_explain(struct route_router *r, const char *file, enum vnet_dir dir,
		  int json, int access_vid)
{
	const char *name = file && strcmp(file, "-") ? file : "stdin";
	unsigned long long no = 0;
	struct vnet_sr *sr = NULL;
	struct vnet_frame fr;
	int fd = 0, n, ret = 1, eof = 0;

	if (file && strcmp(file, "-") &&
	    (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		vnet_log(VNET_LOG_ERR, "%s: %s", file, strerror(errno));
		return 1;
	}
	if (!(sr = vnet_sr_new(fd, 0))) {
		vnet_log(VNET_LOG_ERR, "%s: %s", name, strerror(errno));
		goto out;
	}
	for (;;) {
		while ((n = vnet_sr_next(sr, &fr)) == 1) {
			struct route_verdict v;
			enum route_act act;

			vnet_clock_observe(fr.ts_ns);
			route_router_tick(r, vnet_clock_now());
			act = route_router_frame(r, dir, fr.data, fr.len,
						 vnet_clock_now(), &v);
			line(stdout, ++no, dir, &fr, act, &v, json, access_vid);
		}
		if (n < 0) {
			vnet_log_err(vnet_sr_err(sr), "%s", name);
			goto out;
		}
		if (eof || vnet_sr_eof(sr))
			break;
		n = vnet_sr_fill(sr);
		if (n == -EINTR || n == -EAGAIN)
			continue;
		if (n < 0) {
			vnet_log(VNET_LOG_ERR, "read %s: %s", name,
				 strerror(-n));
			goto out;
		}
		if (n == 0)
			eof = 1;
	}
	ret = 0;
out:
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		ret = 1;
	}
	vnet_sr_free(sr);
	if (fd > 0)
		close(fd);
	return ret;
}
