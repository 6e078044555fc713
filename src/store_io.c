/*
 * The signature store's file I/O (docs/FORMAT.md): messages, reads and writes
 * that retry short transfers, flushing, zlib through the handle's allocator,
 * and the appender's lock. Every write of the store goes through the
 * handle's I/O layer (nd__store_io), so that tests can make any of them fail.
 */
#define _GNU_SOURCE /* F_OFD_SETLK: a lock per open file, not per process */
#define _FILE_OFFSET_BITS 64 /* stores past 2 GiB on 32-bit hosts too */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_impl.h"

/* ---- Messages --------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int nd__fail(nd_store *s, int rc, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(s->msg, sizeof s->msg, "%s: ", s->path ? s->path : "store");
    if (n < 0 || (size_t)n >= sizeof s->msg / 2) n = 0;
    va_start(ap, fmt);
    vsnprintf(s->msg + n, sizeof s->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

int nd__fail_errno(nd_store *s, const char *what)
{
    int e = errno;
    return nd__fail(s, ND_E_IO, "%s: %s", what, e ? strerror(e) : "unexpected end of file");
}

const char *nd_store_errmsg(const nd_store *s)
{
    if (!s) return "no store (out of memory)";
    return s->msg;
}

/* ---- File I/O ----------------------------------------------------------------- */

int nd__pread(int fd, void *buf, size_t n, uint64_t off)
{
    unsigned char *p = buf;
    errno = 0;
    while (n) {
        ssize_t got = pread(fd, p, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got;
        off += (uint64_t)got;
        n -= (size_t)got;
    }
    return 0;
}

/* The system's calls, the default I/O layer: 0 or -1 with errno set. */
static int nd__sys_write(void *payload, int fd, const void *buf, size_t n, uint64_t off)
{
    const unsigned char *p = buf;
    (void)payload;
    errno = 0;
    while (n) {
        ssize_t put = pwrite(fd, p, n, (off_t)off);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return -1;
        p += put;
        off += (uint64_t)put;
        n -= (size_t)put;
    }
    return 0;
}

static int nd__sys_sync(void *payload, int fd)
{
    int rc;
    (void)payload;
    do rc = fsync(fd);
    while (rc < 0 && errno == EINTR);
    return rc;
}

static int nd__sys_truncate(void *payload, int fd, uint64_t len)
{
    (void)payload;
    return ftruncate(fd, (off_t)len);
}

void nd__store_set_io(nd_store *s, const nd__store_io *io)
{
    static const nd__store_io sys = { nd__sys_write, nd__sys_sync, nd__sys_truncate, NULL };
    if (s) s->io = io ? *io : sys;
}

/* Every change to the file goes through the handle's I/O layer. errno is
 * cleared first so that a layer failing without one reads "unexpected end". */
int nd__pwrite(nd_store *s, const void *buf, size_t n, uint64_t off)
{
    errno = 0;
    return s->io.write(s->io.payload, s->fd, buf, n, off);
}

int nd__fsync(nd_store *s)
{
    errno = 0;
    return s->io.sync(s->io.payload, s->fd);
}

int nd__ftruncate(nd_store *s, uint64_t len)
{
    errno = 0;
    return s->io.truncate(s->io.payload, s->fd, len);
}

/* A new directory entry is durable only once its directory is flushed. */
void nd__fsync_dir(const nd_store *s)
{
    const char *slash = strrchr(s->path, '/');
    char *dir = NULL;
    size_t len = slash ? (size_t)(slash - s->path) : 1;
    dir = nd__alloc(&s->al, len + 1);
    if (!dir) return;
    if (slash) memcpy(dir, s->path, len ? len : 1);
    else dir[0] = '.';
    dir[len ? len : 1] = '\0';
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        nd__sys_sync(NULL, fd);
        close(fd);
    }
    nd__free(&s->al, dir);
}

/* ---- zlib through the handle's allocator ---------------------------------------- */

static voidpf nd__zalloc(voidpf opaque, uInt items, uInt size)
{
    if (size && items > SIZE_MAX / size) return Z_NULL;
    return nd__alloc(opaque, (size_t)items * size);
}

static void nd__zfree(voidpf opaque, voidpf ptr) { nd__free(opaque, ptr); }

void nd__zinit(z_stream *zs, nd_store *s)
{
    memset(zs, 0, sizeof *zs);
    zs->zalloc = nd__zalloc;
    zs->zfree = nd__zfree;
    zs->opaque = &s->al;
}
/* ---- Open and close ------------------------------------------------------------------------ */

#if defined(F_OFD_SETLK)
#  define ND__SETLK F_OFD_SETLK
#else
#  define ND__SETLK F_SETLK
#endif

/* An exclusive lock on the whole file, not waiting. Open-file-description
 * locks conflict even between two handles of one process, and are released
 * by closing this descriptor only. */
static int nd__lock(nd_store *s)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int rc = fcntl(s->fd, ND__SETLK, &fl);
#if defined(F_OFD_SETLK)
    if (rc < 0 && errno == EINVAL) rc = fcntl(s->fd, F_SETLK, &fl); /* kernel without OFD locks */
#endif
    if (rc == 0) return ND_OK;
    if (errno == EACCES || errno == EAGAIN)
        return nd__fail(s, ND_E_LOCKED, "locked: another process is appending to this store");
    return nd__fail_errno(s, "locking");
}

/* Opens and, for writing, locks the file. A writer that replaced the file
 * (prune renames a new file over it) while we waited for the lock leaves us
 * holding a lock on the old inode: check that the path still names it. */
int nd__open_fd(nd_store *s)
{
    struct stat st, now;
    /* O_NONBLOCK: a FIFO at the path must not hang the open; it is refused below */
    if (s->mode == ND_STORE_READ) {
        s->fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (s->fd < 0) return nd__fail_errno(s, "cannot open");
        if (fstat(s->fd, &st)) return nd__fail_errno(s, "cannot stat");
        if (!S_ISREG(st.st_mode)) return nd__fail(s, ND_E_IO, "not a regular file");
        s->file_size = (uint64_t)st.st_size;
        return ND_OK;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        int flags = O_RDWR | O_CLOEXEC | O_NONBLOCK | (s->mode == ND_STORE_CREATE ? O_CREAT : 0);
        s->fd = open(s->path, flags, 0666);
        if (s->fd < 0) return nd__fail_errno(s, "cannot open");
        if (fstat(s->fd, &st)) return nd__fail_errno(s, "cannot stat");
        if (!S_ISREG(st.st_mode)) return nd__fail(s, ND_E_IO, "not a regular file");
        int rc = nd__lock(s);
        if (rc) return rc;
        if (fstat(s->fd, &st)) return nd__fail_errno(s, "cannot stat"); /* its size under the lock */
        if (stat(s->path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
            s->file_size = (uint64_t)st.st_size;
            return ND_OK;
        }
        close(s->fd);
        s->fd = -1;
    }
    return nd__fail(s, ND_E_LOCKED, "the file keeps being replaced by another process");
}

