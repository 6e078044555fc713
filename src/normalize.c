/*
 * Normalization and tokenization.
 *
 * Input bytes are decoded as UTF-8; a byte that does not start a valid
 * sequence becomes U+FFFD (a letter here, so that two copies of the same
 * broken text still match). Each code point is then mapped through utf8proc
 * with compatibility decomposition (full-width forms, ligatures, no-break
 * spaces), case folding, removal of default-ignorable code points (zero-width
 * spaces and joiners, soft hyphens) and "lumping" of typographic quotes and
 * dashes onto their ASCII forms, so that a copy whose quotes were smartened
 * still matches. ASCII takes a table-driven path that gives the same result.
 *
 * A token (word) is a run of letters, digits and combining marks. Inside a
 * word, an apostrophe or a period followed by another word character, and a
 * comma between digits, are dropped rather than splitting the word: "don't" and
 * "don’t" both give "dont", "U.S." gives "us", "1,000" gives "1000". Hyphens
 * and dashes split words. Letters of scripts written without spaces (Han,
 * Hiragana, Katakana, Thai, Lao, Khmer, Myanmar, Tibetan) are one token each,
 * with their marks, so that w-token shingles become character w-grams there.
 *
 * Each token is hashed with XXH3 (seeded). A token made only of digits also
 * gets a folded hash shared by all numbers, so that dates and counters do not
 * break the match of otherwise identical paragraphs; the raw hash keeps the
 * digits for exact comparisons.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <utf8proc.h>
#include "internal.h"

enum { C_SEP = 0, C_WORD, C_DIGIT, C_MARK, C_SOLO, C_APOS, C_PERIOD, C_COMMA };

#define ND__MAP_OPTS \
    (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_LUMP)

/* Classes of the ASCII characters, by table: the tokenizer's inner loop. */
#define ND__AZ(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char nd__ascii_classes[128] = {
    /* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* ' '  */ 0, 0, 0, 0, 0, 0, 0, C_APOS, 0, 0, 0, 0, C_COMMA, 0, C_PERIOD, 0,
    /* '0'  */ C_DIGIT, C_DIGIT, C_DIGIT, C_DIGIT, C_DIGIT, C_DIGIT, C_DIGIT, C_DIGIT, C_DIGIT, C_DIGIT,
               0, 0, 0, 0, 0, 0,
    /* '@'  */ 0, ND__AZ(C_WORD), 0, 0, 0, 0, 0,
    /* '`'  */ C_APOS, ND__AZ(C_WORD), 0, 0, 0, 0, 0,
};
#undef ND__AZ

static int nd__ascii_class(unsigned c) { return nd__ascii_classes[c & 0x7F]; }

static int nd__solo_script(utf8proc_int32_t cp)
{
    return (cp >= 0x0E00 && cp <= 0x0EFF)      /* Thai, Lao */
        || (cp >= 0x0F00 && cp <= 0x0FFF)      /* Tibetan */
        || (cp >= 0x1000 && cp <= 0x109F)      /* Myanmar */
        || (cp >= 0x1780 && cp <= 0x17FF)      /* Khmer */
        || (cp >= 0x3040 && cp <= 0x30FF)      /* Hiragana, Katakana */
        || (cp >= 0x31F0 && cp <= 0x31FF)
        || (cp >= 0x3400 && cp <= 0x4DBF)      /* CJK extension A */
        || (cp >= 0x4E00 && cp <= 0x9FFF)      /* CJK unified */
        || (cp >= 0xF900 && cp <= 0xFAFF)      /* CJK compatibility */
        || (cp >= 0x20000 && cp <= 0x3FFFF);   /* CJK extensions B.. */
}

static int nd__class(utf8proc_int32_t cp)
{
    if (cp < 0x80) return nd__ascii_class((unsigned)cp);
    if (cp == 0xFFFD) return C_WORD;
    if (cp == 0x2BC || cp == 0xB4 || cp == 0x2032) return C_APOS;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return nd__solo_script(cp) ? C_SOLO : C_WORD;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return C_MARK;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return C_DIGIT;
    default:
        return C_SEP;
    }
}

void nd__tokenizer_init(nd__tokenizer *tk, const nd_allocator *al, uint64_t seed)
{
    memset(tk, 0, sizeof *tk);
    tk->al = al;
    tk->seed = seed;
    tk->num_hash = nd__mix64(seed ^ 0x4e554d424552ull); /* "NUMBER" */
}

