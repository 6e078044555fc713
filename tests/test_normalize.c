/*
 * Normalization and tokenization (src/normalize.c).
 *
 * A token's `raw` hash is XXH3-64 (seeded) of its normalized UTF-8 bytes, so
 * most tests state the exact normalized words they expect and compare hashes
 * with XXH3 of those words: "HIDE" must give exactly the token "hide".
 */
#define _POSIX_C_SOURCE 200809L /* fork, waitpid */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <ctype.h>
#include "internal.h"

#define SEED ND_DEFAULT_SEED
#define MAX_TOK 256

typedef struct toks {
    size_t n;
    nd__token t[MAX_TOK + 64]; /* + 64: room for one more batch */
} toks;

/* The tokens of text[0..size) by one of the three ways through the
 * tokenizer: 0 nd__tokenizer_next, 1 the same with every byte through the
 * general queue (no ASCII shortcut), 2 nd__tokenizer_fill in batches of
 * `batch`. At most MAX_TOK tokens. */
static void tokenize_way(toks *out, const char *text, size_t size, uint64_t seed, int way,
                         size_t batch)
{
    nd__tokenizer tk;
    nd__tokenizer_init(&tk, nd__default_allocator(), seed);
    nd__tokenizer_reset(&tk, text, size);
    tk.table_only = way == 1;
    out->n = 0;
    int rc;
    if (way == 2) {
        while ((rc = nd__tokenizer_fill(&tk, out->t + out->n, batch)) > 0) {
            assert_true((size_t)rc <= batch);
            out->n += (size_t)rc;
            assert_true(out->n <= MAX_TOK);
        }
    } else {
        nd__token t;
        while ((rc = nd__tokenizer_next(&tk, &t)) == 1) {
            assert_true(out->n < MAX_TOK);
            out->t[out->n++] = t;
        }
    }
    assert_int_equal(rc, 0);
    nd__tokenizer_free(&tk);
}

static int same_toks(const toks *a, const toks *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->t[i].hash != b->t[i].hash || a->t[i].raw != b->t[i].raw) return 0;
    return 1;
}

/* Tokenizes text[0..size) with a fresh tokenizer, and checks that every way
 * through the tokenizer (batches of 1, 3 and 64 tokens) gives the same. */
static void tokenize_n(toks *out, const char *text, size_t size, uint64_t seed)
{
    static const size_t batches[] = { 1, 3, 64 };
    tokenize_way(out, text, size, seed, 0, 0);
    toks other;
    tokenize_way(&other, text, size, seed, 1, 0);
    if (!same_toks(out, &other))
        fail_msg("\"%.*s\": the general path differs from the ASCII shortcut", (int)size, text);
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        tokenize_way(&other, text, size, seed, 2, batches[b]);
        if (!same_toks(out, &other))
            fail_msg("\"%.*s\": nd__tokenizer_fill (batch %zu) differs", (int)size, text, batches[b]);
    }
}

static void tokenize(toks *out, const char *text)
{
    tokenize_n(out, text, strlen(text), SEED);
}

static uint64_t xxh(const char *s)
{
    return XXH3_64bits_withSeed(s, strlen(s), SEED);
}

/* The tokens of text must be exactly the NULL-terminated list of normalized
 * words that follows. */
static void expect_tokens(const char *text, ...)
{
    toks got;
    tokenize(&got, text);
    va_list ap;
    va_start(ap, text);
    size_t i = 0;
    for (const char *w; (w = va_arg(ap, const char *)) != NULL; i++) {
        if (i >= got.n) {
            va_end(ap);
            fail_msg("\"%s\": %zu tokens, expected more (next \"%s\")", text, got.n, w);
        }
        if (got.t[i].raw != xxh(w)) {
            va_end(ap);
            fail_msg("\"%s\": token %zu is not \"%s\"", text, i, w);
        }
    }
    va_end(ap);
    if (got.n != i) fail_msg("\"%s\": %zu tokens, expected %zu", text, got.n, i);
}

/* Two texts give the same sequence of folded token hashes (and raw ones). */
static void expect_same(const char *a, const char *b)
{
    toks ta, tb;
    tokenize(&ta, a);
    tokenize(&tb, b);
    if (ta.n != tb.n) fail_msg("\"%s\" has %zu tokens, \"%s\" has %zu", a, ta.n, b, tb.n);
    for (size_t i = 0; i < ta.n; i++) {
        if (ta.t[i].hash != tb.t[i].hash || ta.t[i].raw != tb.t[i].raw)
            fail_msg("\"%s\" and \"%s\" differ at token %zu", a, b, i);
    }
}

static void test_ascii_words(void **state)
{
    (void)state;
    expect_tokens("Hello, world!", "hello", "world", NULL);
    expect_tokens("  leading and   trailing  ", "leading", "and", "trailing", NULL);
    expect_tokens("", NULL);
    expect_tokens(" \t\r\n ", NULL);
    expect_tokens("***", NULL);
    expect_tokens("a", "a", NULL);
}

