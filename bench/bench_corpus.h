/*
 * The benchmark's corpus: every document decoded into one memory arena, so
 * that timing never includes I/O or JSON decoding, and deterministic
 * replicas of it for the scaling curve.
 *
 *   text arena:  | doc 0 text | doc 1 text | ... |
 *   name arena:  | id 0 | source 0 | id 1 | source 1 | ...
 *   docs[i]:     offsets and lengths into the two arenas
 */
#ifndef ND_BENCH_CORPUS_H
#define ND_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_doc {
    size_t off, len;          /* text, in the text arena */
    size_t id_off, id_len;    /* id, in the name arena */
    size_t src_off, src_len;  /* source (feed), in the name arena; may be empty */
} bench_doc;

typedef struct bench_corpus {
    char *text;
    size_t text_len, text_cap;
    char *names;
    size_t names_len, names_cap;
    bench_doc *docs;
    size_t ndocs, doc_cap;
    size_t skipped;           /* JSONL lines left out: malformed, or no "text" string */
} bench_corpus;

#define BENCH_CORPUS_INIT { NULL, 0, 0, NULL, 0, 0, NULL, 0, 0, 0 }

/* Loads a corpus file into memory. A name ending in ".jsonl" is read as JSON
 * Lines ({"id", "text", "source"} per line, as `neardup scan` reads it);
 * anything else as text whose documents are separated by a line holding
 * only a form feed (a file without one is one document).
 * @return 0, or -1 with a message in err (NUL-terminated, errsz bytes). */
int bench_corpus_load(bench_corpus *c, const char *path, char *err, size_t errsz);

/* Builds out = `factor` copies of in: copy 0 is in itself, copy r >= 1 has,
 * in every paragraph, one word changed by a generator seeded with
 * (seed, r, document), so that copies are near-duplicates and never equal.
 * Ids get a "#r" suffix. @return 0, or -1 when out of memory. */
int bench_corpus_replicate(bench_corpus *out, const bench_corpus *in, unsigned factor,
                           uint64_t seed);

void bench_corpus_free(bench_corpus *c);

/* splitmix64: the generator of every variation (fast, seedable, portable). */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
