/*
 * Charset of an HTML payload, and its conversion to UTF-8 with a byte map.
 *
 * Which charset (the order of neardup.h, "HTML"): the HTTP header's, then a
 * byte order mark, then a <meta> in the first ND__META_SCAN bytes, then
 * UTF-8 if every byte sequence is valid UTF-8, else windows-1252. Labels are
 * read as the web reads them (WHATWG Encoding): ISO-8859-1, Latin-1 and
 * US-ASCII mean windows-1252, whose 0x80-0x9F are printable where ISO-8859-1
 * has control codes (pages labelled Latin-1 use them for quotes and dashes);
 * a UTF-16 label in a <meta> means UTF-8 (the meta itself was read as ASCII).
 * A label iconv does not know is skipped, as if absent.
 *
 * Conversion. The byte map records, for every byte of the UTF-8 text, the
 * payload offset of the character it came from, so that a span of the text
 * maps back to a span of the payload. UTF-8 is copied, each invalid byte
 * becoming U+FFFD. Other charsets go through iconv one character at a time
 * (its input grown byte by byte until a character completes), which is what
 * tells where each character starts; single-byte charsets, by far the most
 * common after UTF-8, are first turned into a 256-entry table by the same
 * iconv, one call per byte value instead of one per payload byte. NUL bytes
 * become spaces: libxml2 takes a NUL for the end of its input.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <iconv.h>
#include "internal.h"

/* How far a <meta> charset is looked for: the HTML standard's prescan reads
 * 1024 bytes, but pages with long comments or scripts first (news sites'
 * tag managers) put it later, and a wrong guess garbles a whole page. */
#define ND__META_SCAN 4096
#define ND__MAX_CHAR 8   /* input bytes of one character at most */
#define ND__OUT_ROOM 16  /* output bytes of one character at most */

size_t nd__utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || n < len) return 0;
    /* Unicode table 3-7: the second byte's range depends on the first */
    unsigned lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

static int nd__lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int nd__label_is(const char *label, const char *const *names)
{
    for (; *names; names++)
        if (!strcmp(label, *names)) return 1;
    return 0;
}

/* The iconv name for a charset label (lowercased into `label`), or NULL when
 * iconv cannot read it. from_meta: the label came from a <meta>. */
static const char *nd__charset_name(char *label, int from_meta, char *buf, size_t cap)
{
    static const char *const latin1[] = { "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1",
        "us-ascii", "ascii", "cp1252", "windows-1252", "x-cp1252", "cp819", "ibm819",
        "iso-ir-100", "csisolatin1", "ansi_x3.4-1968", NULL };
    static const char *const utf8[] = { "utf-8", "utf8", "unicode-1-1-utf-8", NULL };
    static const char *const gbk[] = { "gb2312", "gbk", "x-gbk", "csgb2312", NULL };
    if (nd__label_is(label, latin1)) return "WINDOWS-1252";
    if (nd__label_is(label, utf8)) return "UTF-8";
    if (nd__label_is(label, gbk)) return "GBK";
    if (!strncmp(label, "utf-16", 6)) {
        if (from_meta) return "UTF-8";
        return !strcmp(label + 6, "be") ? "UTF-16BE" : "UTF-16LE";
    }
    size_t n = strlen(label);
    if (n == 0 || n >= cap) return NULL;
    for (size_t i = 0; i <= n; i++) buf[i] = (char)(label[i] >= 'a' && label[i] <= 'z' ? label[i] - 32 : label[i]);
    iconv_t cd = iconv_open("UTF-8", buf);
    if (cd == (iconv_t)-1) return NULL;
    iconv_close(cd);
    return buf;
}

/* Copies a label (trimmed of blanks and quotes, lowercased) into out. */
static void nd__label(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    while (n && (*s == ' ' || *s == '\t' || *s == '"' || *s == '\'')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '"' || s[n - 1] == '\'')) n--;
    for (size_t i = 0; i < n && k + 1 < cap; i++) out[k++] = (char)nd__lower((unsigned char)s[i]);
    out[k] = '\0';
    if (n >= cap) out[0] = '\0'; /* too long to be a charset */
}

