/*
 * Segmentation: paragraphs as spans (offset, length) of the caller's text.
 *
 * A line ends at '\n'; a '\r' right before it belongs to the terminator.
 * A line is blank when it holds only ASCII white space (space, tab, CR, FF,
 * VT). A UTF-8 byte order mark at the start is not part of any paragraph but
 * is counted in offsets.
 *
 *   lines  : every non-blank line is a paragraph;
 *   blocks : a paragraph runs from the first to the last line of a group of
 *            non-blank lines (inner line breaks stay inside the span);
 *   auto   : blocks when the text looks hard-wrapped at a fixed width, else
 *            lines (see nd__looks_wrapped).
 */
#include "internal.h"

typedef struct nd__line {
    size_t off, len;   /* content, terminator excluded */
    size_t next;       /* offset of the following line */
    int blank;
} nd__line;

static size_t nd__bom(const char *text, size_t size)
{
    return (size >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB
            && (unsigned char)text[2] == 0xBF) ? 3 : 0;
}

static int nd__is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return 0;
    }
    return 1;
}

/* Reads the line starting at pos (pos < size). */
static nd__line nd__line_at(const char *text, size_t size, size_t pos)
{
    nd__line ln;
    const char *nl = memchr(text + pos, '\n', size - pos);
    size_t end = nl ? (size_t)(nl - text) : size;
    ln.off = pos;
    ln.next = nl ? end + 1 : size;
    ln.len = end - pos;
    if (nl && ln.len && text[end - 1] == '\r') ln.len--;
    ln.blank = nd__is_blank(text + pos, ln.len);
    return ln;
}

/* Characters, not bytes, so that wrapped CJK text measures like Latin. */
static size_t nd__width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/*
 * Hard-wrapped text has lines that continue into the next non-blank line and
 * are all nearly as wide as the wrap column, which is narrow (editors and
 * mailers wrap at 60-132 columns). Text whose lines are whole paragraphs has
 * continued lines of any length, often far wider. We call it wrapped when at
 * least two lines continue, the widest continued line is at most 160
 * characters, and 80% of continued lines reach 60% of that width.
 */
static int nd__looks_wrapped(const char *text, size_t size, size_t start)
{
    size_t continued = 0, widest = 0, pos = start;
    nd__line prev = { 0, 0, 0, 1 };
    while (pos < size) {
        nd__line ln = nd__line_at(text, size, pos);
        if (!ln.blank && !prev.blank) {
            size_t w = nd__width(text + prev.off, prev.len);
            continued++;
            if (w > widest) widest = w;
        }
        prev = ln;
        pos = ln.next;
    }
    if (continued < 2 || widest > 160) return 0;
    size_t wide = 0;
    pos = start;
    prev.blank = 1;
    while (pos < size) {
        nd__line ln = nd__line_at(text, size, pos);
        if (!ln.blank && !prev.blank && nd__width(text + prev.off, prev.len) * 10 >= widest * 6)
            wide++;
        prev = ln;
        pos = ln.next;
    }
    return wide * 10 >= continued * 8;
}

static int nd__push(const nd_allocator *al, nd__span **spans, size_t *count, size_t *cap,
                    size_t off, size_t len)
{
    int rc = nd__reserve(al, (void **)spans, cap, *count + 1, sizeof **spans);
    if (rc) return rc;
    (*spans)[*count].off = off;
    (*spans)[*count].len = len;
    (*count)++;
    return ND_OK;
}

int nd__segment(const nd_allocator *al, const char *text, size_t size, nd_seg_mode mode,
                nd__span **spans, size_t *count, size_t *cap, nd_seg_mode *used)
{
    size_t start = nd__bom(text, size);
    *count = 0;
    if (mode == ND_SEG_AUTO)
        mode = nd__looks_wrapped(text, size, start) ? ND_SEG_BLOCKS : ND_SEG_LINES;
    *used = mode;
    size_t pos = start, block_off = 0, block_end = 0;
    int in_block = 0;
    while (pos < size) {
        nd__line ln = nd__line_at(text, size, pos);
        pos = ln.next;
        if (mode == ND_SEG_LINES) {
            if (!ln.blank) {
                int rc = nd__push(al, spans, count, cap, ln.off, ln.len);
                if (rc) return rc;
            }
            continue;
        }
        if (!ln.blank) {
            if (!in_block) block_off = ln.off;
            in_block = 1;
            block_end = ln.off + ln.len;
        } else if (in_block) {
            int rc = nd__push(al, spans, count, cap, block_off, block_end - block_off);
            if (rc) return rc;
            in_block = 0;
        }
    }
    if (in_block) return nd__push(al, spans, count, cap, block_off, block_end - block_off);
    return ND_OK;
}
