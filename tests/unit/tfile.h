/* SPDX-License-Identifier: ISC */
/* tfile.h -- what a unit test reads back from a file it made. */
#ifndef VNET_TFILE_H
#define VNET_TFILE_H

#include <stddef.h>
#include <stdio.h>

/* The file at path into buf (n > 0 bytes, NUL-ended, cut to n - 1): its
 * length, or -1 when it cannot be opened. */
static inline long get_file(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t k;

	if (!f)
		return -1;
	k = fread(buf, 1, n - 1, f);
	buf[k] = '\0';
	fclose(f);
	return (long)k;
}

#endif
