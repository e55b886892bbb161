/* SPDX-License-Identifier: ISC */
/* err.h -- the one error type that parsers and constructors fill.
 *
 * A function that can say more than an errno takes a struct vnet_err *
 * (NULL: the caller does not want the text) and fills it on failure only;
 * it still returns 0 or -errno, and constructors NULL with errno set.  The
 * caller reports the error once, at the layer that gives up, through
 * vnet_err_str() (or log.h's vnet_log_err()), in the house form
 *
 *	FILE:LINE: what is wrong	obj and line set
 *	OBJECT: what is wrong		obj set, line 0
 *	what is wrong			no obj: the caller names the object
 *
 * Parsers quote the rejected value in obj or msg.  Nothing here prints.
 */
#ifndef VNET_ERR_H
#define VNET_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define VNET_ERR_OBJ 256
#define VNET_ERR_MSG 512
/* Room for anything vnet_err_str() writes. */
#define VNET_ERR_STRLEN (VNET_ERR_OBJ + VNET_ERR_MSG + 16)

struct vnet_err {
	char obj[VNET_ERR_OBJ]; /* the file or object the error is about:
				 * "t.policy", "tap:vm0", "left -"; "" none */
	unsigned line;		/* line in obj, from 1; 0: none */
	int errnum;		/* the errno value behind msg; 0: none */
	char msg[VNET_ERR_MSG]; /* what is wrong; "" while there is no error */
};

/* Empty e (takes NULL). */
void vnet_err_clear(struct vnet_err *e);
/* Fill e (takes NULL): obj (NULL: none), line (0: none), the message
 * from fmt; errnum 0.  Longer texts are cut. */
void vnet_err_set(struct vnet_err *e, const char *obj, unsigned line,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void vnet_err_vset(struct vnet_err *e, const char *obj, unsigned line,
		   const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* Fill e (takes NULL) with a system error: obj (NULL: none), no line,
 * errnum and strerror(errnum) as the message.  errnum may be given as
 * errno or as -errno (0 means EIO); returns -errno, so that a function
 * can end with `return vnet_err_sys(e, path, errno);`. */
int vnet_err_sys(struct vnet_err *e, const char *obj, int errnum);
/* Name the context of e (takes NULL): obj becomes "PREFIX OBJ", or
 * PREFIX when e had no obj ("left" + "tap:vm0" = "left tap:vm0"). */
void vnet_err_prefix(struct vnet_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Add the fix to e's message (takes NULL; nothing when e holds no
 * error): msg becomes "MSG: HINT", as in "Operation not permitted: needs
 * CAP_NET_ADMIN (run as root or grant the capability)". */
void vnet_err_hint(struct vnet_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The hint of a privilege that a step needed: "needs CAP (run as root or
 * grant the capability)", added to e when errnum is EPERM (or -EPERM);
 * cap is "CAP_NET_ADMIN", "CAP_NET_RAW".  Returns errnum. */
int vnet_err_cap(struct vnet_err *e, int errnum, const char *cap);
/* Whether e holds an error (false for NULL). */
int vnet_err_isset(const struct vnet_err *e);

/* The one formatter: e in the house form above into buf (n > 0 bytes,
 * cut to fit, always terminated); "no error" for an empty or NULL e.
 * Returns buf. */
const char *vnet_err_str(const struct vnet_err *e, char *buf, size_t n);

#endif
