/* Option values shared by every CLI command: strict, locale-independent. */
#ifndef ND_CLI_ARGS_H
#define ND_CLI_ARGS_H

#include "neardup.h"

/* An unsigned decimal (or 0x-prefixed hexadecimal) number <= max, nothing
 * else around it. @return 0, or -1 (*out untouched). */
int cli_arg_uint(const char *s, unsigned long long max, unsigned long long *out);

/* A non-negative decimal like "0.75" or "1", read by hand: strtod obeys
 * LC_NUMERIC, and the CLI's numbers must not. @return 0 or -1. */
int cli_arg_double(const char *s, double *out);

/* "auto", "lines" or "blocks". @return 0 or -1. */
int cli_arg_seg_mode(const char *s, nd_seg_mode *out);

#endif