static const char *nd__find_ci(const char *s, const char *end, const char *word)
{
    size_t w = strlen(word);
    for (; s + w <= end; s++) {
        size_t i = 0;
        while (i < w && nd__lower((unsigned char)s[i]) == word[i]) i++;
        if (i == w) return s;
    }
    return NULL;
}

/* The charset a <meta charset=X> or <meta http-equiv content="...;charset=X">
 * names in the first bytes, into label; "" if none. */
static void nd__meta_label(const char *src, size_t size, char *label, size_t cap)
{
    const char *end = src + (size < ND__META_SCAN ? size : ND__META_SCAN), *p = src;
    label[0] = '\0';
    while ((p = nd__find_ci(p, end, "<meta")) != NULL) {
        const char *close = memchr(p, '>', (size_t)(end - p));
        const char *tag_end = close ? close : end;
        const char *cs = nd__find_ci(p, tag_end, "charset");
        p += 5;
        if (!cs) continue;
        cs += 7;
        while (cs < tag_end && (*cs == ' ' || *cs == '\t')) cs++;
        if (cs >= tag_end || *cs != '=') continue;
        cs++;
        while (cs < tag_end && (*cs == ' ' || *cs == '\t' || *cs == '"' || *cs == '\'')) cs++;
        const char *v = cs;
        while (cs < tag_end && (((*cs | 32) >= 'a' && (*cs | 32) <= 'z') || (*cs >= '0' && *cs <= '9')
                                || *cs == '-' || *cs == '_' || *cs == ':' || *cs == '.'))
            cs++;
        nd__label(v, (size_t)(cs - v), label, cap);
        if (label[0]) return;
    }
}

