/* SPDX-License-Identifier: ISC */
/* ctl.c -- libFuzzer harness for the control socket's request parser
 * (vnet_ctl_req_parse) and the client's split of a reply.
 *
 * Input: the bytes of one request line (without its newline), which is
 * also split as a reply.  A parse that succeeds must leave a command of
 * lower-case letters, digits and '-', at most VNET_CTL_ARGS_MAX words
 * that hold no blank and are not options, and a failure a message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_word(const char *w)
{
	check(*w != '\0');
	check(!strchr(w, ' ') && !strchr(w, '\t'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vnet_ctl_req rq;
	struct vnet_err e;
	char *copy, *status, *body;
	unsigned i;
	int r;

	vnet_err_clear(&e);
	r = vnet_ctl_req_parse(&rq, (const char *)data, size, &e);
	if (r == 0) {
		check(rq.cmd != NULL);
		check_word(rq.cmd);
		check(strspn(rq.cmd, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
		      strlen(rq.cmd));
		check(rq.argc <= VNET_CTL_ARGS_MAX);
		for (i = 0; i < rq.argc; i++) {
			check_word(rq.argv[i]);
			check(strncmp(rq.argv[i], "--", 2) != 0);
		}
		check(size <= VNET_CTL_REQ_MAX + 1);
	} else {
		check(r == -EINVAL);
		check(vnet_err_isset(&e));
	}
	if (!(copy = malloc(size + 1)))
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	r = vnet_ctl_split(copy, &status, &body);
	check(status == copy && !strchr(status, '\n'));
	check(r == (!strcmp(status, "ok") || !strncmp(status, "ok ", 3)));
	free(copy);
	return 0;
}