void nd__tokenizer_free(nd__tokenizer *tk)
{
    nd__free(tk->al, tk->state_mem);
    tk->state = tk->state_mem = NULL;
}

void nd__tokenizer_reset(nd__tokenizer *tk, const char *text, size_t size)
{
    tk->p = (const unsigned char *)text;
    tk->end = tk->p + size;
    tk->q_pos = tk->q_len = 0;
}

/* Decodes one code point at p (advancing it); invalid sequences give U+FFFD
 * and consume one byte. */
static utf8proc_int32_t nd__decode(const unsigned char **pp, const unsigned char *end)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(*pp, end - *pp, &cp);
    if (n <= 0) {
        (*pp)++;
        return 0xFFFD;
    }
    *pp += n;
    return cp;
}

/* Appends the normalized code points of one source character to the queue.
 * @return 0 when there is no room (nothing appended), else 1. */
static int nd__push_char(nd__tokenizer *tk, utf8proc_int32_t cp)
{
    utf8proc_int32_t out[32];
    int bound = 0;
    utf8proc_ssize_t n = (cp == 0xFFFD) ? -1
        : utf8proc_decompose_char(cp, out, 32, (utf8proc_option_t)ND__MAP_OPTS, &bound);
    if (n < 0 || n > 32) {
        out[0] = cp;
        n = 1;
    }
    if (tk->q_len + (size_t)n > ND__QUEUE) return 0;
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        int cls = nd__class(out[i]);
        tk->q[tk->q_len].cp = (cls == C_APOS) ? '\'' : out[i];
        tk->q[tk->q_len].cls = (unsigned char)cls;
        tk->q_len++;
    }
    return 1;
}

static int nd__ccc(int32_t cp)
{
    return cp < 0x300 ? 0 : utf8proc_get_property(cp)->combining_class;
}

/*
 * Canonical ordering: the combining marks that follow a character are read
 * with it and sorted by combining class (stable), so that "e" + U+0302 +
 * U+0323 and "e" + U+0323 + U+0302 (and the precomposed U+1EC7) give the same
 * token. At most 30 marks are taken (Unicode's stream-safe limit); more are
 * left in source order.
 */
static void nd__pull_marks(nd__tokenizer *tk, size_t first)
{
    for (int taken = 0; taken < 30 && tk->p < tk->end && *tk->p >= 0x80; taken++) {
        const unsigned char *save = tk->p;
        utf8proc_int32_t cp = nd__decode(&tk->p, tk->end);
        if (cp == 0xFFFD || nd__ccc(cp) == 0 || !nd__push_char(tk, cp)) {
            tk->p = save;
            break;
        }
    }
    for (size_t i = first + 1; i < tk->q_len; i++) { /* insertion sort of the mark runs */
        int c = nd__ccc(tk->q[i].cp);
        if (c == 0) continue;
        for (size_t j = i; j > first && nd__ccc(tk->q[j - 1].cp) > c; j--) {
            nd__qent t = tk->q[j];
            tk->q[j] = tk->q[j - 1];
            tk->q[j - 1] = t;
        }
    }
}

/* Appends the normalized form of the next source character, with the marks
 * that follow it, to the queue. @return 0 when the source is exhausted. */
static int nd__fill_one(nd__tokenizer *tk)
{
    if (tk->p >= tk->end) return 0;
    size_t first = tk->q_len;
    unsigned c = *tk->p;
    if (c < 0x80) {
        tk->p++;
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (c == '`') c = '\'';
        tk->q[tk->q_len].cp = (int32_t)c;
        tk->q[tk->q_len].cls = (unsigned char)nd__ascii_class(c);
        tk->q_len++;
    } else {
        const unsigned char *save = tk->p;
        if (!nd__push_char(tk, nd__decode(&tk->p, tk->end))) {
            tk->p = save; /* cannot happen after compaction; be safe */
            return 0;
        }
    }
    if (tk->p < tk->end && *tk->p >= 0x80) nd__pull_marks(tk, first);
    return 1;
}

/* Makes sure the queue holds at least `need` entries past q_pos when the
 * source allows. @return the number available (<= need). */
