/* SPDX-License-Identifier: ISC */
/* num.h -- the one number parser: range and trailing garbage checked.
 *
 * All functions return 0, -EINVAL (not a number, empty, trailing garbage)
 * or -ERANGE (outside [min, max]); *out is written only on success.
 */
#ifndef VNET_NUM_H
#define VNET_NUM_H

#include <stdint.h>

/* Decimal only: a leading 0 is not octal, 0x is not hex (runbooks
 * write 010 and mean ten). */
int vnet_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "LO-HI" or a single "N" (LO == HI); LO <= HI is required. */
int vnet_parse_range(const char *s, uint64_t min, uint64_t max,
		     uint64_t *lo, uint64_t *hi);
/* A duration: "300" (seconds), "300s", "5m", "2h", "250ms"; in ns. */
int vnet_parse_duration(const char *s, uint64_t *ns);

#endif