/* The tokens of ASCII text by the documented rules, written plainly: runs
 * of letters and digits, lowercased; an apostrophe, backquote or period
 * between two word characters and a comma between two digits are dropped;
 * anything else separates. Words up to 1024 bytes; numeric[i] is set for a
 * token of digits only (whose folded hash is shared by all numbers). */
static size_t reference_ascii(const char *s, size_t n, uint64_t *raw, int *numeric, size_t max)
{
    char w[1024];
    size_t count = 0, len = 0;
    for (size_t i = 0; i <= n; i++) {
        int c = i < n ? (unsigned char)s[i] : ' ';
        int alnum = isalnum(c), prev_digit = len && isdigit((unsigned char)w[len - 1]);
        int next_alnum = i + 1 < n && isalnum((unsigned char)s[i + 1]);
        int next_digit = i + 1 < n && isdigit((unsigned char)s[i + 1]);
        if (alnum) {
            if (len < sizeof w) w[len++] = (char)tolower(c);
            continue;
        }
        if (len && ((c == '\'' || c == '`' || c == '.') ? next_alnum : c == ',' && prev_digit && next_digit))
            continue; /* dropped inside the word */
        if (len && count < max) {
            numeric[count] = 1;
            for (size_t j = 0; j < len; j++) numeric[count] &= isdigit((unsigned char)w[j]) != 0;
            raw[count++] = XXH3_64bits_withSeed(w, len, SEED);
        }
        len = 0;
    }
    return count;
}

/* The ASCII path takes runs 16 bytes at a time: random texts whose words
 * and connectors fall on every position of a 16-byte block, and words
 * longer than the token buffer, give the reference tokens, raw and folded.
 * The same texts with some spaces written as U+00A0 or U+2009 (separators
 * after NFKC, which the fast path leaves to the general one) give them too. */
static uint64_t t_rng(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ull;
    return nd__mix64(*s);
}

static void test_ascii_path_matches_reference(void **state)
{
    (void)state;
    static const char *const bits[] = { "a", "Z", "q", "7", "0", "'", "`", ".", ",", " ", "\n",
                                        "-", "!", "{", "@", "[", "~", "\t", "abcdefghijklmnopq",
                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "1234567890123456789" };
    uint64_t rs = 99, want[MAX_TOK];
    char text[2048];
    for (int round = 0; round < 3000; round++) {
        size_t n = 0, target = (size_t)(t_rng(&rs) % 400);
        while (n < target) {
            if (t_rng(&rs) % 97 == 0) { /* a word longer than the token buffer */
                size_t w = 250 + (size_t)(t_rng(&rs) % 20);
                for (size_t i = 0; i < w && n < sizeof text; i++) text[n++] = (char)('a' + t_rng(&rs) % 26);
                continue;
            }
            const char *b = bits[t_rng(&rs) % (sizeof bits / sizeof bits[0])];
            size_t bl = strlen(b);
            if (n + bl > sizeof text) break;
            memcpy(text + n, b, bl);
            n += bl;
        }
        int numeric[MAX_TOK];
        size_t nw = reference_ascii(text, n, want, numeric, MAX_TOK);
        /* the same text with spaces as U+00A0 (C2 A0) or U+2009 (E2 80 89) */
        char wide[3 * sizeof text];
        size_t wn = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t pick = text[i] == ' ' ? t_rng(&rs) % 4 : 3;
            if (pick == 0) { memcpy(wide + wn, "\xc2\xa0", 2); wn += 2; }
            else if (pick == 1) { memcpy(wide + wn, "\xe2\x80\x89", 3); wn += 3; }
            else wide[wn++] = text[i];
        }
        toks got, got_wide;
        tokenize_n(&got, text, n, SEED);
        tokenize_n(&got_wide, wide, wn, SEED);
        assert_int_equal(got.n, nw);
        assert_int_equal(got_wide.n, nw);
        toks tn;
        tokenize_n(&tn, "7", 1, SEED); /* every number's folded hash */
        for (size_t i = 0; i < nw; i++) {
            uint64_t hash = numeric[i] ? tn.t[0].hash : want[i];
            if (got.t[i].raw != want[i] || got.t[i].hash != hash || got_wide.t[i].raw != want[i]
                || got_wide.t[i].hash != hash)
                fail_msg("round %d: token %zu of \"%.*s\" differs", round, i, (int)n, text);
        }
    }
}

/* The window path of nd__tokenizer_fill against the general path on words
 * that end, or whose connector falls, on every position around the 16- and
 * 64-byte steps of the windows (15/16/17, 31/32/33, 63/64/65), followed by
 * every kind of byte that decides a word's end. tokenize_n compares the
 * ways; the ASCII texts are also checked against the plain reference. */