static size_t nd__peek(nd__tokenizer *tk, size_t need)
{
    if (tk->q_pos == tk->q_len) tk->q_pos = tk->q_len = 0;
    while (tk->q_len - tk->q_pos < need) {
        if (tk->q_pos > 0) { /* compact so that a whole character sequence fits */
            memmove(tk->q, tk->q + tk->q_pos, (tk->q_len - tk->q_pos) * sizeof tk->q[0]);
            tk->q_len -= tk->q_pos;
            tk->q_pos = 0;
        }
        if (!nd__fill_one(tk)) break;
    }
    return tk->q_len - tk->q_pos;
}

static int nd__append(nd__tokenizer *tk, int32_t cp)
{
    unsigned char tmp[4];
    size_t n = (size_t)utf8proc_encode_char(cp, tmp);
    if (tk->buf_len + n > ND__TOKBUF) {
        /* A token longer than the buffer is hashed through the streaming
         * state, which gives the same value as hashing it in one piece. */
        if (!tk->state) {
            /* XXH3_state_t needs 64-byte alignment; allocators promise less */
            tk->state_mem = nd__alloc(tk->al, sizeof(XXH3_state_t) + 64);
            if (!tk->state_mem) return ND_E_NOMEM;
            uintptr_t at = ((uintptr_t)tk->state_mem + 63) & ~(uintptr_t)63;
            tk->state = (void *)at;
            /* a reset with a seed reads the state's seed first: set it */
            XXH3_INITSTATE((XXH3_state_t *)tk->state);
        }
        if (!tk->streaming) XXH3_64bits_reset_withSeed(tk->state, tk->seed);
        XXH3_64bits_update(tk->state, tk->buf, tk->buf_len);
        tk->streaming = 1;
        tk->buf_len = 0;
    }
    memcpy(tk->buf + tk->buf_len, tmp, n);
    tk->buf_len += n;
    return ND_OK;
}

static uint64_t nd__token_hash(nd__tokenizer *tk)
{
    if (!tk->streaming) return XXH3_64bits_withSeed(tk->buf, tk->buf_len, tk->seed);
    XXH3_64bits_update(tk->state, tk->buf, tk->buf_len);
    return XXH3_64bits_digest(tk->state);
}

/* Is the entry after the connector at q_pos a character that continues the
 * word? A comma only joins digits. */
static int nd__joins(nd__tokenizer *tk, int cls, int last_digit)
{
    if (nd__peek(tk, 2) < 2) return 0;
    int next = tk->q[tk->q_pos + 1].cls;
    if (cls == C_COMMA) return last_digit && next == C_DIGIT;
    return next == C_WORD || next == C_DIGIT;
}

typedef struct nd__tokstate {
    int in_token, solo, numeric, last_digit;
} nd__tokstate;

/*
 * ASCII fast path, taken while nothing is queued: letters and digits go
 * straight into the token buffer (lowercased), separators are skipped, and
 * a connector inside a word looks at the next byte as nd__joins does. It
 * stops at a non-ASCII byte (or a connector before one), leaving it to the
 * general path, so both give the same tokens. @return 1 when the current
 * token ended, else 0.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#define ND__SIMD 1

/* Bit i set when byte i of v is an ASCII letter or digit; *digits: digits. */
static inline unsigned nd__alnum16(__m128i v, unsigned *digits, __m128i *lowered)
{
    __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
    /* c in [lo, lo + n) as a signed compare after moving lo to -128 */
    __m128i letter = _mm_cmplt_epi8(_mm_add_epi8(lower, _mm_set1_epi8((char)(0x80 - 'a'))),
                                    _mm_set1_epi8((char)(-128 + 26)));
    __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - '0'))),
                                   _mm_set1_epi8((char)(-128 + 10)));
    *digits = (unsigned)_mm_movemask_epi8(digit);
    *lowered = _mm_or_si128(v, _mm_and_si128(letter, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(letter, digit));
}
#endif

/* The first byte at or after p that is a letter, a digit or not ASCII:
 * outside a word every other ASCII byte (connectors included) separates. */
static const unsigned char *nd__skip_seps(const unsigned char *p, const unsigned char *end)
{
#ifdef ND__SIMD
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p), low;
        unsigned digits, m = nd__alnum16(v, &digits, &low) | (unsigned)_mm_movemask_epi8(v);
        if (m) return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < end && *p < 0x80 && nd__ascii_class(*p) != C_WORD && nd__ascii_class(*p) != C_DIGIT) p++;
    return p;
}

/* Copies the run of ASCII letters and digits at p (at most cap bytes),
 * lowercased, to dst. @return its length; *digits_only and *last_digit as
 * the tokenizer's state wants them. dst has 16 bytes of room past cap. */
