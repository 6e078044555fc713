/*
 * The signature store's commits (docs/FORMAT.md, "Commit slots" and
 * "Opening"): which commit a reader uses, what the bytes after it are, and
 * recovery.
 *
 * A slot is written only after the frames it names are flushed, so the
 * frames of a commit pass their checksums whether or not its slot survived.
 * A damaged slot (a flipped bit, or a torn write) looks the same as a commit
 * that never finished; the frames after the older commit may then hold
 * committed documents. Nothing here ever cuts them: readers use the older
 * commit and say so, appenders refuse the file, and only nd_store_recover()
 * (`neardup recover`, which keeps a copy) rolls forward over the frames that
 * pass their checksums and writes a commit that names them. When both slots
 * are intact, bytes after the newest commit were never committed (a crash
 * before the commit): a torn tail, which an appender cuts.
 */
#define _FILE_OFFSET_BITS 64 /* stores past 2 GiB on 32-bit hosts too */
#include <errno.h>
#include <stdio.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include "store_impl.h"

void nd__slot_encode(unsigned char *b, const nd__slot *sl)
{
    nd__le64_put(b, sl->seq);
    nd__le64_put(b + 8, sl->end);
    nd__le64_put(b + 16, sl->docs);
    nd__le64_put(b + 24, sl->paras);
    nd__le64_put(b + 32, sl->text);
    nd__le64_put(b + 40, XXH64(b, 40, 0));
}

/* @return 1 when the slot's checksum holds and its fields are plausible. */
static int nd__slot_decode(const nd_store *s, const unsigned char *b, nd__slot *sl)
{
    if (!nd__sum_ok(XXH64(b, 40, 0), nd__le64_get(b + 40))) return 0;
    sl->seq = nd__le64_get(b);
    sl->end = nd__le64_get(b + 8);
    sl->docs = nd__le64_get(b + 16);
    sl->paras = nd__le64_get(b + 24);
    sl->text = nd__le64_get(b + 32);
    return sl->end >= s->data_start;
}

/* The frame at pos, if its header and content pass their checks and it
 * ends by the end of the file. @return 1 and *b, or 0. */
static int nd__intact_frame(nd_store *s, uint64_t pos, nd__blockref *b)
{
    unsigned char h[ND__STORE_FRAME_HEADER];
    if (s->file_size < pos || s->file_size - pos < ND__STORE_FRAME_HEADER) return 0;
    if (nd__pread(s->fd, h, sizeof h, pos) || nd__frame_decode(s, h, pos, s->file_size, b)) return 0;
    return nd__read_content(s, b) == ND_OK;
}

/* Counts the frames after the commit in use that pass their checksums, in
 * a row: what a damaged or lost commit record may have committed. */
static void nd__scan_after(nd_store *s)
{
    uint64_t pos = s->slot.end;
    nd__blockref b;
    s->after_docs = 0;
    while (nd__intact_frame(s, pos, &b)) {
        s->after_docs += b.ndocs;
        pos += ND__STORE_FRAME_HEADER + (uint64_t)b.content_size;
    }
    s->after_end = pos;
}

/* The verdict on the bytes after the commit in use, as the handle's
 * warning and, when committed data may be missing, s->damage. */
static void nd__judge_tail(nd_store *s, int bad_slot, uint64_t newest_docs)
{
    const unsigned long long seq = s->slot.seq, torn = s->torn;
    if (torn) nd__scan_after(s);
    s->lost = s->past_end && newest_docs > s->slot.docs + s->after_docs
              ? newest_docs - s->slot.docs - s->after_docs : 0;
    s->needs_recovery = s->past_end || (bad_slot >= 0 && torn);
    if (s->past_end)
        snprintf(s->damage, sizeof s->damage, "committed data missing: the last commit counts %llu "
                 "documents and ends past the end of the file (cut short?); %llu of them are lost, "
                 "%llu are in intact frames after commit %llu", (unsigned long long)newest_docs,
                 (unsigned long long)s->lost, (unsigned long long)s->after_docs, seq);
    else if (s->needs_recovery)
        snprintf(s->damage, sizeof s->damage, "commit slot %d is damaged and %llu bytes follow commit "
                 "%llu: they may be committed data (%llu documents in intact frames)", bad_slot, torn,
                 seq, (unsigned long long)s->after_docs);
    if (s->needs_recovery)
        nd__fail(s, ND_OK, "%s; using commit %llu (%llu documents)", s->damage, seq,
                 (unsigned long long)s->slot.docs);
    else if (bad_slot >= 0)
        nd__fail(s, ND_OK, "commit slot %d is damaged (an older commit: nothing lost; the next commit "
                 "rewrites it)", bad_slot);
    else if (torn)
        nd__fail(s, ND_OK, "torn tail of %llu bytes after the last commit ignored (never committed)", torn);
}