static void test_fast_path_boundaries(void **state)
{
    (void)state;
    static const char *const tails[] = { " x", "", "'s x", "'", ".", ". x", ",5 x", ",x", "5",
                                         "-y", "\xc3\xa9t\xc3\xa9", "\xe2\x80\x99s", "'\xc3\xa9",
                                         ",\xd9\xa3", "\xcc\x81", "\xc2\xa0z", "``q", "a.b.c." };
    char text[256], word[160];
    uint64_t want[MAX_TOK];
    int numeric[MAX_TOK];
    size_t checked = 0;
    for (size_t lead = 0; lead < 70; lead++) {
        for (size_t wl = 1; wl < 140; wl += (wl < 70 ? 1 : 13)) {
            for (size_t i = 0; i < wl; i++) /* mixed case, digits now and then */
                word[i] = (char)((i * 7 + lead) % 11 == 0 ? '0' + i % 10
                                 : ((i + lead) % 3 ? 'a' : 'A') + (i * 5 + lead) % 26);
            for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
                size_t n = 0;
                memset(text, ' ', lead);
                for (size_t i = 0; i < lead; i += 9) text[i] = i % 2 ? '.' : ',';
                n = lead;
                memcpy(text + n, word, wl);
                n += wl;
                size_t tl = strlen(tails[t]);
                memcpy(text + n, tails[t], tl);
                n += tl;
                toks got;
                tokenize_n(&got, text, n, SEED);
                int ascii = 1;
                for (size_t i = 0; i < n; i++) ascii &= (unsigned char)text[i] < 0x80;
                if (!ascii) continue;
                size_t nw = reference_ascii(text, n, want, numeric, MAX_TOK);
                assert_int_equal(got.n, nw);
                for (size_t i = 0; i < nw; i++)
                    if (got.t[i].raw != want[i]) fail_msg("\"%.*s\": token %zu", (int)n, text, i);
                checked++;
            }
        }
    }
    assert_true(checked > 10000);
    /* words that the connector rules join or split, in one text */
    expect_tokens("Don't e-mail the U.S. 1,000,000 3.14 rock'n'roll a,b 1,a ... -- O`Neil",
                  "dont", "e", "mail", "the", "us", "1000000", "314", "rocknroll", "a", "b",
                  "1", "a", "oneil", NULL);
    expect_tokens("http://www.Example.com/a-b_c?x=1,2&y=3.5#top", "http", "wwwexamplecom", "a",
                  "b", "c", "x", "12", "y", "35", "top", NULL);
}

/* Random texts of ASCII and UTF-8 pieces (letters with accents, combining
 * marks, typographic apostrophes, no-break and wide spaces, full-width
 * letters, ligatures, Han, Thai, Arabic digits, invalid bytes): the window
 * path, nd__tokenizer_next and the general path alone give the same tokens
 * whatever the batch size (tokenize_n). */
static void test_fast_path_differential(void **state)
{
    (void)state;
    static const char *const bits[] = {
        "a", "Z", "q", "7", "0", "'", "`", ".", ",", " ", "\n", "-", "!", "/", ":", "\t",
        "abcdefghijklmnop", "QRSTUVWXYZ", "123456789012345", "\xc3\xa9", "\xe2\x80\x99",
        "\xc2\xa0", "\xe2\x80\x89", "\xcc\x81", "\xef\xbc\xa1", "\xef\xac\x81", "\xe4\xb8\xad",
        "\xe0\xb8\x81", "\xd9\xa3", "\xff", "\xc3", "\xe2\x80\x94", "\xc2\xb4", "\x00",
    };
    uint64_t rs = 4242;
    char text[400];
    size_t total = 0;
    for (int round = 0; round < 4000; round++) {
        size_t n = 0, target = (size_t)(t_rng(&rs) % sizeof text);
        int ascii_only = round % 2 == 0;
        size_t nbits = ascii_only ? 19 : sizeof bits / sizeof bits[0];
        while (n < target) {
            size_t k = (size_t)(t_rng(&rs) % nbits);
            size_t bl = k == 33 ? 1 : strlen(bits[k]);
            if (n + bl > sizeof text) break;
            memcpy(text + n, bits[k], bl);
            n += bl;
        }
        toks got;
        tokenize_n(&got, text, n, SEED);
        total += got.n;
    }
    assert_true(total > 10000); /* the texts did hold words */
}

static void test_case_folding(void **state)
{
    (void)state;
    expect_same("HIDE CAPTION", "hide caption");
    expect_same("Hide Caption", "hIDE cAPTION");
    expect_tokens("HIDE CAPTION", "hide", "caption", NULL);
    /* beyond ASCII: Greek and Cyrillic capitals fold too */
    expect_same("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91", "\xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1");
    expect_same("\xD0\x9C\xD0\x9E\xD0\xA1\xD0\x9A\xD0\x92\xD0\x90", "\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");
}

