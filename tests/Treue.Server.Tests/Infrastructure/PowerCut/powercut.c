/*
 * powercut.c: an LD_PRELOAD storage layer that keeps, beside a watched directory, a shadow copy holding only
 * what a power cut would have left: the data that was synced.
 *
 * Environment:
 *   POWERCUT_WATCH     the watched directory (files below it are tracked)
 *   POWERCUT_SHADOW    the shadow directory; it must start as a copy of the watched one
 *   POWERCUT_STATE     a private folder for the bookkeeping shared by all processes under the shim
 *   POWERCUT_DELAY_MS  optional: milliseconds slept after a sync reached the disk and before it counts as done
 *                      in the shadow, so that a program that answers before its sync returns is caught
 *
 * Contents. Every write to a watched file (write, pwrite, pwrite64, writev, pwritev, pwritev64, pwritev2,
 * pwritev64v2) appends the byte range it wrote to a log kept per inode in POWERCUT_STATE, shared by all processes
 * (PostgreSQL writes a file in one process and syncs it in another, as the kernel allows). A sync (fsync,
 * fdatasync, sync_file_range with SYNC_FILE_RANGE_WAIT_AFTER, and every write to a descriptor opened with O_SYNC
 * or O_DSYNC) takes the ranges logged so far and the file's size at the call, syncs for real, sleeps the delay,
 * then copies those ranges from the real file into the shadow file and gives the shadow file that size. Syncs of
 * one inode run one after another, so a sync never returns while an earlier one still has to reach the shadow.
 * ftruncate, truncate and O_TRUNC log the range between the old and the new size: a shrink becomes durable with
 * the next sync, and bytes that a later extension exposes read as zeros there too.
 *
 * Names. A file that was not in the initial copy enters the shadow at its first sync (until then its data was
 * never durable); missing parent folders are made then. rename and unlink/rmdir/remove are applied to the shadow
 * at once, as a file system that journals its metadata in order would: the programs under test (SQLite,
 * PostgreSQL) sync a file before they rename it into place, and remove files only once they are no longer needed.
 * A file renamed before it was ever synced replaces its target in the shadow with an empty file.
 *
 * Not modelled: writes through mmap (neither SQLite's database nor PostgreSQL's data files use it; SQLite's -shm
 * index is rebuilt on recovery), stdio's own buffered writes (glibc writes them without going through these
 * symbols), fallocate, sync and syncfs. sync_file_range with SYNC_FILE_RANGE_WAIT_AFTER counts as a sync of the
 * whole file, which is more generous than the kernel.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

typedef struct { int64_t offset; int64_t length; } range_t;

static char watch_dir[PATH_MAX];
static size_t watch_len;
static char shadow_dir[PATH_MAX];
static char state_dir[PATH_MAX - 64]; /* room for the names of the logs in it */
static long delay_ms;
static int enabled;