int nd__choose_commit(nd_store *s)
{
    unsigned char b[2 * ND__STORE_SLOT_SIZE];
    nd__slot sl[2];
    int ok[2], order[2] = { 0, 1 }, bad_slot = -1;
    uint64_t newest_docs = 0;
    if (s->file_size < s->data_start) return nd__fail(s, ND_E_CORRUPT, "commit slots cut short");
    if (nd__pread(s->fd, b, sizeof b, s->header_len)) return nd__fail_errno(s, "reading the commit slots");
    for (int i = 0; i < 2; i++)
        if (!(ok[i] = nd__slot_decode(s, b + i * ND__STORE_SLOT_SIZE, &sl[i]))) bad_slot = i;
    if (!ok[0] || (ok[1] && sl[1].seq > sl[0].seq)) { order[0] = 1; order[1] = 0; }
    if (ok[order[0]]) {
        s->max_seq = sl[order[0]].seq;
        newest_docs = sl[order[0]].docs;
    }
    /* when no slot qualifies, the state before any commit: an empty store,
     * whose frames recovery can still roll forward over */
    nd__slot use = { 0, s->data_start, 0, 0, 0 };
    s->cur_slot = bad_slot >= 0 ? bad_slot ^ 1 : 0;
    for (int j = 0; j < 2; j++) {
        int i = order[j];
        if (!ok[i]) continue;
        if (sl[i].end > s->file_size) {
            s->past_end = 1;
            continue;
        }
        use = sl[i];
        s->cur_slot = i;
        break;
    }
    int rc = nd__scan_frames(s, &use);
    if (rc) return rc;
    s->slot = use;
    s->torn = s->file_size - use.end;
    s->recovered = bad_slot >= 0 || s->past_end;
    nd__judge_tail(s, bad_slot, newest_docs);
    if (!ok[0] && !ok[1] && !s->needs_recovery)
        return nd__fail(s, ND_E_CORRUPT, "both commit slots are damaged");
    return ND_OK;
}

/* Extends the block table over the intact frames after the commit, up to
 * s->after_end, reading every record block (a frame may pass its checksum
 * and still not parse). *out receives the totals of the commit that names
 * the frames kept. */
static int nd__roll_forward(nd_store *s, nd__slot *out)
{
    *out = s->slot;
    while (out->end < s->after_end) {
        nd__blockref b;
        if (!nd__intact_frame(s, out->end, &b)) break;
        b.first_doc = out->docs;
        b.prev = s->last_records;
        if ((b.flags & ND__FRAME_PREV) && b.prev == SIZE_MAX) break;
        int rc = nd__reserve(&s->al, (void **)&s->blocks, &s->blocks_cap, s->nblocks + 1, sizeof *s->blocks);
        if (rc) return nd__fail(s, rc, "out of memory");
        s->blocks[s->nblocks] = b;
        if (b.type == ND__FRAME_RECORDS) {
            s->committed_blocks = s->nblocks + 1; /* so that the reader takes it */
            if (nd__load_block(s, s->nblocks)) break;
            out->paras += s->r.nparas;
            out->text += s->r.text;
            out->docs += b.ndocs;
            s->last_records = s->nblocks;
        }
        s->nblocks++;
        out->end += ND__STORE_FRAME_HEADER + (uint64_t)b.content_size;
    }
    s->committed_blocks = s->nblocks;
    return ND_OK;
}

int nd_store_recover(nd_store *s)
{
    if (!s) return ND_E_INVALID;
    if (!nd__usable(s)) return ND_E_STATE;
    if (s->mode != ND_STORE_RECOVER) return nd__fail(s, ND_E_STATE, "not opened with ND_STORE_RECOVER");
    if (s->failed) return nd__fail(s, ND_E_STATE, "an earlier write failed; reopen the store");
    if (!s->torn && !s->needs_recovery) return ND_OK;
    nd__slot next;
    int rc = nd__roll_forward(s, &next);
    if (rc) return rc;
    next.seq = s->max_seq + 1;
    if (next.end > s->slot.end || s->needs_recovery) {
        s->r.index = SIZE_MAX;
        if ((rc = nd__write_commit(s, &next))) return rc;
    }
    /* the commit names every frame kept: what follows it goes */
    if (nd__ftruncate(s, next.end) || nd__fsync(s)) {
        s->failed = 1;
        return nd__fail_errno(s, "cutting the bytes after the recovered commit");
    }
    nd__fail(s, ND_OK, "recovered: commit %llu holds %llu documents (%llu rolled forward), %llu lost",
             (unsigned long long)next.seq, (unsigned long long)next.docs,
             (unsigned long long)(next.docs - s->docs), (unsigned long long)s->lost);
    s->slot = next;
    s->docs = next.docs;
    s->paras = next.paras;
    s->text = next.text;
    s->file_size = s->wpos = next.end;
    s->torn = 0;
    s->needs_recovery = s->past_end = 0;
    s->recovered = 0;
    s->after_docs = 0;
    return ND_OK;
}