static void test_full_width(void **state)
{
    (void)state;
    /* "ＡＢＣ" U+FF21..U+FF23 and "ａｂｃ" U+FF41.. */
    expect_same("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3", "abc");
    expect_tokens("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3", "abc", NULL);
    expect_tokens("\xEF\xBD\x81\xEF\xBD\x82\xEF\xBD\x83", "abc", NULL);
    /* full-width digits "１２３" are digits */
    expect_tokens("\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93", "123", NULL);
}

static void test_ligatures(void **state)
{
    (void)state;
    expect_same("\xEF\xAC\x81nd", "find");        /* U+FB01 ﬁ */
    expect_tokens("\xEF\xAC\x81nd", "find", NULL);
    expect_tokens("\xEF\xAC\x80" "ect", "ffect", NULL); /* U+FB00 ﬀ */
}

static void test_quotes_and_apostrophes(void **state)
{
    (void)state;
    expect_tokens("don't", "dont", NULL);
    expect_tokens("don\xE2\x80\x99t", "dont", NULL); /* U+2019 */
    expect_tokens("dont", "dont", NULL);
    expect_same("don\xE2\x80\x99t", "don't");
    expect_same("don`t", "don't");
    expect_same("don\xCA\xBCt", "don't");            /* U+02BC modifier apostrophe */
    /* quotes around words are separators */
    expect_tokens("\xE2\x80\x9C" "Buy American\xE2\x80\x9D plan", "buy", "american", "plan", NULL);
    expect_same("\xE2\x80\x9C" "Buy American\xE2\x80\x9D", "\"Buy American\"");
    expect_same("\xE2\x80\x98sic\xE2\x80\x99", "'sic'");
    expect_tokens("'BACK SEAT'", "back", "seat", NULL);
    /* a trailing apostrophe is dropped: "states'" is "states" */
    expect_tokens("the states' rights", "the", "states", "rights", NULL);
}

static void test_dashes_split_words(void **state)
{
    (void)state;
    expect_tokens("well\xE2\x80\x94known", "well", "known", NULL); /* em dash */
    expect_tokens("well\xE2\x80\x93known", "well", "known", NULL); /* en dash */
    expect_tokens("well-known", "well", "known", NULL);
    expect_tokens("Al-Sudani", "al", "sudani", NULL);
    expect_same("top-of-the-line", "top of the line");
}

static void test_space_like_characters(void **state)
{
    (void)state;
    expect_tokens("a\xC2\xA0" "b", "a", "b", NULL);       /* U+00A0 no-break space */
    expect_tokens("a\xE2\x80\xAF" "b", "a", "b", NULL);   /* U+202F narrow no-break space */
    expect_tokens("a\xE3\x80\x80" "b", "a", "b", NULL);   /* U+3000 ideographic space */
    expect_tokens("ab\xE2\x80\x8B" "cd", "abcd", NULL);   /* U+200B zero-width space: ignored */
    expect_tokens("co\xC2\xAD" "operate", "cooperate", NULL); /* U+00AD soft hyphen: ignored */
    expect_tokens("ab\xE2\x80\x8D" "cd", "abcd", NULL);   /* U+200D zero-width joiner */
    expect_tokens("\xEF\xBB\xBFword", "word", NULL);      /* U+FEFF inside text */
}

static void test_periods_and_commas(void **state)
{
    (void)state;
    expect_same("U.S.", "us");
    expect_tokens("U.S.", "us", NULL);
    expect_tokens("U.S. troops", "us", "troops", NULL);
    expect_tokens("U.N.-sponsored", "un", "sponsored", NULL);
    expect_same("1,000", "1000");
    expect_tokens("1,000", "1000", NULL);
    /* digits joined by commas and a period: one number */
    expect_tokens("$4,000,000.50", "400000050", NULL);
    /* a comma only joins digits: "a, b" and "a,b" are two words */
    expect_tokens("a, b", "a", "b", NULL);
    expect_tokens("a,b", "a", "b", NULL);
    expect_tokens("1, 2", "1", "2", NULL);
    /* A period followed by a word character is dropped inside a word (that is
     * what makes "U.S." one word), so two sentences run together without a
     * space become one token: "end.Next" gives "endnext". Documented, not a
     * bug: text without the space is rare and the alternative breaks "U.S.".
     * With the usual space they are two words. */
    expect_tokens("end.Next", "endnext", NULL);
    expect_tokens("end. Next", "end", "next", NULL);
    expect_tokens("end.", "end", NULL);
    expect_tokens("end..Next", "end", "next", NULL);
    expect_tokens("3.14", "314", NULL);
}