/* The next definitions, found once. dlsym is safe to call from several threads at once. */
#define REAL(name, ret, ...) \
    static ret (*real_##name)(__VA_ARGS__); \
    static ret (*get_##name(void))(__VA_ARGS__) { \
        if (!real_##name) real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name); \
        return real_##name; \
    }

REAL(open, int, const char *, int, ...)
REAL(open64, int, const char *, int, ...)
REAL(openat, int, int, const char *, int, ...)
REAL(openat64, int, int, const char *, int, ...)
REAL(write, ssize_t, int, const void *, size_t)
REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
REAL(pwrite64, ssize_t, int, const void *, size_t, off64_t)
REAL(writev, ssize_t, int, const struct iovec *, int)
REAL(pwritev, ssize_t, int, const struct iovec *, int, off_t)
REAL(pwritev64, ssize_t, int, const struct iovec *, int, off64_t)
REAL(pwritev2, ssize_t, int, const struct iovec *, int, off_t, int)
REAL(pwritev64v2, ssize_t, int, const struct iovec *, int, off64_t, int)
REAL(fsync, int, int)
REAL(fdatasync, int, int)
REAL(sync_file_range, int, int, off64_t, off64_t, unsigned int)
REAL(ftruncate, int, int, off_t)
REAL(ftruncate64, int, int, off64_t)
REAL(truncate, int, const char *, off_t)
REAL(truncate64, int, const char *, off64_t)
REAL(rename, int, const char *, const char *)
REAL(renameat, int, int, const char *, int, const char *)
REAL(renameat2, int, int, const char *, int, const char *, unsigned int)
REAL(unlink, int, const char *)
REAL(unlinkat, int, int, const char *, int)
REAL(rmdir, int, const char *)
REAL(remove, int, const char *)

/* The shim's own file operations go straight to the C library's definitions, never through its own wrappers. */
static int raw_open(const char *path, int flags, mode_t mode) { return get_open()(path, flags | O_CLOEXEC, mode); }

static ssize_t raw_write_all(int fd, const void *buf, size_t n, off_t at)
{
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = get_pwrite()(fd, p + done, n - done, at + (off_t)done);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

__attribute__((constructor)) static void powercut_init(void)
{
    const char *w = getenv("POWERCUT_WATCH"), *s = getenv("POWERCUT_SHADOW"), *t = getenv("POWERCUT_STATE");
    if (!w || !s || !t) return;
    char state[PATH_MAX];
    if (!realpath(w, watch_dir) || !realpath(s, shadow_dir) || !realpath(t, state) || strlen(state) >= sizeof state_dir) {
        fprintf(stderr, "powercut: POWERCUT_WATCH, POWERCUT_SHADOW and POWERCUT_STATE must be existing folders (%s, %s, %s)\n", w, s, t);
        return;
    }
    strcpy(state_dir, state);
    watch_len = strlen(watch_dir);
    const char *d = getenv("POWERCUT_DELAY_MS");
    delay_ms = d ? strtol(d, NULL, 10) : 0;
    enabled = 1;
}

/* The part of an absolute, canonical path below the watched folder ("" for the folder itself), or NULL. */
static const char *below_watch(const char *path)
{
    if (strncmp(path, watch_dir, watch_len) != 0) return NULL;
    if (path[watch_len] == '\0') return path + watch_len;
    if (path[watch_len] != '/') return NULL;
    return path + watch_len;
}

/* The current name of an open file when it is below the watched folder (NULL for pipes, sockets, removed files). */
static const char *fd_watched(int fd, char *buf)
{
    if (!enabled || fd < 0) return NULL;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, PATH_MAX - 1);
    if (n <= 0) return NULL;
    buf[n] = '\0';
    if (buf[0] != '/') return NULL;
    if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0) return NULL;
    return below_watch(buf);
}

/* The canonical absolute form of a path as the caller meant it (relative to dirfd or the working folder). */
static int resolve(int dirfd, const char *path, char *out)
{
    if (!enabled || !path || !*path) return -1;
    char joined[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(joined, sizeof joined, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) return -1;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n <= 0) return -1;
            base[n] = '\0';
        }
        snprintf(joined, sizeof joined, "%s/%s", base, path);
    }
    size_t len = strlen(joined);
    while (len > 1 && joined[len - 1] == '/') joined[--len] = '\0';
    char *slash = strrchr(joined, '/');
    const char *name = slash + 1;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return -1;
    char parent[PATH_MAX];
    if (slash == joined) strcpy(parent, "/");
    else {
        *slash = '\0';
        if (!realpath(joined, parent)) return -1;
    }
    if (snprintf(out, PATH_MAX, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, name) >= PATH_MAX) return -1;
    return 0;
}

static void shadow_path(const char *relative, char *out) { snprintf(out, PATH_MAX, "%s%s", shadow_dir, relative); }

static void log_path(dev_t dev, ino_t ino, const char *suffix, char *out)
{
    snprintf(out, PATH_MAX, "%s/%lx-%lx%s", state_dir, (unsigned long)dev, (unsigned long)ino, suffix);
}

