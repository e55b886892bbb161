/* SPDX-License-Identifier: ISC */
/* log.h -- diagnostics for the tools: the one lib module that prints.
 *
 * Every line goes to stderr as "PROG: message".  Other lib modules never
 * print; they return -errno (and fill a struct vnet_err, err.h, where
 * there is more to say) and the tool reports once, here.
 */
#ifndef VNET_LOG_H
#define VNET_LOG_H

#include <stdint.h>

#include "vnet/err.h"

enum { VNET_LOG_ERR, VNET_LOG_WARN, VNET_LOG_INFO, VNET_LOG_DEBUG };
/* News an operator wants without -v (a reload done): printed at the
 * default level, as warnings are (a line has no level word). */
#define VNET_LOG_NOTICE VNET_LOG_WARN

/* Set the program name and the level up to which messages are printed
 * (VNET_LOG_WARN by default; each -v raises it by one). */
void vnet_log_init(const char *prog, int level);
int vnet_log_level(void);
const char *vnet_log_prog(void);
void vnet_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An error (err.h) at VNET_LOG_ERR, formatted by vnet_err_str(), its
 * object named in the context fmt gives (NULL: none):
 * vnet_log_err(&e, "open inner") prints "PROG: open inner tap:vm0:
 * Operation not permitted". */
void vnet_log_err(const struct vnet_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* How run r of loop l ended, once: its note (an output closed by its
 * reader, info; frames left unwritten at a stop, warning) and, when r < 0,
 * the loop's error (loop.h).  A callback's error is not repeated. */
struct vnet_loop;
void vnet_log_loop(const struct vnet_loop *l, int r);

/* The status line of a long run (progress.h) on stderr: line is drawn
 * over the one shown ("\r", the line, erase to the end), NULL erases it.
 * Every other message here erases it first, so a warning never shares
 * its line; the next redraw brings it back. */
void vnet_log_status(const char *line);
/* Whether a status line is wanted: want > 0 (--progress) yes, want == 0
 * (--no-progress) no, want < 0 (the default) when stderr is a terminal
 * and long (the program reads a regular file or a live capture). */
int vnet_log_status_wanted(int want, int is_long);
/* Whether descriptor fd is a regular file (a replay, not a pipe). */
int vnet_log_is_file(int fd);

/* A token bucket for messages that input can trigger (drops, bad frames):
 * at most `burst` lines at once and `per_sec` a second after that.  The
 * number of lines held back is printed with the next line let through. */
struct vnet_ratelimit {
	unsigned per_sec, burst;
	double tokens;
	uint64_t last_ns;
	uint64_t suppressed;
};
#define VNET_RATELIMIT_INIT(rate, b) { .per_sec = (rate), .burst = (b), .tokens = (b) }
/* A token bucket of per_sec tokens a second, burst at most: 1 and a
 * token taken when one is there at now_ns, else 0 and suppressed
 * counted.  (The limit of vnet_log_rl, for what is not a log line: the
 * ICMP replies of vnet-encap --pmtu-reply.) */
int vnet_ratelimit_take(struct vnet_ratelimit *rl, uint64_t now_ns);
void vnet_log_rl(struct vnet_ratelimit *rl, uint64_t now_ns, int level,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A message about a drop that a misconfiguration explains ("VNI 5001 is
 * not configured here: add --vni/--map ..."): said at the default level
 * once, then only with -v.  While *said is 0 the line is printed at
 * VNET_LOG_WARN, whatever rl holds, and *said becomes 1; after that it
 * goes through rl at VNET_LOG_INFO.  said is the caller's flag of the
 * kind of drop (one per counter, or per segment). */
void vnet_log_first(struct vnet_ratelimit *rl, uint8_t *said,
		    uint64_t now_ns, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
