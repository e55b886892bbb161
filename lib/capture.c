/* SPDX-License-Identifier: ISC */
/* capture.c -- live capture through libpcap (the only user of pcap.h). */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/capture.h"

#define SNAPLEN 65535
#define BUFSIZE_KERNEL (8 * 1024 * 1024)

struct vnet_capture {
	pcap_t *p;
	int fd;
	int nano;
	uint8_t *buf; /* VNET_CAPTURE_BATCH frames of SNAPLEN bytes */
	size_t used;
	struct vnet_frame *f;
	unsigned n, max;
	struct vnet_capture_stats st;
	struct vnet_err err; /* why the last read failed */
};

static void set_err(struct vnet_err *err, const char *ifname,
		    const char *what, const char *why)
{
	vnet_err_set(err, ifname, 0, "%s: %s", what, why);
}

struct vnet_capture *vnet_capture_open(const char *ifname, const char *bpf,
				       struct vnet_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct vnet_capture *c;
	int r, e = EINVAL;

	if (!(c = calloc(1, sizeof(*c))) ||
	    !(c->buf = malloc((size_t)VNET_CAPTURE_BATCH * SNAPLEN))) {
		free(c);
		vnet_err_sys(err, ifname, ENOMEM);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = -1;
	if (!(c->p = pcap_create(ifname, ebuf))) {
		set_err(err, ifname, "pcap_create", ebuf);
		e = ENODEV;
		goto fail;
	}
	pcap_set_snaplen(c->p, SNAPLEN);
	pcap_set_promisc(c->p, 1);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_buffer_size(c->p, BUFSIZE_KERNEL);
	c->nano = !pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);
	r = pcap_activate(c->p);
	if (r < 0) {
		set_err(err, ifname, "pcap_activate", pcap_geterr(c->p));
		if (r == PCAP_ERROR_PERM_DENIED)
			e = vnet_err_cap(err, EPERM, "CAP_NET_RAW");
		else if (r == PCAP_ERROR_NO_SUCH_DEVICE)
			e = ENODEV;
		goto fail;
	}
	if (c->nano &&
	    pcap_get_tstamp_precision(c->p) != PCAP_TSTAMP_PRECISION_NANO)
		c->nano = 0;
	if (pcap_datalink(c->p) != DLT_EN10MB) {
		set_err(err, ifname, "link type",
			"not Ethernet (only DLT_EN10MB interfaces)");
		e = EPROTONOSUPPORT;
		goto fail;
	}
	if (bpf) {
		if (pcap_compile(c->p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			set_err(err, ifname, "bpf", pcap_geterr(c->p));
			goto fail;
		}
		r = pcap_setfilter(c->p, &prog);
		pcap_freecode(&prog);
		if (r < 0) {
			set_err(err, ifname, "bpf", pcap_geterr(c->p));
			goto fail;
		}
	}
	if (pcap_setnonblock(c->p, 1, ebuf) < 0) {
		set_err(err, ifname, "pcap_setnonblock", ebuf);
		goto fail;
	}
	if ((c->fd = pcap_get_selectable_fd(c->p)) < 0) {
		set_err(err, ifname, "capture", "no selectable descriptor");
		goto fail;
	}
	return c;
fail:
	if (err)
		err->errnum = e;
	vnet_capture_close(c);
	errno = e;
	return NULL;
}

void vnet_capture_close(struct vnet_capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c->buf);
	free(c);
}

int vnet_capture_fd(const struct vnet_capture *c)
{
	return c->fd;
}

const struct vnet_err *vnet_capture_err(const struct vnet_capture *c)
{
	return &c->err;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
		      const u_char *data)
{
	struct vnet_capture *c = (struct vnet_capture *)user;
	struct vnet_frame *f;

	if (c->n >= c->max)
		return;
	if (h->caplen < h->len || h->caplen > SNAPLEN) {
		c->st.truncated++;
		return;
	}
	f = &c->f[c->n++];
	memcpy(c->buf + c->used, data, h->caplen);
	f->data = c->buf + c->used;
	f->len = f->wire_len = h->caplen;
	f->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		   (uint64_t)h->ts.tv_usec * (c->nano ? 1 : 1000);
	c->used += SNAPLEN;
	c->st.frames++;
}

int vnet_capture_read(struct vnet_capture *c, struct vnet_frame *f,
		      unsigned max)
{
	int r;

	c->f = f;
	c->n = 0;
	c->used = 0;
	c->max = max < VNET_CAPTURE_BATCH ? max : VNET_CAPTURE_BATCH;
	r = pcap_dispatch(c->p, (int)c->max, on_packet, (u_char *)c);
	if (r < 0) {
		vnet_err_set(&c->err, NULL, 0, "%s", pcap_geterr(c->p));
		c->err.errnum = EIO;
		return -EIO;
	}
	return (int)c->n;
}

const struct vnet_capture_stats *vnet_capture_stats(struct vnet_capture *c)
{
	struct pcap_stat ps;

	if (pcap_stats(c->p, &ps) == 0)
		c->st.dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	return &c->st;
}