/* Appends a written range to the inode's log; a sync holds the log exclusively while it takes the ranges out. */
static void note_range(dev_t dev, ino_t ino, int64_t offset, int64_t length)
{
    if (length <= 0) return;
    char path[PATH_MAX];
    log_path(dev, ino, "", path);
    int log = raw_open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (log < 0) { fprintf(stderr, "powercut: cannot open %s: %s\n", path, strerror(errno)); abort(); }
    flock(log, LOCK_SH);
    range_t r = { offset, length };
    if (get_write()(log, &r, sizeof r) != (ssize_t)sizeof r) { fprintf(stderr, "powercut: cannot log a write\n"); abort(); }
    close(log);
}

/* Forgets what was logged for an inode that is about to lose its last name (its number may be used again). */
static void forget_inode(const struct stat *st)
{
    if (!S_ISREG(st->st_mode) || st->st_nlink > 1) return;
    char path[PATH_MAX];
    log_path(st->st_dev, st->st_ino, "", path);
    int log = raw_open(path, O_WRONLY, 0);
    if (log < 0) return;
    flock(log, LOCK_EX);
    get_ftruncate()(log, 0);
    close(log);
}

static void make_parents(char *path)
{
    for (char *p = path + strlen(shadow_dir) + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(path, 0700);
        *p = '/';
    }
}

static int compare_ranges(const void *a, const void *b)
{
    const range_t *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * Makes what was written to fd so far durable in the shadow: the whole sync is the caller's real sync (done by
 * sync_call) followed by the copy. Returns what the real sync returned.
 */
static int durable_sync(int fd, int (*sync_call)(int), int already_synced)
{
    char name[PATH_MAX];
    struct stat st;
    if (!fd_watched(fd, name) || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return already_synced ? 0 : sync_call(fd);

    char lock_path[PATH_MAX], path[PATH_MAX];
    log_path(st.st_dev, st.st_ino, ".sync", lock_path);
    int lock = raw_open(lock_path, O_RDWR | O_CREAT, 0600);
    if (lock < 0) { fprintf(stderr, "powercut: cannot open %s: %s\n", lock_path, strerror(errno)); abort(); }
    flock(lock, LOCK_EX);

    /* What this sync covers: the ranges written before it was called, and the size at the call. */
    log_path(st.st_dev, st.st_ino, "", path);
    range_t *ranges = NULL;
    size_t count = 0;
    int log = raw_open(path, O_RDWR | O_CREAT, 0600);
    if (log < 0) { fprintf(stderr, "powercut: cannot open %s: %s\n", path, strerror(errno)); abort(); }
    flock(log, LOCK_EX);
    struct stat ls;
    if (fstat(log, &ls) == 0 && ls.st_size >= (off_t)sizeof(range_t)) {
        count = (size_t)ls.st_size / sizeof(range_t);
        ranges = malloc(count * sizeof(range_t));
        if (!ranges || pread(log, ranges, count * sizeof(range_t), 0) != (ssize_t)(count * sizeof(range_t))) {
            fprintf(stderr, "powercut: cannot read %s\n", path);
            abort();
        }
    }
    get_ftruncate()(log, 0);
    close(log);
    fstat(fd, &st);
    off_t size = st.st_size;

    int result = 0, saved = 0;
    if (!already_synced) { result = sync_call(fd); saved = errno; }
    if (delay_ms > 0) {
        struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
    }

    /* The copy into the shadow under the file's name now (a rename in between moved the shadow file too). */
    const char *relative = fd_watched(fd, name);
    if (result == 0 && relative) {
        char target[PATH_MAX];
        shadow_path(relative, target);
        int out = raw_open(target, O_WRONLY | O_CREAT, st.st_mode & 07777);
        if (out < 0 && errno == ENOENT) { make_parents(target); out = raw_open(target, O_WRONLY | O_CREAT, st.st_mode & 07777); }
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        int in = raw_open(self, O_RDONLY, 0); /* the caller's descriptor may be write-only */
        if (out < 0 || in < 0) { fprintf(stderr, "powercut: cannot copy %s: %s\n", name, strerror(errno)); abort(); }
        if (get_ftruncate()(out, size) != 0) { fprintf(stderr, "powercut: cannot size %s\n", target); abort(); }
        if (count > 1) qsort(ranges, count, sizeof(range_t), compare_ranges);
        size_t cap = 1 << 20;
        char *buf = malloc(cap);
        for (size_t i = 0; i < count; i++) {
            int64_t from = ranges[i].offset, to = ranges[i].offset + ranges[i].length;
            while (i + 1 < count && ranges[i + 1].offset <= to) { /* merge overlapping and touching ranges */
                i++;
                if (ranges[i].offset + ranges[i].length > to) to = ranges[i].offset + ranges[i].length;
            }
            if (to > size) to = size;
            while (from < to) {
                size_t chunk = (size_t)(to - from) < cap ? (size_t)(to - from) : cap;
                ssize_t got = pread(in, buf, chunk, from);
                if (got < 0 && errno == EINTR) continue;
                if (got <= 0) { memset(buf, 0, chunk); got = (ssize_t)chunk; } /* truncated since the call */
                if (raw_write_all(out, buf, (size_t)got, from) < 0) { fprintf(stderr, "powercut: cannot write %s\n", target); abort(); }
                from += got;
            }
        }
        free(buf);
        close(in);
        close(out);
    }
    free(ranges);
    close(lock);
    errno = saved;
    return result;
}

static int sync_fsync(int fd) { return get_fsync()(fd); }
static int sync_fdatasync(int fd) { return get_fdatasync()(fd); }

int fsync(int fd) { return durable_sync(fd, sync_fsync, 0); }
int fdatasync(int fd) { return durable_sync(fd, sync_fdatasync, 0); }

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
    int r = get_sync_file_range()(fd, offset, nbytes, flags);
    if (r != 0 || !(flags & SYNC_FILE_RANGE_WAIT_AFTER)) return r;
    return durable_sync(fd, sync_fdatasync, 1);
}

