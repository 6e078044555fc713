/* Option values shared by every CLI command (see args.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"

int cli_arg_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s) return -1;
    int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const char *digits = hex ? s + 2 : s;
    if (!*digits || !(hex ? strchr("0123456789abcdefABCDEF", *digits) : strchr("0123456789", *digits)))
        return -1; /* no sign, space or empty number: strtoull would take them */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
    if (errno || *end || v > max) return -1;
    *out = v;
    return 0;
}

int cli_arg_double(const char *s, double *out)
{
    double v = 0.0, scale = 1.0;
    int digits = 0;
    if (!s) return -1;
    for (; *s >= '0' && *s <= '9'; s++, digits++) v = v * 10.0 + (*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits++) v += (*s - '0') * (scale /= 10.0);
    if (*s || !digits) return -1;
    *out = v;
    return 0;
}

int cli_arg_seg_mode(const char *s, nd_seg_mode *out)
{
    if (!s) return -1;
    if (!strcmp(s, "auto")) *out = ND_SEG_AUTO;
    else if (!strcmp(s, "lines")) *out = ND_SEG_LINES;
    else if (!strcmp(s, "blocks")) *out = ND_SEG_BLOCKS;
    else return -1;
    return 0;
}