static void test_sharp_s_and_accents(void **state)
{
    (void)state;
    expect_same("Stra\xC3\x9F" "e", "strasse");          /* ß casefolds to ss */
    expect_same("STRASSE", "stra\xC3\x9F" "e");
    expect_same("\xE1\xBA\x9E", "ss");                     /* U+1E9E capital sharp s */
    /* precomposed é (U+00E9) and e + U+0301 give the same single token; the
     * normalized form is the decomposed one */
    expect_same("caf\xC3\xA9", "cafe\xCC\x81");
    expect_tokens("caf\xC3\xA9", "cafe\xCC\x81", NULL);
    expect_tokens("CAF\xC3\x89 au lait", "cafe\xCC\x81", "au", "lait", NULL);
    /* accents are kept: "café" is not "cafe" */
    toks a, b;
    tokenize(&a, "caf\xC3\xA9");
    tokenize(&b, "cafe");
    assert_int_equal(a.n, 1);
    assert_int_equal(b.n, 1);
    assert_true(a.t[0].raw != b.t[0].raw);
}

static void test_canonical_order_of_marks(void **state)
{
    (void)state;
    /* Canonically equivalent spellings of Vietnamese "ệ" give one token:
     * precomposed U+1EC7, ê + U+0323 (dot below), ẹ + U+0302 (circumflex),
     * and e + U+0302 + U+0323 (marks in non-canonical order). NFKC/NFKD
     * reorders the marks (dot below, class 220, before circumflex, 230). */
    expect_tokens("\xE1\xBB\x87", "e\xCC\xA3\xCC\x82", NULL);
    expect_same("\xE1\xBB\x87", "\xC3\xAA\xCC\xA3");
    expect_same("\xE1\xBB\x87", "\xE1\xBA\xB9\xCC\x82");
    expect_same("\xE1\xBB\x87", "e\xCC\x82\xCC\xA3");
}

static void test_many_marks_and_long_decompositions(void **state)
{
    (void)state;
    /* 100 combining acutes on one letter: one token with all of them, and
     * the word after it is intact */
    static char text[512], want[512];
    size_t n = 0, w = 0;
    text[n++] = want[w++] = 'a';
    for (int i = 0; i < 100; i++) {
        memcpy(text + n, "\xCC\x81", 2);
        memcpy(want + w, "\xCC\x81", 2);
        n += 2;
        w += 2;
    }
    memcpy(text + n, " b", 3);
    want[w] = '\0';
    expect_tokens(text, want, "b", NULL);
    /* U+FDFA (one code point, 18 after compatibility decomposition, spaces
     * included) 40 times in a row: no code point is lost on the way, the
     * words around come out whole */
    n = 0;
    text[n++] = 'x';
    text[n++] = ' ';
    for (int i = 0; i < 40; i++) {
        memcpy(text + n, "\xEF\xB7\xBA", 3);
        n += 3;
    }
    memcpy(text + n, " y", 3);
    toks got;
    tokenize(&got, text);
    assert_true(got.n >= 3);
    assert_true(got.t[0].raw == xxh("x"));
    assert_true(got.t[got.n - 1].raw == xxh("y"));
    toks again;
    tokenize(&again, text);
    assert_int_equal(again.n, got.n);
    /* and it is what the decomposition spelled out gives */
    static const char spelled[] = "\xD8\xB5\xD9\x84\xD9\x89 \xD8\xA7\xD9\x84\xD9\x84\xD9\x87 "
                                  "\xD8\xB9\xD9\x84\xD9\x8A\xD9\x87 \xD9\x88\xD8\xB3\xD9\x84\xD9\x85";
    expect_same("\xEF\xB7\xBA", spelled);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* each byte that does not start a valid sequence is one U+FFFD, a letter */
    expect_tokens("\xFF\xFE" "abc \xC3", "\xEF\xBF\xBD\xEF\xBF\xBD" "abc", "\xEF\xBF\xBD", NULL);
    expect_tokens("\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD", NULL);            /* overlong '/' */
    expect_tokens("a\xED\xA0\x80" "b", "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b", NULL); /* surrogate */
    expect_tokens("\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", NULL);
    expect_tokens("x\xE2\x82", "x\xEF\xBF\xBD\xEF\xBF\xBD", NULL);  /* truncated at the end */

    /* random bytes: no crash, and the same bytes always give the same tokens */
    uint64_t st = 12345;
    char buf[97];
    for (int round = 0; round < 3000; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            st = st * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (char)(st >> 56);
        }
        nd__tokenizer t1, t2;
        nd__tokenizer_init(&t1, nd__default_allocator(), SEED);
        nd__tokenizer_init(&t2, nd__default_allocator(), SEED);
        nd__tokenizer_reset(&t1, buf, sizeof buf);
        nd__tokenizer_reset(&t2, buf, sizeof buf);
        nd__token a, b;
        int r1, r2;
        do {
            r1 = nd__tokenizer_next(&t1, &a);
            r2 = nd__tokenizer_next(&t2, &b);
            assert_int_equal(r1, r2);
            assert_true(r1 == 0 || r1 == 1);
            if (r1 == 1) {
                assert_true(a.hash == b.hash);
                assert_true(a.raw == b.raw);
            }
        } while (r1 == 1);
        nd__tokenizer_free(&t1);
        nd__tokenizer_free(&t2);
    }
}