static size_t nd__alnum_run(const unsigned char *p, const unsigned char *end, size_t cap,
                            unsigned char *dst, int *digits_only, int *last_digit)
{
    size_t n = 0;
    int all = 1, last = 0, done = 0;
#ifdef ND__SIMD
    while (!done && n < cap && end - (p + n) >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + n)), low;
        unsigned digits, m = nd__alnum16(v, &digits, &low);
        unsigned run = m == 0xFFFF ? 16 : (unsigned)__builtin_ctz(~m);
        if (run > cap - n) run = (unsigned)(cap - n);
        _mm_storeu_si128((__m128i *)(dst + n), low);
        if (run) {
            unsigned in = run == 16 ? 0xFFFF : (1u << run) - 1;
            all &= (digits & in) == in;
            last = (digits >> (run - 1)) & 1;
        }
        n += run;
        done = run < 16; /* a byte that is not a letter or digit, or cap */
    }
#endif
    for (; !done && n < cap && p + n < end; n++) { /* the last 15 bytes, or no SSE2 */
        int cls = nd__ascii_class(p[n]);
        if (p[n] >= 0x80 || (cls != C_WORD && cls != C_DIGIT)) break;
        dst[n] = (unsigned char)(cls == C_WORD ? (p[n] | 0x20) : p[n]);
        all &= cls == C_DIGIT;
        last = cls == C_DIGIT;
    }
    *digits_only = all;
    *last_digit = last;
    return n;
}

static int nd__ascii_run(nd__tokenizer *tk, nd__tokstate *st)
{
    /* The state lives in locals: stores into the token buffer (bytes) would
     * otherwise make the compiler reload and store it at every byte. Runs of
     * letters and digits, and of separators between words, are taken 16
     * bytes at a time where SSE2 is there (every x86-64). */
    const unsigned char *p = tk->p, *const end = tk->end;
    unsigned char *const buf = tk->buf;
    size_t len = tk->buf_len;
    int in_token = st->in_token, numeric = st->numeric, last_digit = st->last_digit, ended = 0;
    const int solo = st->solo;
    while (p < end) {
        unsigned c = *p;
        if (c >= 0x80) break;
        int cls = nd__ascii_class(c);
        if (cls == C_WORD || cls == C_DIGIT) {
            if (in_token && solo) break; /* the general path ends that token */
            if (len >= ND__TOKBUF) break; /* long tokens take the general path */
            int all, last;
            size_t run = nd__alnum_run(p, end, ND__TOKBUF - len, buf + len, &all, &last);
            len += run;
            p += run;
            numeric &= all;
            last_digit = last;
            in_token = 1;
            continue;
        }
        if (cls != C_SEP && in_token && !solo) { /* a connector: the next byte decides */
            if (p + 1 < end && p[1] >= 0x80) break;
            int next = p + 1 < end ? nd__ascii_class(p[1]) : C_SEP;
            int joins = cls == C_COMMA ? last_digit && next == C_DIGIT
                                       : next == C_WORD || next == C_DIGIT;
            if (joins) { /* dropped inside the word */
                p++;
                continue;
            }
        }
        p++;
        if (in_token) { /* a separator ends the token */
            ended = 1;
            break;
        }
        p = nd__skip_seps(p, end);
    }
    tk->p = p;
    tk->buf_len = len;
    st->in_token = in_token;
    st->numeric = numeric;
    st->last_digit = last_digit;
    return ended;
}

/* One queued code point through the general rules. @return 1 when the
 * token ended before it, 0 to go on, <0 on error. */
static int nd__general_step(nd__tokenizer *tk, nd__tokstate *st)
{
    int32_t cp = tk->q[tk->q_pos].cp;
    int cls = tk->q[tk->q_pos].cls;
    if (cls == C_WORD || cls == C_DIGIT || cls == C_SOLO || cls == C_MARK) {
        /* a solo-script letter is a token by itself, marks included */
        if (st->in_token && cls != C_MARK && (st->solo || cls == C_SOLO)) return 1;
        if (cls == C_SOLO) st->solo = 1;
        if (cls != C_DIGIT) st->numeric = 0;
        st->last_digit = (cls == C_DIGIT);
        int rc = nd__append(tk, cp);
        if (rc) return rc;
        st->in_token = 1;
        tk->q_pos++;
        return 0;
    }
    if (st->in_token && !st->solo && cls != C_SEP && nd__joins(tk, cls, st->last_digit)) {
        tk->q_pos++; /* dropped connector */
        return 0;
    }
    if (st->in_token) return 1;
    tk->q_pos++; /* separator */
    return 0;
}

