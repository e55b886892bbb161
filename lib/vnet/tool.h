/* SPDX-License-Identifier: ISC */
/* tool.h -- front-end helpers for main(): option values and usage errors.
 *
 * The exception to "lib/ never prints or exits", like log.h: these are for
 * option parsing in main() only, and exit 2 (usage or configuration error)
 * with a message that quotes the rejected value.
 */
#ifndef VNET_TOOL_H
#define VNET_TOOL_H

#include <stdint.h>

/* Printed after a usage error; opt.h's vnet_opt_begin() sets it. */
void vnet_tool_set_usage(const char *usage);
/* "PROG: MESSAGE", the usage, exit 2. */
void vnet_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* "PROG: MESSAGE", exit 2 (configuration errors, no usage). */
void vnet_config_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
/* The value of option `opt` as a number in [min, max], or exit 2. */
uint64_t vnet_opt_u64(const char *opt, const char *arg, uint64_t min,
		      uint64_t max);
/* A duration ("30", "30s", "500ms", "5m"), in ns, or exit 2. */
uint64_t vnet_opt_duration(const char *opt, const char *arg);

/* Open the control socket of c into *out (ctl.h) and say how it went,
 * once: an error is logged ("control socket ...") and gives -1; a default
 * socket that may not be made is a note at info level and gives 0 with
 * *out NULL; otherwise 0. */
struct vnet_ctl;
struct vnet_ctl_config;
int vnet_tool_ctl_open(const struct vnet_ctl_config *c,
		       struct vnet_ctl **out);

/* --describe (vnet(7) MTU BUDGET): print the answer of cmds' describe
 * command as JSON on stdout (vnet_ctl_describe_print); the exit status:
 * 0, or 1 after logging why it failed. */
struct vnet_ctl_cmd;
int vnet_tool_describe(const char *program, const struct vnet_ctl_cmd *cmds,
		       void *arg);

#define VNET_VERSION "0.1.0"

#endif
