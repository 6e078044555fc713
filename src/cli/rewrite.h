/*
 * `neardup merge` and `neardup prune`: a new store written beside the old
 * one and renamed into place, so that readers see the old file or the new
 * one, never a part. One definition for the CLI (store_cmd.c) and the Python
 * package (neardup.merge, neardup.prune). Nothing here prints: failures are
 * described in a caller's buffer, notes (a recovery done when opening, a
 * leftover removed) go to a callback.
 */
#ifndef ND_CLI_REWRITE_H
#define ND_CLI_REWRITE_H

#include <stddef.h>
#include <stdint.h>
#include "neardup.h"

/* A note for the user, not a failure: a warning (a recovery done when
 * opening a store) or not (a leftover file removed). */
typedef void (*cli_note_fn)(int warning, const char *note, void *payload);

/* Where failures are described: msg[0 .. size) gets an English message
 * naming the file ("" when the code says it all). */
typedef struct cli_rewrite_io {
    char *msg;
    size_t size;
    cli_note_fn note; /* may be NULL */
    void *payload;
} cli_rewrite_io;

/*! cli_merge_stores() : writes every document of the stores in[0..n) (open,
 *  any mode), in order, to a new store `out` with in[0]'s parameters; stores
 *  with other signature parameters are refused (ND_E_PARAM_MISMATCH, naming
 *  the parameter). An existing `out` is replaced. *out_docs (may be NULL)
 *  receives the number written. @return ND_OK or the library's error. */
int cli_merge_stores(const char *out, nd_store *const *in, size_t n, size_t *out_docs, cli_rewrite_io *io);

/* Which documents a prune keeps: those indexed at or after `before` (when
 * have_before), and of those the `keep` most recent (when have_keep; ties:
 * the later appended is the newer). */
typedef struct cli_prune_rule {
    int have_before, have_keep;
    int64_t before;
    uint64_t keep;
} cli_prune_rule;

/*! cli_prune_store() : rewrites the store at `path` with only the documents
 *  the rule keeps, holding its appender's lock meanwhile (ND_E_LOCKED when
 *  another appender holds it); first removes the temporary files
 *  (PATH.tmp.XXXXXX) a killed prune left, noting each. *out_kept and
 *  *out_total (may be NULL) receive the counts. @return ND_OK or the error. */
int cli_prune_store(const char *path, const cli_prune_rule *rule, size_t *out_kept, size_t *out_total,
                    cli_rewrite_io *io);

#endif
