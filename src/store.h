/*
 * Private declarations of the signature store (docs/FORMAT.md): the byte
 * codec (codec.c) and the few store internals the tests reach. Nothing here
 * is API.
 *
 * Every multi-byte integer of a store file is little-endian and is read and
 * written through these helpers, one byte at a time, so that the file is the
 * same on every host (never fwrite() of a struct).
 */
#ifndef ND_STORE_H
#define ND_STORE_H

#include "internal.h"

/* ---- Format constants (docs/FORMAT.md) ----------------------------------- */
#define ND__STORE_MAGIC 0x73646EF9u       /* bytes F9 6E 64 73: 0xF9 never occurs in UTF-8 */
#define ND__STORE_WRITE_VERSION ((unsigned)ND_STORE_WRITE_VERSION)
#define ND__STORE_READ_VERSION ((unsigned)ND_STORE_READ_VERSION)
#define ND__STORE_FIXED_HEADER 16u        /* magic .. reserved, before the parameter block */
#define ND__STORE_MAX_PARAMS 4096u        /* Param_Length at most */
#define ND__STORE_SLOT_SIZE 48u
#define ND__STORE_FRAME_HEADER 32u
#define ND__STORE_MAX_RAW (64u << 20)     /* inflated size of one record block at most */
#define ND__STORE_MAX_RATIO 1032u         /* DEFLATE's largest expansion on inflate */
#define ND__STORE_MAX_STRING (1u << 20)   /* id and source bytes at most */
#define ND__STORE_MIN_RECORD 6u           /* bytes of the smallest possible record */
#define ND__STORE_MIN_PARA 6u             /* bytes of the smallest possible paragraph */

/* The schemes that compute the values a store keeps. Bump when shingle.c,
 * normalize.c's token hashing or minhash.c change what they compute for the
 * same input and parameters (that is a format break for stored signatures). */
#define ND__HASH_SCHEME 1u    /* shingles: XXH3-64 over w folded token hashes (shingle.c) */
/* minhash_scheme: the context's (nd_minhash_scheme, minhash.c), 1 or 2 */

/* Frame types: < 0x80 must be understood, >= 0x80 may be skipped. */
#define ND__FRAME_RECORDS 0x01u
#define ND__FRAME_SKIPPABLE 0x80u
/* Frame_Flags of a record block (version 2): its records reference
 * signatures of the previous record block. */
#define ND__FRAME_PREV 0x01u

/* ---- codec.c: little-endian loads and stores ----------------------------- */
void nd__le16_put(unsigned char *p, uint16_t v);
void nd__le32_put(unsigned char *p, uint32_t v);
void nd__le64_put(unsigned char *p, uint64_t v);
uint16_t nd__le16_get(const unsigned char *p);
uint32_t nd__le32_get(const unsigned char *p);
uint64_t nd__le64_get(const unsigned char *p);

/* ---- codec.c: varints (LEB128, at most 10 bytes for 64 bits) ------------- */
#define ND__VARINT_MAX 10
/* Writes v at p (room for ND__VARINT_MAX bytes). @return bytes written. */
size_t nd__varint_put(unsigned char *p, uint64_t v);
/* Reads a varint from [*p, end). @return 0 and advances *p, or -1 when the
 * bytes end first or the value does not fit 64 bits. */
int nd__varint_get(const unsigned char **p, const unsigned char *end, uint64_t *out);
/* Signed values as unsigned: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... (two's
 * complement wrap-around, so any pair of int64 has a delta). */
uint64_t nd__zigzag(uint64_t delta);
uint64_t nd__unzigzag(uint64_t v);

/* ---- codec.c: bit fields -------------------------------------------------- */
/* Numbers of n bits (0..32) packed least significant bit first: the number
 * at bit offset `bit` of p. put ORs into bytes that start zeroed. */
uint32_t nd__bits_get(const unsigned char *p, size_t bit, unsigned n);
void nd__bits_put(unsigned char *p, size_t bit, unsigned n, uint32_t v);

/* ---- codec.c: b-bit signatures ------------------------------------------- */
/* Bytes of a signature of k values of `bits` bits (8, 16 or 32). */
static inline size_t nd__sig_bytes(unsigned k, unsigned bits) { return (size_t)k * (bits / 8); }
/* Keeps the low `bits` bits of each of the k values, little-endian. */
void nd__sig_pack(unsigned char *out, const uint32_t *sig, unsigned k, unsigned bits);
/* The inverse, widened back to uint32 (the high bits are 0). */
void nd__sig_unpack(uint32_t *out, const unsigned char *in, unsigned k, unsigned bits);

/* ---- store internals for the tests ------------------------------------- */
/* Bytes of records and signatures at which the writer closes a block
 * (default 4 MiB). */
void nd__store_set_block_target(nd_store *s, size_t bytes);
/* Writes a frame of any type (tests of skippable frames). Not committed. */
int nd__store_write_frame(nd_store *s, unsigned type, const void *content, size_t size);

/* The store's I/O layer: every write, flush and truncation of a handle's
 * file goes through it, so that tests can make any of them fail (disk
 * full, EIO). Each returns 0, or -1 with errno set. Per handle, no global
 * state; the payload is the caller's. */
typedef struct nd__store_io {
    int (*write)(void *payload, int fd, const void *buf, size_t n, uint64_t off);
    int (*sync)(void *payload, int fd);
    int (*truncate)(void *payload, int fd, uint64_t len);
    void *payload;
} nd__store_io;
/* Replaces the handle's I/O layer (NULL: the system's calls). */
void nd__store_set_io(nd_store *s, const nd__store_io *io);

#endif