static void test_nul_bytes_separate(void **state)
{
    (void)state;
    static const char text[] = "abc\0def\0\0ghi";
    toks got;
    tokenize_n(&got, text, sizeof text - 1, SEED);
    assert_int_equal(got.n, 3);
    assert_true(got.t[0].raw == xxh("abc"));
    assert_true(got.t[1].raw == xxh("def"));
    assert_true(got.t[2].raw == xxh("ghi"));
    /* the size bounds the text, not the NUL */
    tokenize_n(&got, "abc def", 3, SEED);
    assert_int_equal(got.n, 1);
    assert_true(got.t[0].raw == xxh("abc"));
}

static void test_cjk_one_token_per_character(void **state)
{
    (void)state;
    /* 中文字 */
    expect_tokens("\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97",
                  "\xE4\xB8\xAD", "\xE6\x96\x87", "\xE5\xAD\x97", NULL);
    /* 日本語のテキスト: kanji, hiragana and katakana, 8 characters */
    toks got;
    tokenize(&got, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE"
                   "\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88");
    assert_int_equal(got.n, 8);
    /* mixed with Latin: abc中def */
    expect_tokens("abc\xE4\xB8\xAD" "def", "abc", "\xE4\xB8\xAD", "def", NULL);
    /* CJK punctuation (。) separates and is no token */
    expect_tokens("\xE4\xB8\xAD\xE3\x80\x82\xE6\x96\x87", "\xE4\xB8\xAD", "\xE6\x96\x87", NULL);
    /* half-width katakana ｶ (U+FF76) is mapped to カ (U+30AB) */
    expect_same("\xEF\xBD\xB6", "\xE3\x82\xAB");
    /* a dakuten mark stays with its letter: が = か + U+3099 is one token */
    expect_tokens("\xE3\x81\x8C", "\xE3\x81\x8B\xE3\x82\x99", NULL);
}

static void test_thai_one_token_per_letter(void **state)
{
    (void)state;
    /* สวัสดี = ส ว ั ส ด ี : the vowel signs U+0E31 and U+0E35 are combining
     * marks and stay with the letter before them: 4 tokens */
    expect_tokens("\xE0\xB8\xAA\xE0\xB8\xA7\xE0\xB8\xB1\xE0\xB8\xAA\xE0\xB8\x94\xE0\xB8\xB5",
                  "\xE0\xB8\xAA", "\xE0\xB8\xA7\xE0\xB8\xB1", "\xE0\xB8\xAA",
                  "\xE0\xB8\x94\xE0\xB8\xB5", NULL);
    /* Thai letters next to Latin split from it */
    expect_tokens("ok\xE0\xB8\xAA" "ok", "ok", "\xE0\xB8\xAA", "ok", NULL);
}

/* Counting allocator for the long-token tests. */
typedef struct counting {
    size_t allocs, frees, bytes;
} counting;

static void *count_alloc(void *opaque, size_t size)
{
    counting *c = opaque;
    c->allocs++;
    c->bytes += size;
    return malloc(size);
}

static void count_free(void *opaque, void *ptr)
{
    counting *c = opaque;
    if (ptr) c->frees++;
    free(ptr);
}

/* n bytes of lowercase letters (a valid, already normalized token) */
static char *letters(size_t n, int upper)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) s[i] = (char)((upper && i % 3 == 0 ? 'A' : 'a') + (i * 7) % 26);
    s[n] = '\0';
    return s;
}

static void test_huge_token(void **state)
{
    (void)state;
    const size_t mb = 1u << 20;
    char *text = letters(mb, 1);       /* mixed case */
    char *folded = letters(mb, 0);     /* the same, lowercase */
    counting c = { 0, 0, 0 };
    nd_allocator al = { count_alloc, count_free, &c };

    nd__tokenizer tk;
    nd__token t1, t2;
    nd__tokenizer_init(&tk, &al, SEED);
    nd__tokenizer_reset(&tk, text, mb);
    assert_int_equal(nd__tokenizer_next(&tk, &t1), 1);
    assert_int_equal(nd__tokenizer_next(&tk, &t2), 0);
    /* one fixed-size allocation (the streaming state), not one per chunk and
     * not growing with the token */
    assert_int_equal(c.allocs, 1);
    assert_true(c.bytes < 4096);
    size_t one_mb_bytes = c.bytes;
    /* same value as hashing the normalized token in one piece */
    assert_true(t1.raw == XXH3_64bits_withSeed(folded, mb, SEED));
    assert_true(t1.hash == t1.raw);

    /* a second token, twice as long, through the same tokenizer: no new
     * allocation at all */
    char *text2 = letters(2 * mb, 1);
    nd__tokenizer_reset(&tk, text2, 2 * mb);
    assert_int_equal(nd__tokenizer_next(&tk, &t2), 1);
    assert_int_equal(c.allocs, 1);
    assert_int_equal(c.bytes, one_mb_bytes);
    nd__tokenizer_free(&tk);
    assert_int_equal(c.frees, 1);

    /* a second tokenizer run over the same text gives the same token */
    nd__tokenizer tk2;
    nd__token t3;
    nd__tokenizer_init(&tk2, &al, SEED);
    nd__tokenizer_reset(&tk2, text, mb);
    assert_int_equal(nd__tokenizer_next(&tk2, &t3), 1);
    assert_true(t3.raw == t1.raw);
    nd__tokenizer_free(&tk2);
    free(text);
    free(text2);
    free(folded);
}