int nd__tokenizer_next(nd__tokenizer *tk, nd__token *out)
{
    nd__tokstate st = { 0, 0, 1, 0 };
    tk->buf_len = 0;
    tk->streaming = 0;
    for (;;) {
        if (tk->q_pos == tk->q_len && !tk->table_only && nd__ascii_run(tk, &st)) break;
        if (!nd__peek(tk, 1)) break;
        int rc = nd__general_step(tk, &st);
        if (rc < 0) return rc;
        if (rc) break;
    }
    if (!st.in_token) return 0;
    out->raw = nd__token_hash(tk);
    out->hash = st.numeric ? tk->num_hash : out->raw;
    return 1;
}

/*
 * Whole ASCII words, 64 bytes at a time (nd__tokenizer_fill). A window of 64
 * source bytes is classified once into bitmasks (letters or digits, digits,
 * non-ASCII, connectors) and lowercased once; each word is then found with a
 * count of trailing zeros and hashed straight from the lowercased copy, so a
 * word costs a few mask operations and one XXH3 call instead of a pass per
 * byte. A word runs from a mask bit to the first byte that is not a letter
 * or digit; the rules for connectors are nd__joins' on the masks. Whatever
 * the masks cannot settle alone (a non-ASCII byte before a word ends or
 * right after a connector, a word longer than a window) goes to
 * nd__tokenizer_next from the word's first byte: the bytes skipped before it
 * were ASCII separators, which the general path skips the same way, so both
 * give the same tokens.
 */
#define ND__WIN 64

typedef struct nd__win {
    const unsigned char *base; /* the window is base[0..64) */
    uint64_t word;             /* letters and digits */
    uint64_t digit;
    uint64_t high;             /* non-ASCII bytes */
    uint64_t conn;             /* ' ` . (join two word characters) */
    uint64_t comma;            /* , (joins two digits) */
    int full;                  /* 64 source bytes; else the rest of the text, padded with spaces */
    unsigned char low[ND__WIN]; /* the bytes, letters lowercased */
} nd__win;

#ifdef ND__SIMD
static void nd__win_classify(nd__win *w, const unsigned char *src)
{
    uint64_t word = 0, digit = 0, high = 0, conn = 0, comma = 0;
    for (unsigned i = 0; i < ND__WIN; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(src + i)), low;
        unsigned d, m = nd__alnum16(v, &d, &low);
        _mm_storeu_si128((__m128i *)(w->low + i), low);
        __m128i c = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('`'))),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
        word |= (uint64_t)m << i;
        digit |= (uint64_t)d << i;
        high |= (uint64_t)(unsigned)_mm_movemask_epi8(v) << i;
        conn |= (uint64_t)(unsigned)_mm_movemask_epi8(c) << i;
        comma |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(','))) << i;
    }
    w->word = word, w->digit = digit, w->high = high, w->conn = conn, w->comma = comma;
}
#else
static void nd__win_classify(nd__win *w, const unsigned char *src)
{
    w->word = w->digit = w->high = w->conn = w->comma = 0;
    for (unsigned i = 0; i < ND__WIN; i++) {
        unsigned c = src[i];
        int cls = nd__ascii_class(c);
        uint64_t bit = (uint64_t)1 << i;
        w->low[i] = (unsigned char)(cls == C_WORD ? (c | 0x20) : c);
        if (c >= 0x80) w->high |= bit;
        else if (cls == C_WORD || cls == C_DIGIT) w->word |= bit;
        else if (cls == C_APOS || cls == C_PERIOD) w->conn |= bit;
        else if (cls == C_COMMA) w->comma |= bit;
        if (c < 0x80 && cls == C_DIGIT) w->digit |= bit;
    }
}
#endif

/* Classifies the 64 bytes at p, or the rest of the text padded with spaces
 * (a space ends a word as the end of the text does). */
static void nd__win_load(nd__win *w, const unsigned char *p, const unsigned char *end)
{
    w->base = p;
    w->full = end - p >= ND__WIN;
    if (w->full) {
        nd__win_classify(w, p);
        return;
    }
    unsigned char tmp[ND__WIN];
    memset(tmp, ' ', sizeof tmp);
    memcpy(tmp, p, (size_t)(end - p));
    nd__win_classify(w, tmp);
}

