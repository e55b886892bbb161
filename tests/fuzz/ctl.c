/* SPDX-License-Identifier: ISC */
/* ctl.c -- libFuzzer harness for the control socket's request parser
 * (vnet_ctl_req_parse), the parser of the arguments of vnet-encap's
 * fabric commands (vnet_fdb_entry_parse, as fdb-add VNI MAC REMOTE,
 * fdb-del VNI MAC and flood-add/flood-del VNI REMOTE take them) and the
 * client's split of a reply.
 *
 * Input: the bytes of one request line (without its newline), which is
 * also split as a reply.  A parse that succeeds must leave a command of
 * lower-case letters, digits and '-', at most VNET_CTL_ARGS_MAX words
 * that hold no blank and are not options, and a failure a message; the
 * arguments parse into an entry of a VNI in range, or fail with a
 * message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vnet/ctl.h"
#include "vnet/fdb.h"

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

/* The columns as a fabric command gives them to the FDB's parser. */
static void check_entry(const char *vni, const char *mac, const char *remote)
{
	struct vnet_fdb_entry e;
	struct vnet_err err;
	int r;

	vnet_err_clear(&err);
	r = vnet_fdb_entry_parse(&e, vni, mac, remote, NULL, 0, &err);
	if (r == 0) {
		check(e.vni <= VNET_VNI_MAX);
		check(!remote || e.remote.family == AF_INET ||
		      e.remote.family == AF_INET6);
		check(!vnet_err_isset(&err));
	} else {
		check(r == -EINVAL);
		check(vnet_err_isset(&err) && err.line == 0);
		check(!strchr(err.msg, '\n'));
	}
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
		if (rq.argc == 3)
			check_entry(rq.argv[0], rq.argv[1], rq.argv[2]);
		if (rq.argc == 2) {
			check_entry(rq.argv[0], rq.argv[1], NULL);
			check_entry(rq.argv[0], NULL, rq.argv[1]);
		}
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