/* An allocator that returns memory aligned exactly as malloc promises
 * (alignof(max_align_t), 16 on x86-64) but never more: every block starts 16
 * bytes past a 64-byte boundary. The header's contract allows it. */
static void *align16_alloc(void *opaque, size_t size)
{
    (void)opaque;
    unsigned char *base = aligned_alloc(64, ((size + 80 + 63) / 64) * 64);
    if (!base) return NULL;
    unsigned char *p = base + 16 + sizeof(void *) * 2;   /* 32 mod 64 on LP64 */
    p += (64 - ((uintptr_t)p % 64) + 16) % 64;            /* now 16 mod 64 */
    memcpy(p - sizeof base, &base, sizeof base);
    return p;
}

static void align16_free(void *opaque, void *ptr)
{
    (void)opaque;
    if (!ptr) return;
    unsigned char *base;
    memcpy(&base, (unsigned char *)ptr - sizeof base, sizeof base);
    free(base);
}

/* The body of test_long_token_with_malloc_alignment, run in a child process
 * because a sanitizer report there aborts the process. @return 0 if good. */
static int long_token_in_16_aligned_memory(void)
{
    nd_allocator al = { align16_alloc, align16_free, NULL };
    const size_t n = 1000;
    char *w = letters(n, 0);
    nd__tokenizer tk;
    nd__token t;
    nd__tokenizer_init(&tk, &al, SEED);
    nd__tokenizer_reset(&tk, w, n);
    int bad = nd__tokenizer_next(&tk, &t) != 1 || t.raw != XXH3_64bits_withSeed(w, n, SEED);
    nd__tokenizer_free(&tk);
    free(w);
    return bad;
}

