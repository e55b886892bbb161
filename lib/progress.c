/* SPDX-License-Identifier: ISC */
/* progress.c -- the live status line of a long run (progress.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnet/clock.h"
#include "vnet/progress.h"

struct vnet_progress {
	struct vnet_progress_config c;
	struct vnet_loop_timer *t;
	off_t size; /* of the input file, 0: unknown */
	uint64_t last_ns, last_frames;
	int drawn;
};

/* A count in at most 5 characters: 999, 12.3k, 4.56M. */
static void human(char *buf, size_t n, double v)
{
	if (v < 1000)
		snprintf(buf, n, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, n, "%.*fk", v < 1e4 ? 2 : v < 1e5 ? 1 : 0,
			 v / 1e3);
	else if (v < 1e9)
		snprintf(buf, n, "%.*fM", v < 1e7 ? 2 : v < 1e8 ? 1 : 0,
			 v / 1e6);
	else
		snprintf(buf, n, "%.1fG", v / 1e9);
}

int vnet_progress_fmt(char *buf, size_t n, uint64_t frames, double rate,
		      uint64_t drops, int pct)
{
	char r[16], p[8] = "";

	human(r, sizeof(r), rate < 0 ? 0 : rate);
	if (pct >= 0)
		snprintf(p, sizeof(p), ", %d%%", pct > 100 ? 100 : pct);
	return snprintf(buf, n, "%llu frames, %s/s, %llu drops%s",
			(unsigned long long)frames, r,
			(unsigned long long)drops, p);
}

/* How much of the input file the reader has taken, 0-100, or -1. */
static int percent(const struct vnet_progress *p)
{
	off_t pos;

	if (p->size <= 0 || (pos = lseek(p->c.fd, 0, SEEK_CUR)) < 0)
		return -1;
	return (int)(pos >= p->size ? 100 : (double)pos * 100 / p->size);
}

static int on_timer(void *arg, struct vnet_loop_timer *t, uint64_t now)
{
	struct vnet_progress *p = arg;
	struct vnet_progress_sample s = { 0 };
	char line[128];
	double rate = 0;

	p->c.sample(p->c.arg, &s);
	if (now > p->last_ns && s.frames >= p->last_frames)
		rate = (double)(s.frames - p->last_frames) * 1e9 /
		       (double)(now - p->last_ns);
	p->last_ns = now;
	p->last_frames = s.frames;
	vnet_progress_fmt(line, sizeof(line), s.frames, rate, s.drops,
			  percent(p));
	p->c.show(line);
	p->drawn = 1;
	vnet_loop_timer_set(t, now + VNET_PROGRESS_NS);
	return 0;
}

struct vnet_progress *vnet_progress_new(struct vnet_loop *l,
					const struct vnet_progress_config *c)
{
	struct vnet_progress *p;
	struct stat st;

	if (!c->sample || !c->show) {
		errno = EINVAL;
		return NULL;
	}
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	p->c = *c;
	if (c->fd >= 0 && fstat(c->fd, &st) == 0 && S_ISREG(st.st_mode))
		p->size = st.st_size;
	if (!(p->t = vnet_loop_timer_add(l, VNET_LOOP_WALL, on_timer, p))) {
		free(p);
		return NULL;
	}
	p->last_ns = vnet_clock_wall();
	vnet_loop_timer_set(p->t, p->last_ns + VNET_PROGRESS_NS);
	return p;
}

void vnet_progress_free(struct vnet_progress *p)
{
	if (!p)
		return;
	vnet_loop_timer_set(p->t, VNET_LOOP_OFF);
	if (p->drawn)
		p->c.show(NULL);
	free(p);
}