/*
 * After a successful write: logs its range (at_position: it wrote just before the descriptor's position, as write
 * and writev do), and makes it durable when the descriptor or the call asks for synchronous writes.
 */
static void after_write(int fd, int64_t offset, ssize_t written, int at_position, int sync_call)
{
    if (!enabled || written <= 0) return;
    int saved = errno;
    char buf[PATH_MAX];
    struct stat st;
    if (fd_watched(fd, buf) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (at_position) {
            off_t now = lseek(fd, 0, SEEK_CUR);
            offset = now < 0 ? 0 : (int64_t)now - written;
        }
        note_range(st.st_dev, st.st_ino, offset, written);
        int flags = fcntl(fd, F_GETFL);
        if (sync_call || (flags >= 0 && (flags & O_DSYNC))) durable_sync(fd, sync_fdatasync, 1); /* O_SYNC includes O_DSYNC */
    }
    errno = saved;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t r = get_write()(fd, buf, n);
    after_write(fd, 0, r, 1, 0);
    return r;
}

ssize_t writev(int fd, const struct iovec *iov, int count)
{
    ssize_t r = get_writev()(fd, iov, count);
    after_write(fd, 0, r, 1, 0);
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset)
{
    ssize_t r = get_pwrite()(fd, buf, n, offset);
    after_write(fd, offset, r, 0, 0);
    return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset)
{
    ssize_t r = get_pwrite64()(fd, buf, n, offset);
    after_write(fd, offset, r, 0, 0);
    return r;
}

ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t offset)
{
    ssize_t r = get_pwritev()(fd, iov, count, offset);
    after_write(fd, offset, r, 0, 0);
    return r;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int count, off64_t offset)
{
    ssize_t r = get_pwritev64()(fd, iov, count, offset);
    after_write(fd, offset, r, 0, 0);
    return r;
}

/* An offset of -1 writes at (and advances) the current position, as writev does. */
ssize_t pwritev2(int fd, const struct iovec *iov, int count, off_t offset, int flags)
{
    ssize_t r = get_pwritev2()(fd, iov, count, offset, flags);
    after_write(fd, offset, r, offset == -1, flags & (RWF_SYNC | RWF_DSYNC));
    return r;
}

ssize_t pwritev64v2(int fd, const struct iovec *iov, int count, off64_t offset, int flags)
{
    ssize_t r = get_pwritev64v2()(fd, iov, count, offset, flags);
    after_write(fd, offset, r, offset == -1, flags & (RWF_SYNC | RWF_DSYNC));
    return r;
}

