/* Option values shared by every CLI command: strict, locale-independent. */
#ifndef ND_CLI_ARGS_H
#define ND_CLI_ARGS_H

#include "neardup.h"
#include "input.h"

/* An unsigned decimal (or 0x-prefixed hexadecimal) number <= max, nothing
 * else around it. @return 0, or -1 (*out untouched). */
int cli_arg_uint(const char *s, unsigned long long max, unsigned long long *out);

/* A non-negative decimal like "0.75" or "1", read by hand: strtod obeys
 * LC_NUMERIC, and the CLI's numbers must not. @return 0 or -1. */
int cli_arg_double(const char *s, double *out);

/* "auto", "lines" or "blocks". @return 0 or -1. */
int cli_arg_seg_mode(const char *s, nd_seg_mode *out);

/* A date: seconds since 1970, or ISO 8601 ("2019-11-18", "2019-11-18T09:30Z";
 * nd_date_parse). @return 0 or -1. */
int cli_arg_date(const char *s, long long *out);

/* ---- options shared by every command that takes them -------------------- */

/* Which parameters a command takes: signature parameters (-w, -k, --seed,
 * --sig-bits, --paragraphs) and detection thresholds (--threshold,
 * --doc-threshold, --containment, --min-contained, --min-stories, --scope,
 * --bands, --rows). */
enum { CLI_OPT_SIG = 1, CLI_OPT_DET = 2 };

/* What cli_param_option set, one bit a field of nd_params. */
enum {
    CLI_SET_W = 1 << 0, CLI_SET_K = 1 << 1, CLI_SET_SEED = 1 << 2, CLI_SET_BITS = 1 << 3,
    CLI_SET_SEG = 1 << 4, CLI_SET_THR = 1 << 5, CLI_SET_DOCT = 1 << 6, CLI_SET_CONT = 1 << 7,
    CLI_SET_MINC = 1 << 8, CLI_SET_MINS = 1 << 9, CLI_SET_SCOPE = 1 << 10, CLI_SET_BANDS = 1 << 11,
    CLI_SET_ROWS = 1 << 12, CLI_SET_SCHEME = 1 << 13
};

/* A parameter option of the `groups` a command takes, into *p; the field's
 * CLI_SET_ bit is added to *set. @return 0, 1 not such an option, -1 bad value. */
int cli_param_option(nd_params *p, unsigned groups, const char *name, const char *value, unsigned *set);

/* An input option: --id-field, --text-field, --source-field, --url-field,
 * --date-field, --html-field, --source, --warc-id uri|record. @return 0, 1 not one of them, -1 no value. */
int cli_input_option(cli_input_opts *in, const char *name, const char *value);

#endif
