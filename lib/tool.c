/* SPDX-License-Identifier: ISC */
/* tool.c -- option values and usage errors for main(). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/ctl.h"
#include "vnet/log.h"
#include "vnet/num.h"
#include "vnet/tool.h"

static const char *tool_usage;

void vnet_tool_set_usage(const char *usage)
{
	tool_usage = usage;
}

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", vnet_log_prog());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void vnet_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	if (tool_usage)
		fputs(tool_usage, stderr);
	exit(2);
}

void vnet_config_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(2);
}

uint64_t vnet_opt_u64(const char *opt, const char *arg, uint64_t min,
		      uint64_t max)
{
	uint64_t v;
	int r = vnet_parse_u64(arg, min, max, &v);

	if (r == -ERANGE)
		vnet_usage_error("%s: '%s' is out of range (%llu-%llu)", opt,
				 arg, (unsigned long long)min,
				 (unsigned long long)max);
	if (r)
		vnet_usage_error("%s: '%s' is not a number", opt, arg);
	return v;
}

uint64_t vnet_opt_duration(const char *opt, const char *arg)
{
	uint64_t ns;

	if (vnet_parse_duration(arg, &ns))
		vnet_usage_error("%s: '%s' is not a duration (e.g. 300, 30s, "
				 "500ms, 5m)", opt, arg);
	return ns;
}

int vnet_tool_ctl_open(const struct vnet_ctl_config *c, struct vnet_ctl **out)
{
	char buf[VNET_ERR_STRLEN];
	struct vnet_err err;
	int r;

	if ((r = vnet_ctl_open(c, out, &err)) < 0) {
		vnet_log_err(&err, "control socket");
		return -1;
	}
	if (r > 0)
		vnet_log(VNET_LOG_INFO, "no control socket: %s",
			 vnet_err_str(&err, buf, sizeof(buf)));
	return 0;
}

int vnet_tool_describe(const char *program, const struct vnet_ctl_cmd *cmds,
		       void *arg)
{
	int r;

	if ((r = vnet_ctl_describe_print(program, cmds, arg, stdout)) < 0) {
		vnet_log(VNET_LOG_ERR, "--describe: %s", strerror(-r));
		return 1;
	}
	return 0;
}
