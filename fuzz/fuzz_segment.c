/*
 * libFuzzer target for the segmenter (src/segment.c) on arbitrary bytes.
 *
 * The input is segmented in each mode and the spans checked against what
 * the format promises, from the bytes themselves:
 *   - spans lie inside the text, in order, do not overlap, are not blank
 *     and never start inside the byte order mark;
 *   - every byte that is not ASCII white space (BOM excepted) is inside a
 *     span: segmentation loses no text;
 *   - lines: a span is exactly one line, without its terminator ("\n" or
 *     "\r\n"), and is not blank;
 *   - blocks: a span starts and ends on a non-blank line and holds no blank
 *     line; each line span lies inside one block span;
 *   - auto: the spans of the mode it says it used.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "check failed: %s\n", #x); abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct spans {
    nd__span *v;
    size_t n, cap;
} spans;

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

static size_t bom_len(const char *t, size_t size)
{
    return size >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

/* Blank as the segmenter defines it: white space other than '\n' only. */
static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space((unsigned char)s[i]) || s[i] == '\n') return 0;
    return 1;
}

static void check_common(const char *t, size_t size, const spans *sp)
{
    size_t bom = bom_len(t, size), end = bom;
    for (size_t i = 0; i < sp->n; i++) {
        const nd__span *s = &sp->v[i];
        CHECK(s->len > 0 && s->off >= end && s->off <= size && s->len <= size - s->off);
        CHECK(!blank(t + s->off, s->len));
        /* nothing but white space between two spans */
        for (size_t k = end; k < s->off; k++) CHECK(is_space((unsigned char)t[k]));
        end = s->off + s->len;
    }
    for (size_t k = end; k < size; k++) CHECK(is_space((unsigned char)t[k]));
}

static void check_lines(const char *t, size_t size, const spans *sp)
{
    size_t bom = bom_len(t, size);
    for (size_t i = 0; i < sp->n; i++) {
        size_t off = sp->v[i].off, end = off + sp->v[i].len;
        CHECK(off == bom || t[off - 1] == '\n');
        CHECK(memchr(t + off, '\n', sp->v[i].len) == NULL);
        /* ends at the end of the text, at "\n", or at "\r\n" */
        CHECK(end == size || t[end] == '\n' || (t[end] == '\r' && end + 1 < size && t[end + 1] == '\n'));
        CHECK(!blank(t + off, sp->v[i].len));
    }
}

static void check_blocks(const char *t, size_t size, const spans *blocks, const spans *lines)
{
    size_t bom = bom_len(t, size);
    for (size_t i = 0; i < blocks->n; i++) {
        size_t off = blocks->v[i].off, end = off + blocks->v[i].len;
        CHECK(off == bom || t[off - 1] == '\n');
        CHECK(end == size || t[end] == '\n' || (t[end] == '\r' && end + 1 < size && t[end + 1] == '\n'));
        /* no blank line inside: between two '\n' of the span there is text */
        for (size_t k = off; k < end; k++) {
            if (t[k] != '\n') continue;
            const char *nl = memchr(t + k + 1, '\n', end - k - 1);
            size_t stop = nl ? (size_t)(nl - t) : end;
            CHECK(!blank(t + k + 1, stop - k - 1));
        }
    }
    /* every line lies inside one block, and every block starts with a line */
    size_t b = 0;
    for (size_t i = 0; i < lines->n; i++) {
        const nd__span *l = &lines->v[i];
        while (b < blocks->n && blocks->v[b].off + blocks->v[b].len < l->off + l->len) b++;
        CHECK(b < blocks->n && blocks->v[b].off <= l->off);
    }
}

static void segment(const char *t, size_t size, nd_seg_mode mode, spans *out, nd_seg_mode *used)
{
    int rc = nd__segment(nd__default_allocator(), t, size, mode, &out->v, &out->n, &out->cap, used);
    CHECK(rc == ND_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *t = (const char *)data;
    spans lines = { NULL, 0, 0 }, blocks = { NULL, 0, 0 }, autos = { NULL, 0, 0 };
    nd_seg_mode used;

    segment(t, size, ND_SEG_LINES, &lines, &used);
    CHECK(used == ND_SEG_LINES);
    check_common(t, size, &lines);
    check_lines(t, size, &lines);

    segment(t, size, ND_SEG_BLOCKS, &blocks, &used);
    CHECK(used == ND_SEG_BLOCKS);
    check_common(t, size, &blocks);
    check_blocks(t, size, &blocks, &lines);

    segment(t, size, ND_SEG_AUTO, &autos, &used);
    const spans *same = used == ND_SEG_LINES ? &lines : &blocks;
    CHECK(used == ND_SEG_LINES || used == ND_SEG_BLOCKS);
    CHECK(autos.n == same->n);
    CHECK(autos.n == 0 || memcmp(autos.v, same->v, autos.n * sizeof *autos.v) == 0);

    nd__free(nd__default_allocator(), lines.v);
    nd__free(nd__default_allocator(), blocks.v);
    nd__free(nd__default_allocator(), autos.v);
    return 0;
}