/* A size change logs the bytes between the two sizes: they change (go, or read as zeros) with the next sync. */
static int resize_fd(int fd, int64_t size, int (*call)(int, int64_t))
{
    char buf[PATH_MAX];
    struct stat before;
    int watched = enabled && fd_watched(fd, buf) && fstat(fd, &before) == 0 && S_ISREG(before.st_mode);
    int r = call(fd, size);
    if (r == 0 && watched) {
        int saved = errno;
        int64_t low = size < before.st_size ? size : before.st_size, high = size < before.st_size ? before.st_size : size;
        note_range(before.st_dev, before.st_ino, low, high - low);
        errno = saved;
    }
    return r;
}

static int call_ftruncate(int fd, int64_t size) { return get_ftruncate()(fd, (off_t)size); }
static int call_ftruncate64(int fd, int64_t size) { return get_ftruncate64()(fd, (off64_t)size); }
int ftruncate(int fd, off_t size) { return resize_fd(fd, size, call_ftruncate); }
int ftruncate64(int fd, off64_t size) { return resize_fd(fd, size, call_ftruncate64); }

static int resize_path(const char *file, int64_t size, int is64)
{
    int saved = errno;
    char path[PATH_MAX];
    struct stat before;
    int watched = resolve(AT_FDCWD, file, path) == 0 && below_watch(path) && stat(path, &before) == 0 && S_ISREG(before.st_mode);
    errno = saved;
    int r = is64 ? get_truncate64()(file, (off64_t)size) : get_truncate()(file, (off_t)size);
    if (r == 0 && watched) {
        int saved = errno;
        int64_t low = size < before.st_size ? size : before.st_size, high = size < before.st_size ? before.st_size : size;
        note_range(before.st_dev, before.st_ino, low, high - low);
        errno = saved;
    }
    return r;
}

int truncate(const char *file, off_t size) { return resize_path(file, size, 0); }
int truncate64(const char *file, off64_t size) { return resize_path(file, size, 1); }

/* O_TRUNC on an existing watched file is a truncation to zero. */
static void before_open(int dirfd, const char *file, int flags, struct stat *before, int *truncating)
{
    int saved = errno;
    char path[PATH_MAX];
    *truncating = enabled && (flags & O_TRUNC) && resolve(dirfd, file, path) == 0 && below_watch(path)
        && stat(path, before) == 0 && S_ISREG(before->st_mode) && before->st_size > 0;
    errno = saved;
}

static void after_open(int fd, const struct stat *before, int truncating)
{
    if (fd < 0 || !truncating) return;
    int saved = errno;
    note_range(before->st_dev, before->st_ino, 0, before->st_size);
    errno = saved;
}

#define OPEN_MODE(flags) \
    mode_t mode = 0; \
    if ((flags) & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *file, int flags, ...)
{
    OPEN_MODE(flags)
    struct stat before; int truncating;
    before_open(AT_FDCWD, file, flags, &before, &truncating);
    int fd = get_open()(file, flags, mode);
    after_open(fd, &before, truncating);
    return fd;
}

int open64(const char *file, int flags, ...)
{
    OPEN_MODE(flags)
    struct stat before; int truncating;
    before_open(AT_FDCWD, file, flags, &before, &truncating);
    int fd = get_open64()(file, flags, mode);
    after_open(fd, &before, truncating);
    return fd;
}

int openat(int dirfd, const char *file, int flags, ...)
{
    OPEN_MODE(flags)
    struct stat before; int truncating;
    before_open(dirfd, file, flags, &before, &truncating);
    int fd = get_openat()(dirfd, file, flags, mode);
    after_open(fd, &before, truncating);
    return fd;
}

int openat64(int dirfd, const char *file, int flags, ...)
{
    OPEN_MODE(flags)
    struct stat before; int truncating;
    before_open(dirfd, file, flags, &before, &truncating);
    int fd = get_openat64()(dirfd, file, flags, mode);
    after_open(fd, &before, truncating);
    return fd;
}