static void test_long_token_with_malloc_alignment(void **state)
{
    (void)state;
    /* The streaming state of a long token must work in any memory the
     * allocator may return, i.e. aligned to 16 bytes only. XXH3_state_t
     * requires 64-byte alignment, so allocating it with nd__alloc as it is
     * is undefined behaviour (UBSan: "member access within misaligned
     * address"), and a crash when xxHash is built with AVX2/AVX-512 aligned
     * loads. Run in a child so that a sanitizer abort fails only this test. */
    void *probe = align16_alloc(NULL, 100);
    assert_int_equal((uintptr_t)probe % 64, 16);
    align16_free(NULL, probe);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(long_token_in_16_aligned_memory());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("long token in 16-byte aligned memory: child %s %d",
                 WIFEXITED(status) ? "exited with" : "killed by signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static void test_long_token_lengths(void **state)
{
    (void)state;
    /* around the internal buffer size, and followed by a short token that
     * must not inherit the streaming state */
    const size_t lens[] = { 1, 255, 256, 257, 258, 511, 512, 513, 1000, 4097 };
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t n = lens[k];
        char *w = letters(n, 0);
        char *text = malloc(n + 8);
        assert_non_null(text);
        memcpy(text, w, n);
        memcpy(text + n, " tail", 6);
        toks got;
        tokenize(&got, text);
        assert_int_equal(got.n, 2);
        if (got.t[0].raw != XXH3_64bits_withSeed(w, n, SEED)) fail_msg("length %zu", n);
        assert_true(got.t[1].raw == xxh("tail"));
        free(text);
        free(w);
    }
}

static void test_long_multibyte_token(void **state)
{
    (void)state;
    /* 300 x "é" precomposed: normalized to e + U+0301 (3 bytes each), so the
     * 900-byte token crosses the buffer boundary inside a character's bytes */
    enum { N = 300 };
    static char text[2 * N + 1], norm[3 * N + 1], han[3 * N + 1];
    for (size_t i = 0; i < N; i++) {
        memcpy(text + 2 * i, "\xC3\xA9", 2);
        memcpy(norm + 3 * i, "e\xCC\x81", 3);
        memcpy(han + 3 * i, "\xE4\xB8\xAD", 3);
    }
    /* 300 Han characters are 300 tokens */
    nd__tokenizer tk;
    nd__tokenizer_init(&tk, nd__default_allocator(), SEED);
    nd__tokenizer_reset(&tk, han, 3 * N);
    size_t count = 0;
    nd__token t;
    while (nd__tokenizer_next(&tk, &t) == 1) count++;
    nd__tokenizer_free(&tk);
    assert_int_equal(count, N);

    toks got;
    tokenize(&got, text);
    assert_int_equal(got.n, 1);
    assert_true(got.t[0].raw == XXH3_64bits_withSeed(norm, 3 * N, SEED));
}

static void test_digit_tokens(void **state)
{
    (void)state;
    toks a, b;
    tokenize(&a, "22 PHOTOS");
    tokenize(&b, "23 PHOTOS");
    assert_int_equal(a.n, 2);
    assert_int_equal(b.n, 2);
    /* all-digit tokens share one folded hash, the raw hash keeps the digits */
    assert_true(a.t[0].hash == b.t[0].hash);
    assert_true(a.t[0].raw != b.t[0].raw);
    assert_true(a.t[0].raw == xxh("22"));
    assert_true(b.t[0].raw == xxh("23"));
    assert_true(a.t[1].hash == b.t[1].hash && a.t[1].raw == b.t[1].raw);
    /* a non-digit token's hash is its raw hash */
    assert_true(a.t[1].hash == a.t[1].raw);
    assert_true(a.t[0].hash != a.t[0].raw);

    toks c;
    tokenize(&c, "2017 1,000 7 0 123456789012345678901234567890");
    assert_int_equal(c.n, 5);
    for (size_t i = 1; i < c.n; i++) {
        assert_true(c.t[i].hash == c.t[0].hash);
        assert_true(c.t[i].raw != c.t[0].raw);
    }
    /* letters and digits mixed are not a number */
    toks d;
    tokenize(&d, "24th 2-12 A380");
    assert_int_equal(d.n, 4);
    assert_true(d.t[0].hash == xxh("24th"));
    assert_true(d.t[1].hash == c.t[0].hash);   /* "2" */
    assert_true(d.t[2].hash == c.t[0].hash);   /* "12" */
    assert_true(d.t[3].hash == xxh("a380"));
}

static void test_seed_changes_hashes(void **state)
{
    (void)state;
    toks a, b;
    tokenize_n(&a, "hello 42", 8, SEED);
    tokenize_n(&b, "hello 42", 8, SEED + 1);
    assert_int_equal(a.n, 2);
    assert_int_equal(b.n, 2);
    assert_true(a.t[0].raw != b.t[0].raw);
    assert_true(a.t[1].hash != b.t[1].hash);   /* the number hash is seeded too */
    assert_true(b.t[0].raw == XXH3_64bits_withSeed("hello", 5, SEED + 1));
}

static void test_reset_restarts(void **state)
{
    (void)state;
    /* a reset in the middle of a text discards what was queued */
    nd__tokenizer tk;
    nd__token t;
    nd__tokenizer_init(&tk, nd__default_allocator(), SEED);
    nd__tokenizer_reset(&tk, "first second third", 18);
    assert_int_equal(nd__tokenizer_next(&tk, &t), 1);
    assert_true(t.raw == xxh("first"));
    nd__tokenizer_reset(&tk, "other", 5);
    assert_int_equal(nd__tokenizer_next(&tk, &t), 1);
    assert_true(t.raw == xxh("other"));
    assert_int_equal(nd__tokenizer_next(&tk, &t), 0);
    assert_int_equal(nd__tokenizer_next(&tk, &t), 0);
    nd__tokenizer_free(&tk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii_words),
        cmocka_unit_test(test_ascii_path_matches_reference),
        cmocka_unit_test(test_fast_path_boundaries),
        cmocka_unit_test(test_fast_path_differential),
        cmocka_unit_test(test_case_folding),
        cmocka_unit_test(test_full_width),
        cmocka_unit_test(test_ligatures),
        cmocka_unit_test(test_quotes_and_apostrophes),
        cmocka_unit_test(test_dashes_split_words),
        cmocka_unit_test(test_space_like_characters),
        cmocka_unit_test(test_periods_and_commas),
        cmocka_unit_test(test_sharp_s_and_accents),
        cmocka_unit_test(test_canonical_order_of_marks),
        cmocka_unit_test(test_many_marks_and_long_decompositions),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_bytes_separate),
        cmocka_unit_test(test_cjk_one_token_per_character),
        cmocka_unit_test(test_thai_one_token_per_letter),
        cmocka_unit_test(test_huge_token),
        cmocka_unit_test(test_long_token_with_malloc_alignment),
        cmocka_unit_test(test_long_token_lengths),
        cmocka_unit_test(test_long_multibyte_token),
        cmocka_unit_test(test_digit_tokens),
        cmocka_unit_test(test_seed_changes_hashes),
        cmocka_unit_test(test_reset_restarts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
