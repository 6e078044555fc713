/* Option values shared by every CLI command (see args.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include <stdint.h>

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

int cli_arg_date(const char *s, long long *out)
{
    unsigned long long u;
    int64_t t;
    if (s && cli_arg_uint(s, (unsigned long long)1 << 62, &u) == 0) {
        *out = (long long)u;
        return 0;
    }
    if (!s || nd_date_parse(s, strlen(s), &t) != ND_OK) return -1;
    *out = (long long)t;
    return 0;
}

static int cli_set_unsigned(const char *v, unsigned *field, unsigned *set, unsigned bit)
{
    unsigned long long u;
    if (cli_arg_uint(v, 1000000, &u)) return -1;
    *field = (unsigned)u;
    *set |= bit;
    return 0;
}

static int cli_set_fraction(const char *v, double *field, unsigned *set, unsigned bit)
{
    if (cli_arg_double(v, field)) return -1;
    *set |= bit;
    return 0;
}

static int cli_signature_option(nd_params *p, const char *n, const char *v, unsigned *set)
{
    if (!strcmp(n, "-w") || !strcmp(n, "--shingle-size")) return cli_set_unsigned(v, &p->shingle_size, set, CLI_SET_W);
    if (!strcmp(n, "-k") || !strcmp(n, "--num-perm")) return cli_set_unsigned(v, &p->num_perm, set, CLI_SET_K);
    if (!strcmp(n, "--sig-bits")) return cli_set_unsigned(v, &p->sig_bits, set, CLI_SET_BITS);
    if (!strcmp(n, "--paragraphs")) return *set |= CLI_SET_SEG, cli_arg_seg_mode(v, &p->seg_mode);
    if (!strcmp(n, "--minhash-scheme")) {
        if (v && !strcmp(v, "mas64")) p->minhash_scheme = ND_MINHASH_MAS64;
        else if (v && !strcmp(v, "mul32")) p->minhash_scheme = ND_MINHASH_MUL32;
        else return -1;
        *set |= CLI_SET_SCHEME;
        return 0;
    }
    if (!strcmp(n, "--seed")) {
        unsigned long long u;
        if (cli_arg_uint(v, UINT64_MAX, &u)) return -1;
        p->seed = u;
        *set |= CLI_SET_SEED;
        return 0;
    }
    return 1;
}

static int cli_detection_option(nd_params *p, const char *n, const char *v, unsigned *set)
{
    if (!strcmp(n, "--threshold")) return cli_set_fraction(v, &p->repeat_threshold, set, CLI_SET_THR);
    if (!strcmp(n, "--doc-threshold")) return cli_set_fraction(v, &p->doc_threshold, set, CLI_SET_DOCT);
    if (!strcmp(n, "--containment")) return cli_set_fraction(v, &p->containment_threshold, set, CLI_SET_CONT);
    if (!strcmp(n, "--min-contained")) return cli_set_unsigned(v, &p->min_contained, set, CLI_SET_MINC);
    if (!strcmp(n, "--min-stories")) return cli_set_unsigned(v, &p->min_stories, set, CLI_SET_MINS);
    if (!strcmp(n, "--bands")) return cli_set_unsigned(v, &p->lsh_bands, set, CLI_SET_BANDS);
    if (!strcmp(n, "--rows")) return cli_set_unsigned(v, &p->lsh_rows, set, CLI_SET_ROWS);
    if (!strcmp(n, "--scope")) {
        if (v && !strcmp(v, "source")) p->boilerplate_scope = ND_SCOPE_SOURCE;
        else if (v && !strcmp(v, "all")) p->boilerplate_scope = ND_SCOPE_ALL;
        else return -1;
        *set |= CLI_SET_SCOPE;
        return 0;
    }
    return 1;
}

int cli_param_option(nd_params *p, unsigned groups, const char *name, const char *value, unsigned *set)
{
    int rc = (groups & CLI_OPT_SIG) ? cli_signature_option(p, name, value, set) : 1;
    if (rc == 1 && (groups & CLI_OPT_DET)) rc = cli_detection_option(p, name, value, set);
    return rc;
}

int cli_input_option(cli_input_opts *in, const char *n, const char *v)
{
    if (!strcmp(n, "--warc-id")) { /* uri (default) or record */
        if (!v || (strcmp(v, "uri") && strcmp(v, "record"))) return -1;
        in->warc_id_record = !strcmp(v, "record");
        return 0;
    }
    const char **field = !strcmp(n, "--id-field") ? &in->id_field
                       : !strcmp(n, "--text-field") ? &in->text_field
                       : !strcmp(n, "--source-field") ? &in->source_field
                       : !strcmp(n, "--url-field") ? &in->url_field
                       : !strcmp(n, "--date-field") ? &in->date_field
                       : !strcmp(n, "--html-field") ? &in->html_field
                       : !strcmp(n, "--source") ? &in->source_override : NULL;
    if (!field) return 1;
    *field = v;
    return v ? 0 : -1;
}
