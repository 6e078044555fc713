/*
 * Output formatted on several threads and written in order: items (a
 * scan's documents, each with its paragraphs' records) are formatted in
 * chunks, each thread into its own memory stream, and the chunks are
 * written one after the other, so the bytes are those of one thread
 * formatting every item in turn.
 */
#ifndef ND_CLI_ORDERED_H
#define ND_CLI_ORDERED_H

#include <stddef.h>
#include <stdio.h>

/* Writes item i to f. Called on several threads at once, for different i:
 * it may only read what they share. */
typedef void (*cli_format_fn)(void *arg, FILE *f, size_t i);

/* Roughly how many records item i makes (a document's paragraphs, plus
 * one): chunks are cut so that none holds much more than a few MB, and an
 * item too large for one is written straight to out, in its turn. */
typedef size_t (*cli_weight_fn)(void *arg, size_t i);

enum { CLI_ORDERED_OK = 0, CLI_ORDERED_NOMEM = -1, CLI_ORDERED_WRITE = -2 };

/* Formats items 0 .. n-1 with fmt on `threads` threads (the calling one
 * among them) and writes them to out in order. Formats straight into out
 * on the calling thread when threads < 2, there are 64 items or fewer (one
 * chunk's worth), or a thread or stream cannot be made. @return CLI_ORDERED_OK;
 * CLI_ORDERED_NOMEM when a memory stream failed mid-way, CLI_ORDERED_WRITE
 * when writing to out failed (out then holds the items before the failed
 * chunk, and the caller reports the failure). */
int cli_format_ordered(size_t n, unsigned threads, cli_format_fn fmt, cli_weight_fn weight, void *arg,
                       FILE *out);

#endif