/* Removing a watched name removes it from the shadow too (a folder only once it is empty there as well). */
struct removal { int watched; char path[PATH_MAX]; struct stat before; };

static void removal_begin(struct removal *m, int dirfd, const char *file)
{
    int saved = errno;
    m->watched = resolve(dirfd, file, m->path) == 0 && below_watch(m->path) && lstat(m->path, &m->before) == 0;
    if (m->watched) forget_inode(&m->before);
    errno = saved;
}

static void removal_end(struct removal *m, int result, int is_dir)
{
    if (result != 0 || !m->watched) return;
    const char *relative = below_watch(m->path);
    if (!*relative) return;
    int saved = errno;
    char target[PATH_MAX];
    shadow_path(relative, target);
    if (is_dir || S_ISDIR(m->before.st_mode)) get_rmdir()(target); else get_unlink()(target);
    errno = saved;
}

int unlink(const char *file)
{
    struct removal m;
    removal_begin(&m, AT_FDCWD, file);
    int r = get_unlink()(file);
    removal_end(&m, r, 0);
    return r;
}

int unlinkat(int dirfd, const char *file, int flags)
{
    struct removal m;
    removal_begin(&m, dirfd, file);
    int r = get_unlinkat()(dirfd, file, flags);
    removal_end(&m, r, flags & AT_REMOVEDIR);
    return r;
}

int rmdir(const char *file)
{
    struct removal m;
    removal_begin(&m, AT_FDCWD, file);
    int r = get_rmdir()(file);
    removal_end(&m, r, 1);
    return r;
}

int remove(const char *file)
{
    struct removal m;
    removal_begin(&m, AT_FDCWD, file);
    int r = get_remove()(file);
    removal_end(&m, r, 0);
    return r;
}

/* A rename moves the shadow's file along; its content there stays what was synced. */
struct renaming { int watched; char from[PATH_MAX], to[PATH_MAX]; };

static void renaming_begin(struct renaming *m, int olddir, const char *from, int newdir, const char *to)
{
    int saved = errno;
    struct stat replaced;
    m->watched = resolve(olddir, from, m->from) == 0 && resolve(newdir, to, m->to) == 0
        && (below_watch(m->from) || below_watch(m->to));
    if (m->watched && below_watch(m->to) && lstat(m->to, &replaced) == 0) forget_inode(&replaced);
    errno = saved;
}

static void renaming_end(struct renaming *m, int result)
{
    if (result != 0 || !m->watched) return;
    int saved = errno;
    const char *old_rel = below_watch(m->from), *new_rel = below_watch(m->to);
    char old_target[PATH_MAX], new_target[PATH_MAX];
    int has_old = old_rel && *old_rel, has_new = new_rel && *new_rel;
    if (has_old) shadow_path(old_rel, old_target);
    if (has_new) shadow_path(new_rel, new_target);
    if (has_old && has_new) {
        struct stat st;
        if (lstat(old_target, &st) == 0) {
            if (get_rename()(old_target, new_target) != 0 && errno == ENOENT) {
                make_parents(new_target);
                get_rename()(old_target, new_target);
            }
        } else {
            /* Never synced: the new name is durable, its data is not. */
            make_parents(new_target);
            int fd = raw_open(new_target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) close(fd);
        }
    } else if (has_old) {
        get_unlink()(old_target);
    }
    errno = saved;
}

int rename(const char *from, const char *to)
{
    struct renaming m;
    renaming_begin(&m, AT_FDCWD, from, AT_FDCWD, to);
    int r = get_rename()(from, to);
    renaming_end(&m, r);
    return r;
}

int renameat(int olddir, const char *from, int newdir, const char *to)
{
    struct renaming m;
    renaming_begin(&m, olddir, from, newdir, to);
    int r = get_renameat()(olddir, from, newdir, to);
    renaming_end(&m, r);
    return r;
}

int renameat2(int olddir, const char *from, int newdir, const char *to, unsigned int flags)
{
    struct renaming m;
    renaming_begin(&m, olddir, from, newdir, to);
    int r = get_renameat2()(olddir, from, newdir, to, flags);
    renaming_end(&m, r);
    return r;
}
