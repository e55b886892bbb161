/* SPDX-License-Identifier: ISC */
/* acl-tool.h -- what the files of vnet-acl share. */
#ifndef VNET_ACL_TOOL_H
#define VNET_ACL_TOOL_H

#include "vnet-acl/acl.h"
#include "vnet-acl/policy.h"

/* --explain: run the stream in FILE (NULL or "-": standard input)
 * through a, one line per frame to standard output (TSV, or JSON lines
 * with json).  0, or 1 after logging a read or write error. */
int acl_explain(struct vnet_acl *a, const char *file, enum vnet_dir dir,
		int json);

#endif