static int nd__all_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) { i++; continue; }
        size_t k = nd__utf8_valid_len(s + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* Decides the charset; *skip receives the length of a byte order mark. */
static void nd__choose(const char *src, size_t size, const char *cs, size_t cs_len,
                       nd__decoded *out, size_t *skip)
{
    const unsigned char *u = (const unsigned char *)src;
    char label[40], buf[40];
    const char *name = NULL;
    *skip = 0;
    if (cs) {
        nd__label(cs, cs_len, label, sizeof label);
        name = nd__charset_name(label, 0, buf, sizeof buf);
    }
    if (!name && size >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) name = "UTF-8", *skip = 3;
    if (!name && size >= 2 && u[0] == 0xFF && u[1] == 0xFE) name = "UTF-16LE", *skip = 2;
    if (!name && size >= 2 && u[0] == 0xFE && u[1] == 0xFF) name = "UTF-16BE", *skip = 2;
    if (!name) {
        nd__meta_label(src, size, label, sizeof label);
        if (label[0]) name = nd__charset_name(label, 1, buf, sizeof buf);
    }
    if (!name) name = nd__all_utf8(u, size) ? "UTF-8" : "WINDOWS-1252";
    size_t n = strlen(name);
    memcpy(out->charset, name, n + 1 <= sizeof out->charset ? n + 1 : 1);
}

/* Room for one more character's output bytes and their map entries. */
static int nd__room(const nd_allocator *al, nd__decoded *d)
{
    int rc = nd__reserve(al, (void **)&d->text, &d->cap, d->len + ND__OUT_ROOM + 1, 1);
    if (!rc) rc = nd__reserve(al, (void **)&d->map, &d->map_cap, d->len + ND__OUT_ROOM + 1,
                              sizeof *d->map);
    return rc;
}

static void nd__put(nd__decoded *d, const char *bytes, size_t n, size_t from)
{
    for (size_t i = 0; i < n; i++) {
        d->text[d->len] = bytes[i] ? bytes[i] : ' ';
        d->map[d->len++] = (uint32_t)from;
    }
}

static int nd__decode_utf8(const nd_allocator *al, const char *src, size_t size, size_t i,
                           nd__decoded *d)
{
    const unsigned char *u = (const unsigned char *)src;
    while (i < size) {
        int rc = nd__room(al, d);
        if (rc) return rc;
        size_t k = u[i] < 0x80 ? 1 : nd__utf8_valid_len(u + i, size - i);
        if (k) nd__put(d, src + i, k, i);
        else nd__put(d, "\xEF\xBF\xBD", 3, i);
        i += k ? k : 1;
    }
    return ND_OK;
}

/* One character through iconv from src[i]: *used bytes in, *made bytes
 * written at d->text + d->len (room reserved). @return 0, or -1 when no
 * character starts there (an invalid or cut sequence). */
static int nd__iconv_char(iconv_t cd, const char *src, size_t size, size_t i, char *outp,
                          size_t *used, size_t *made)
{
    for (size_t take = 1; take <= ND__MAX_CHAR && i + take <= size; take++) {
        char *in = (char *)(uintptr_t)(src + i), *o = outp;
        size_t inleft = take, oleft = ND__OUT_ROOM;
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        if (r != (size_t)-1 || (errno == E2BIG && inleft < take)) {
            *used = take - inleft;
            *made = ND__OUT_ROOM - oleft;
            return 0;
        }
        if (errno != EINVAL) break; /* EILSEQ: not a character */
    }
    iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial shift state */
    return -1;
}

/* Single-byte charsets as a table: tab[b] holds the UTF-8 of byte b (len[b]
 * bytes, 0 = invalid). @return 1 when every byte value is one character. */
static int nd__sbcs_table(iconv_t cd, char tab[256][4], unsigned char len[256])
{
    for (int b = 0; b < 256; b++) {
        char in = (char)b, out[ND__OUT_ROOM];
        size_t used, made;
        if (nd__iconv_char(cd, &in, 1, 0, out, &used, &made) != 0) {
            len[b] = 0;
            continue;
        }
        if (used != 1 || made > 4 || made == 0) return 0;
        memcpy(tab[b], out, made);
        len[b] = (unsigned char)made;
    }
    return 1;
}

static int nd__decode_iconv(const nd_allocator *al, iconv_t cd, const char *src, size_t size,
                            size_t i, nd__decoded *d)
{
    char tab[256][4];
    unsigned char len[256];
    int single = size - i > 512 && nd__sbcs_table(cd, tab, len);
    while (i < size) {
        int rc = nd__room(al, d);
        if (rc) return rc;
        size_t used = 1, made = 0;
        unsigned char b = (unsigned char)src[i];
        if (single ? len[b] == 0 : nd__iconv_char(cd, src, size, i, d->text + d->len, &used, &made) != 0)
            nd__put(d, "\xEF\xBF\xBD", 3, i);
        else if (single)
            nd__put(d, tab[b], len[b], i);
        else
            nd__put(d, d->text + d->len, made, i); /* in place: NULs become spaces */
        i += used ? used : 1;
    }
    return ND_OK;
}

int nd__charset_decode(const nd_allocator *al, const char *src, size_t size, const char *cs,
                       size_t cs_len, nd__decoded *out)
{
    size_t skip;
    out->len = 0;
    nd__choose(src, size, cs, cs_len, out, &skip);
    int rc;
    if (!strcmp(out->charset, "UTF-8")) {
        rc = nd__decode_utf8(al, src, size, skip, out);
    } else {
        iconv_t cd = iconv_open("UTF-8", out->charset);
        if (cd == (iconv_t)-1) { /* known a moment ago; out of memory, or no gconv module */
            memcpy(out->charset, "UTF-8", 6);
            rc = nd__decode_utf8(al, src, size, skip, out);
        } else {
            rc = nd__decode_iconv(al, cd, src, size, skip, out);
            iconv_close(cd);
        }
    }
    if (!rc) rc = nd__room(al, out);
    if (rc) {
        out->len = 0;
        return rc;
    }
    out->text[out->len] = '\0';
    out->map[out->len] = (uint32_t)size;
    return ND_OK;
}

void nd__decoded_free(const nd_allocator *al, nd__decoded *d)
{
    nd__free(al, d->text);
    nd__free(al, d->map);
    memset(d, 0, sizeof *d);
}
