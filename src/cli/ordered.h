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

/* Formats items 0 .. n-1 with fmt on `threads` threads (the calling one
 * among them) and writes them to out in order. Falls back to formatting
 * straight into out on one thread when threads < 2, n is small, or a
 * thread or stream cannot be made. @return 0, or -1 when a memory stream
 * failed mid-way (out then holds the items before it: the caller reports
 * the failure as it reports one of out). */
int cli_format_ordered(size_t n, unsigned threads, cli_format_fn fmt, void *arg, FILE *out);

#endif
