/*
 * Byte codec of the signature store: little-endian integers, LEB128 varints,
 * zigzag deltas and b-bit signature packing. Pure functions of their
 * arguments; the reader's bounds checks are in the varint decoder, so that a
 * hostile file cannot make it read past the end of a buffer.
 */
#include "store.h"

void nd__le16_put(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

void nd__le32_put(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void nd__le64_put(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

uint16_t nd__le16_get(const unsigned char *p) { return (uint16_t)(p[0] | (unsigned)p[1] << 8); }

uint32_t nd__le32_get(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t nd__le64_get(const unsigned char *p)
{
    return (uint64_t)nd__le32_get(p) | (uint64_t)nd__le32_get(p + 4) << 32;
}

size_t nd__varint_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

int nd__varint_get(const unsigned char **pp, const unsigned char *end, uint64_t *out)
{
    const unsigned char *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end) return -1;
        unsigned char b = *p++;
        /* the tenth byte holds bit 63 only: anything more would overflow */
        if (shift == 63 && b > 1) return -1;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

uint64_t nd__zigzag(uint64_t d) { return (d << 1) ^ (0 - (d >> 63)); }

uint64_t nd__unzigzag(uint64_t v) { return (v >> 1) ^ (0 - (v & 1)); }

uint32_t nd__bits_get(const unsigned char *p, size_t bit, unsigned n)
{
    /* the bytes the number touches only, at most 5 */
    const unsigned char *b = p + bit / 8;
    unsigned shift = (unsigned)(bit % 8), bytes = (shift + n + 7) / 8;
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) v |= (uint64_t)b[i] << (8 * i);
    return n ? (uint32_t)((v >> shift) & (UINT64_MAX >> (64 - n))) : 0;
}

void nd__bits_put(unsigned char *p, size_t bit, unsigned n, uint32_t v)
{
    for (unsigned i = 0; i < n; i++, bit++) p[bit / 8] |= (unsigned char)((v >> i & 1) << (bit % 8));
}

void nd__sig_pack(unsigned char *out, const uint32_t *sig, unsigned k, unsigned bits)
{
    switch (bits) {
    case 8:
        for (unsigned i = 0; i < k; i++) out[i] = (unsigned char)sig[i];
        break;
    case 16:
        for (unsigned i = 0; i < k; i++) nd__le16_put(out + 2 * (size_t)i, (uint16_t)sig[i]);
        break;
    default:
        for (unsigned i = 0; i < k; i++) nd__le32_put(out + 4 * (size_t)i, sig[i]);
        break;
    }
}

void nd__sig_unpack(uint32_t *out, const unsigned char *in, unsigned k, unsigned bits)
{
    switch (bits) {
    case 8:
        for (unsigned i = 0; i < k; i++) out[i] = in[i];
        break;
    case 16:
        for (unsigned i = 0; i < k; i++) out[i] = nd__le16_get(in + 2 * (size_t)i);
        break;
    default:
        for (unsigned i = 0; i < k; i++) out[i] = nd__le32_get(in + 4 * (size_t)i);
        break;
    }
}
