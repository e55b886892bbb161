/* SPDX-License-Identifier: ISC */
/* err.c -- the one error type of parsers and constructors (see err.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vnet/err.h"

void vnet_err_clear(struct vnet_err *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

void vnet_err_vset(struct vnet_err *e, const char *obj, unsigned line,
		   const char *fmt, va_list ap)
{
	char msg[VNET_ERR_MSG];

	if (!e)
		return;
	/* Format first: an argument may point into e itself. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (obj != e->obj)
		snprintf(e->obj, sizeof(e->obj), "%s", obj ? obj : "");
	memcpy(e->msg, msg, sizeof(e->msg));
	e->line = line;
	e->errnum = 0;
}

void vnet_err_set(struct vnet_err *e, const char *obj, unsigned line,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnet_err_vset(e, obj, line, fmt, ap);
	va_end(ap);
}

int vnet_err_sys(struct vnet_err *e, const char *obj, int errnum)
{
	if (errnum < 0)
		errnum = -errnum;
	if (!errnum)
		errnum = EIO;
	vnet_err_set(e, obj, 0, "%s", strerror(errnum));
	if (e)
		e->errnum = errnum;
	return -errnum;
}

void vnet_err_prefix(struct vnet_err *e, const char *fmt, ...)
{
	char pre[VNET_ERR_OBJ], obj[VNET_ERR_OBJ];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	if (!pre[0])
		return;
	/* Cut to fit, like every text here. */
	if (!e->obj[0])
		memcpy(obj, pre, sizeof(obj));
	else if (snprintf(obj, sizeof(obj), "%s %s", pre, e->obj) < 0)
		return;
	memcpy(e->obj, obj, sizeof(e->obj));
}

void vnet_err_hint(struct vnet_err *e, const char *fmt, ...)
{
	char hint[VNET_ERR_MSG], msg[VNET_ERR_MSG];
	va_list ap;

	if (!vnet_err_isset(e))
		return;
	va_start(ap, fmt);
	vsnprintf(hint, sizeof(hint), fmt, ap);
	va_end(ap);
	if (snprintf(msg, sizeof(msg), "%s: %s", e->msg, hint) < 0)
		return;
	memcpy(e->msg, msg, sizeof(e->msg));
}

int vnet_err_cap(struct vnet_err *e, int errnum, const char *cap)
{
	if (errnum == EPERM || errnum == -EPERM)
		vnet_err_hint(e, "needs %s (run as root or grant the "
			      "capability)", cap);
	return errnum;
}

int vnet_err_isset(const struct vnet_err *e)
{
	return e && e->msg[0];
}

const char *vnet_err_str(const struct vnet_err *e, char *buf, size_t n)
{
	const char *msg = vnet_err_isset(e) ? e->msg : "no error";

	if (!e || !e->obj[0]) {
		if (e && e->line)
			snprintf(buf, n, "line %u: %s", e->line, msg);
		else
			snprintf(buf, n, "%s", msg);
	} else if (e->line) {
		snprintf(buf, n, "%s:%u: %s", e->obj, e->line, msg);
	} else {
		snprintf(buf, n, "%s: %s", e->obj, msg);
	}
	return buf;
}
