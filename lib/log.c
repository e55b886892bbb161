/* SPDX-License-Identifier: ISC */
/* log.c -- stderr diagnostics with a program prefix and a rate limiter. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vnet/log.h"
#include "vnet/loop.h"

static const char *log_prog = "vnet";
static int log_level = VNET_LOG_WARN;
static int status_shown; /* a status line is on stderr's last line */

void vnet_log_init(const char *prog, int level)
{
	log_prog = prog;
	log_level = level;
}

int vnet_log_level(void)
{
	return log_level;
}

const char *vnet_log_prog(void)
{
	return log_prog;
}

static void vlog(const char *fmt, va_list ap, uint64_t suppressed)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	vnet_log_status(NULL);
	if (suppressed)
		fprintf(stderr, "%s: %s (%llu similar messages suppressed)\n",
			log_prog, line, (unsigned long long)suppressed);
	else
		fprintf(stderr, "%s: %s\n", log_prog, line);
}

void vnet_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap, 0);
	va_end(ap);
}

void vnet_log_err(const struct vnet_err *e, const char *fmt, ...)
{
	char ctx[VNET_ERR_OBJ], buf[VNET_ERR_STRLEN];
	struct vnet_err c;
	va_list ap;

	if (VNET_LOG_ERR > log_level)
		return;
	if (e)
		c = *e;
	else
		vnet_err_clear(&c);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(ctx, sizeof(ctx), fmt, ap);
		va_end(ap);
		vnet_err_prefix(&c, "%s", ctx);
	}
	vnet_log(VNET_LOG_ERR, "%s", vnet_err_str(&c, buf, sizeof(buf)));
}

void vnet_log_status(const char *line)
{
	if (line) {
		fprintf(stderr, "\r%s: %s\033[K", log_prog, line);
		status_shown = 1;
	} else if (status_shown) {
		fputs("\r\033[K", stderr);
		status_shown = 0;
	}
}

int vnet_log_status_wanted(int want, int is_long)
{
	if (want >= 0)
		return want > 0;
	return is_long && isatty(STDERR_FILENO);
}

int vnet_log_is_file(int fd)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether rl lets a line through now (a token taken), counting the
 * ones it holds back. */
static int rl_take(struct vnet_ratelimit *rl, uint64_t now_ns)
{
	if (rl->last_ns && now_ns > rl->last_ns) {
		rl->tokens += (double)(now_ns - rl->last_ns) * rl->per_sec / 1e9;
		if (rl->tokens > rl->burst)
			rl->tokens = rl->burst;
	}
	rl->last_ns = now_ns;
	if (rl->tokens < 1.0) {
		rl->suppressed++;
		return 0;
	}
	rl->tokens -= 1.0;
	return 1;
}

int vnet_ratelimit_take(struct vnet_ratelimit *rl, uint64_t now_ns)
{
	return rl_take(rl, now_ns);
}

void vnet_log_first(struct vnet_ratelimit *rl, uint8_t *said,
		    uint64_t now_ns, const char *fmt, ...)
{
	va_list ap;
	uint64_t held = 0;

	if (!*said) {
		*said = 1;
		if (VNET_LOG_WARN > log_level)
			return;
	} else {
		if (VNET_LOG_INFO > log_level || !rl_take(rl, now_ns))
			return;
		held = rl->suppressed;
		rl->suppressed = 0;
	}
	va_start(ap, fmt);
	vlog(fmt, ap, held);
	va_end(ap);
}

void vnet_log_rl(struct vnet_ratelimit *rl, uint64_t now_ns, int level,
		 const char *fmt, ...)
{
	va_list ap;
	uint64_t held;

	if (level > log_level)
		return;
	if (!rl_take(rl, now_ns))
		return;
	held = rl->suppressed;
	rl->suppressed = 0;
	va_start(ap, fmt);
	vlog(fmt, ap, held);
	va_end(ap);
}

void vnet_log_loop(const struct vnet_loop *l, int r)
{
	const struct vnet_err *note;
	char buf[VNET_ERR_STRLEN];
	int warn;

	note = vnet_loop_note(l, &warn);
	if (vnet_err_isset(note))
		vnet_log(warn ? VNET_LOG_WARN : VNET_LOG_INFO, "%s",
			 vnet_err_str(note, buf, sizeof(buf)));
	if (r < 0 && vnet_err_isset(vnet_loop_err(l)))
		vnet_log_err(vnet_loop_err(l), NULL);
}