enum { ND__W_OK, ND__W_MORE, ND__W_GENERAL };

static int nd__bit(uint64_t m, unsigned i) { return (int)((m >> i) & 1); }

/* The word starting at bit s of the window: *e is the byte after it.
 * @return ND__W_OK with the token in *out, ND__W_MORE when the window ends
 * before the word is settled, ND__W_GENERAL for the general path. */
static int nd__win_word(nd__tokenizer *tk, const nd__win *w, unsigned s, unsigned *e,
                        nd__token *out)
{
    unsigned i = s, len = 0;
    int joined = 0, numeric = 1;
    for (;;) {
        uint64_t rest = ~(w->word >> i); /* zero while the run goes on */
        unsigned run = rest ? (unsigned)__builtin_ctzll(rest) : ND__WIN;
        unsigned stop = i + run;
        if (stop >= ND__WIN) return ND__W_MORE;
        uint64_t in = (((uint64_t)1 << run) - 1) << i;
        numeric &= (w->digit & in) == in;
        if (joined) {
            memcpy(tk->buf + len, w->low + i, run);
            len += run;
        }
        if (nd__bit(w->high, stop)) return ND__W_GENERAL; /* the word may go on */
        if (nd__bit(w->conn | w->comma, stop)) {
            if (stop + 1 >= ND__WIN) return ND__W_MORE;
            if (nd__bit(w->high, stop + 1)) return ND__W_GENERAL;
            int joins = nd__bit(w->conn, stop)
                ? nd__bit(w->word, stop + 1)
                : nd__bit(w->digit, stop - 1) && nd__bit(w->digit, stop + 1);
            if (joins) { /* the connector is dropped: copy the word's pieces */
                if (!joined) {
                    memcpy(tk->buf, w->low + s, stop - s);
                    len = stop - s;
                    joined = 1;
                }
                i = stop + 1;
                continue;
            }
        }
        *e = stop;
        const void *bytes = joined ? (const void *)tk->buf : (const void *)(w->low + s);
        out->raw = XXH3_64bits_withSeed(bytes, joined ? len : stop - s, tk->seed);
        out->hash = numeric ? tk->num_hash : out->raw;
        return ND__W_OK;
    }
}

/* Tokens from tk->p by windows, into out (at most max), while the queue is
 * empty. *general is set when tk->p is left where the general path must
 * take the next token. @return the number of tokens. */
static size_t nd__fast_tokens(nd__tokenizer *tk, nd__token *out, size_t max, int *general)
{
    const unsigned char *const end = tk->end;
    size_t n = 0;
    nd__win w;
    unsigned pos = 0;
    *general = 0;
    if (tk->p >= end) return 0;
    nd__win_load(&w, tk->p, end);
    while (n < max) {
        uint64_t next = (w.word | w.high) >> pos; /* separators skipped */
        if (!next) {
            if (!w.full || w.base + ND__WIN == end) {
                tk->p = end;
                return n;
            }
            nd__win_load(&w, w.base + ND__WIN, end);
            pos = 0;
            continue;
        }
        unsigned s = pos + (unsigned)__builtin_ctzll(next), e = 0;
        int rc = nd__bit(w.high, s) ? ND__W_GENERAL : nd__win_word(tk, &w, s, &e, out + n);
        if (rc == ND__W_MORE && s > 0) { /* again with the word at the window's start */
            nd__win_load(&w, w.base + s, end);
            pos = 0;
            continue;
        }
        if (rc != ND__W_OK) {
            tk->p = w.base + s;
            *general = 1;
            return n;
        }
        n++;
        pos = e; /* a separator or connector: skipped next */
    }
    tk->p = w.base + pos;
    return n;
}

int nd__tokenizer_fill(nd__tokenizer *tk, nd__token *out, size_t max)
{
    size_t n = 0;
    while (n < max) {
        int general = 1;
        if (tk->q_pos == tk->q_len && !tk->table_only) {
            n += nd__fast_tokens(tk, out + n, max - n, &general);
            if (!general) break; /* the end, or max */
        }
        int rc = nd__tokenizer_next(tk, out + n);
        if (rc < 0) return rc;
        if (rc == 0) break;
        n++;
    }
    return (int)n;
}
