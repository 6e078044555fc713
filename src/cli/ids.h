/*
 * Unique ids in a run: the rule the CLI's readers (input.c) and the Python
 * package (python/src) share, so that both report repeated ids the same way.
 *
 * Results are keyed by id, so two documents with one id would make the
 * output ambiguous (the second is reported as a copy of "itself"). The first
 * document keeps its id; each later one is still processed, under the first
 * unused "ID#N" (N = 2, 3, ...), and the caller warns, naming both places.
 * Every id delivered (renamed ones too) is remembered until the end of the
 * pass, at about 56 bytes plus its own length: exact, since a hash collision
 * must not rename a document.
 */
#ifndef ND_CLI_IDS_H
#define ND_CLI_IDS_H

#include <stddef.h>
#include <stdint.h>
#include "json.h" /* cli_buf */

typedef struct cli_id_entry {
    uint64_t hash;
    size_t off, len; /* the id in cli_ids.bytes */
    size_t file;     /* index in cli_ids.files of the file it came from */
    size_t line;     /* JSONL line, or 0 */
    size_t next_n;   /* first "#N" suffix to try for a repeat of this id */
    int renamed;     /* the id was made here for a repeated one */
} cli_id_entry;

/* Every id delivered in the current pass. All zeros is the empty set. */
typedef struct cli_ids {
    cli_buf bytes;    /* the ids back to back */
    cli_id_entry *e;
    size_t n, cap;
    size_t *slots;    /* open addressing: entry index + 1, 0 = empty */
    size_t nslots;    /* a power of two, or 0 */
    char **files;     /* paths of the files ids came from */
    size_t nfiles, files_cap;
    int file_open;    /* the current file is files[nfiles - 1] */
    int failed;       /* out of memory: ids are no longer checked */
    cli_buf renamed;  /* the id given to the current document */
} cli_ids;

/* Where the first holder of a repeated id came from. */
typedef struct cli_id_repeat {
    const char *path; /* its file (valid until cli_ids_reset) */
    size_t line;      /* its line, or 0 */
    int renamed;      /* it holds an id made for a repeated one */
} cli_id_repeat;

enum { CLI_ID_KEPT = 0, CLI_ID_RENAMED = 1, CLI_ID_NOMEM = -1 };

/* Makes the id *id[0..*id_len) of a document read from `path` (at `line`,
 * or 0) unique in the pass. CLI_ID_KEPT: it was new. CLI_ID_RENAMED: *id and
 * *id_len now give "ID#N", in t's memory (valid until the next call), and
 * *out where the first holder came from. CLI_ID_NOMEM: out of memory, ids
 * are no longer checked in this pass (warn once; t->failed is also set
 * after CLI_ID_RENAMED when remembering the new id failed). `path` is copied at the
 * first call after cli_ids_new_file() (or the first call of the pass). */
int cli_ids_check(cli_ids *t, const char *path, size_t line, const char **id, size_t *id_len,
                  cli_id_repeat *out);

/* The next document comes from another file. */
void cli_ids_new_file(cli_ids *t);

/* Forgets the ids of the pass; the memory is kept for the next one. */
void cli_ids_reset(cli_ids *t);

/* Releases everything; t is then the empty set. */
void cli_ids_free(cli_ids *t);

#endif
