/* SPDX-License-Identifier: ISC */
/* acl-tool.h -- what the files of vnet-acl share. */
#ifndef VNET_ACL_TOOL_H
#define VNET_ACL_TOOL_H

#include "vnet-acl/acl.h"
#include "vnet-acl/policy.h"

/* "FILE:LINE: msg", or "FILE: msg" for an error about the whole file;
 * returns buf. */
const char *acl_policy_error(const struct vnet_policy_error *e, char *buf,
			     size_t n);

/* --explain: run the stream in FILE (NULL or "-": standard input)
 * through a, one line per frame to standard output (TSV, or JSON lines
 * with json).  0, or 1 after logging a read or write error. */
int acl_explain(struct vnet_acl *a, const char *file, enum vnet_dir dir,
		int json);

#endif
