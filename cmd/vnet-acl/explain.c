/* SPDX-License-Identifier: ISC */
/* explain.c -- vnet-acl --explain: a capture through the engine, one
 * verdict line per frame. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vnet/clock.h"
#include "vnet/log.h"
#include "vnet/pkt.h"
#include "vnet/segment.h"
#include "vnet/stream.h"
#include "acl-tool.h"

/* A JSON string, quoted and escaped (RFC 8259 7). */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* proto, src, dst, sport and dport of the JSON form. */
static void json_fields(FILE *f, const struct vnet_pkt *p, int parsed)
{
	char sa[VNET_ADDRSTRLEN], da[VNET_ADDRSTRLEN], num[8];
	const char *proto;
	int ip = parsed && (p->layers & (VNET_L_IPV4 | VNET_L_IPV6));

	if (!parsed)
		proto = "ether";
	else if (p->layers & VNET_L_TCP)
		proto = "tcp";
	else if (p->layers & VNET_L_UDP)
		proto = "udp";
	else if (p->layers & VNET_L_SCTP)
		proto = "sctp";
	else if (p->layers & VNET_L_ICMP)
		proto = p->layers & VNET_L_IPV4 ? "icmp" : "icmp6";
	else if (ip) {
		snprintf(num, sizeof(num), "%u", p->ip_proto);
		proto = num;
	} else if (p->layers & VNET_L_ARP)
		proto = "arp";
	else
		proto = "ether";
	fputs("\"proto\":", f);
	json_str(f, proto);
	if (ip || (parsed && (p->layers & VNET_L_ARP))) {
		vnet_addr_fmt(&p->saddr, sa);
		vnet_addr_fmt(&p->daddr, da);
	} else if (parsed) {
		vnet_mac_fmt(p->src, sa);
		vnet_mac_fmt(p->dst, da);
	} else {
		sa[0] = da[0] = '\0';
	}
	fputs(",\"src\":", f);
	json_str(f, sa);
	fputs(",\"dst\":", f);
	json_str(f, da);
	if (parsed && (p->layers & (VNET_L_TCP | VNET_L_UDP | VNET_L_SCTP)))
		fprintf(f, ",\"sport\":%u,\"dport\":%u", p->sport, p->dport);
	else
		fputs(",\"sport\":null,\"dport\":null", f);
}

static void line(FILE *f, unsigned long long no, enum vnet_dir dir,
		 const struct vnet_frame *fr, int act, const char *why,
		 const struct vnet_rule *r, int json)
{
	char sum[256], rn[300], sn[8] = "-";
	struct vnet_pkt p;
	int parsed = vnet_pkt_parse(fr->data, fr->len, &p) == 0;
	uint16_t seg;

	/* The engine's rule (segment.h): "-" / null for no segment. */
	if (vnet_segment_ok(vnet_segment_of(fr->data, fr->len, &seg, NULL)))
		snprintf(sn, sizeof(sn), "%u", seg);
	if (r)
		vnet_acl_rule_name(r, rn, sizeof(rn));
	if (!json) {
		fprintf(f, "%llu\t%s\t%s\t%s\t%s\t%s\t%s\n", no,
			vnet_dir_name(dir), sn,
			vnet_acl_summary(fr->data, fr->len, sum, sizeof(sum)),
			vnet_policy_act_name((enum vnet_act)act), why,
			r ? rn : "-");
		return;
	}
	fprintf(f, "{\"frame\":%llu,\"dir\":\"%s\",\"segment\":%s,", no,
		vnet_dir_name(dir), strcmp(sn, "-") ? sn : "null");
	json_fields(f, &p, parsed);
	fprintf(f, ",\"verdict\":\"%s\",\"reason\":\"%s\",\"rule\":",
		vnet_policy_act_name((enum vnet_act)act), why);
	if (r) {
		json_str(f, rn);
		fputs(",\"rule_text\":", f);
		json_str(f, r->text ? r->text : "");
	} else {
		fputs("null,\"rule_text\":null", f);
	}
	fputs("}\n", f);
}

int acl_explain(struct vnet_acl *a, const char *file, enum vnet_dir dir,
		int json)
{
	const char *name = file && strcmp(file, "-") ? file : "stdin";
	const struct vnet_sr_stats *st;
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
			const struct vnet_rule *r;
			const char *why;
			int act;

			vnet_clock_observe(fr.ts_ns);
			act = vnet_acl_frame(a, dir, fr.data, fr.len,
					     vnet_clock_now(), &r, &why, NULL,
					     NULL);
			line(stdout, ++no, dir, &fr, act, why, r, json);
			vnet_acl_tick(a, vnet_clock_now());
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
			vnet_log(VNET_LOG_ERR, "read %s: %s", name, strerror(-n));
			goto out;
		}
		if (n == 0)
			eof = 1;
	}
	ret = 0;
out:
	if (sr) {
		st = vnet_sr_stats(sr);
		vnet_acl_set_stream_stats(a, &st, 1);
	}
	if (fflush(stdout) || ferror(stdout)) {
		vnet_log(VNET_LOG_ERR, "write stdout: %s", strerror(errno));
		ret = 1;
	}
	vnet_sr_free(sr);
	if (fd > 0)
		close(fd);
	return ret;
}
