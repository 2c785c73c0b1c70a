// dirstat: lists directories and stats their entries in native threads, for the content scan's
// walker (src/engine/dir-lister.ts). A rescan of an unchanged tree is nothing but this listing and
// a cache lookup per file; from Node one lstat costs 3-5 us and one thread does them all, here a
// fstatat relative to the open directory costs under 2 us and all cores share the directories.
//
// statDirs(dirs: (string | Buffer)[], threads: number, budget: number, vouch?: Vouch, root?: string,
//          descent?: Descent) -> [records: Buffer, dirInfo: Int32Array, offsets: Int32Array, counts: Float64Array]
//   Lists the directories in order until `budget` records have been written (at least one
//   directory is always listed), so a batch of huge directories cannot fill the memory. For each
//   listed directory dirInfo holds six numbers: the index of its first record in `offsets`, its
//   number of records, the errno when it could not be read (else 0), its parent and the index of
//   its record there (-1 and -1 for a directory asked for; see descent), and how many of its
//   records the walker still has to look at (those not marked entered). The directories asked for
//   come first (fewer than `dirs` when the budget ran out); `offsets` holds where each record
//   starts in `records`, so JavaScript reads them in place without a pass of its own.
//   descent = {stopPaths, stopNames, holdNames, maxPath}: the lister also enters subdirectories of
//   what it lists by itself, breadth first, within the same budget, where the walker's rules
//   (src/engine/walker.ts) would enter them too by a stricter test (see children_of), and lists
//   them after the directories asked for, each once per call by device and inode. Their records in
//   the parent's listing are marked (the record's second byte is 1). A warm rescan of an unchanged
//   tree is then one call, and the walker only checks the device and inode of each directory
//   below and never builds its path. A directory the budget left out is not marked: the walker
//   lists it itself.
//   vouch = {table, dev, ino, size, mtime, ctime, found, count, maxSize, keepNames, keepSuffixes}:
//   the scan cache's index (src/engine/file-index.ts, read in place) and the walker's rules. A
//   regular file of 1 to maxSize bytes that the index holds in exactly its listed state with
//   nothing found gets no record; `counts` holds, per directory, how many files were left out so
//   and their bytes. A warm rescan is then a listing with almost no records, and JavaScript never
//   touches the files that did not change. Names in keepNames, and names ending in one of
//   keepSuffixes (lower case, ASCII case ignored) on files without an exec bit, always get a
//   record: the walker decides about them. With a `used` Uint8Array (as long as the count), the
//   slot of every file left out so is set to 1: the cache forgets entries no scan meets for long.
//   Records, sorted by name (the order Node's readdir gives), each a multiple of 8 bytes long:
//     u8 kind, u8 entered (see descent), u16 name length, i32 errno of the stat (0 when it worked),
//     f64 dev, ino, size, mode, mtime s, mtime ns, ctime s, ctime ns (mode 0: not stat-ed),
//     the name's bytes, padded to a multiple of 8.
//   kind: 0 unknown, 1 file, 2 directory, 3 symlink, 4 fifo, 5 socket, 6 char device, 7 block device.
//   Files, directories and entries of unknown type are lstat-ed. A symlink is stat-ed through (so
//   the errno says ELOOP for a loop) and never followed otherwise; FIFOs, sockets and devices are
//   not stat-ed at all.
//   root: an offline system's root (a mounted disk). A directory under it is opened, and a symlink
//   under it stat-ed through, as a chroot at `root` would see them: absolute links start again at
//   the root and ".." never climbs above it, so a hostile link on the disk cannot make the lister
//   touch this machine's own files. With openat2(RESOLVE_IN_ROOT) (Linux 5.6) the kernel does it
//   in one call and also holds against a tree that changes during the walk; without it, or where a
//   seccomp filter refuses it, the link is resolved component by component (resolve_slow) and a
//   directory is opened below the root's descriptor with O_NOFOLLOW.
// The same addon exports probePids (below), readProcs (procread.c), readMemory (procmem.c) and
// readFileWhole (readwhole.c).
// Uses only Node-API (ABI-stable): one build serves every Node from 20 on.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

enum { K_UNKNOWN, K_FILE, K_DIR, K_SYMLINK, K_FIFO, K_SOCKET, K_CHR, K_BLK };

#define HEADER 8
#define FIELDS 8
#define FIXED (HEADER + FIELDS * 8)
/* A record's bytes: the fixed part and its name, padded to a multiple of 8. */
#define RECORD_SIZE(name_len) (FIXED + (((size_t)(name_len) + 7) & ~(size_t)7))
#define MAX_THREADS 16
/* ext2, ext3 and ext4 share the magic; only ext4's (and old ext3's) hashed readdir ends a listing
   with the position below (see list_one). */
#define EXT4_SUPER_MAGIC 0xEF53
#define EXT4_HTREE_EOF_64BIT INT64_MAX
/* Numbers per listed directory in dirInfo (see statDirs above). */
#define DIR_INFO 6

typedef struct {
  char *path;     /* NUL-terminated directory path */
  uint8_t *data;  /* records, or NULL */
  size_t len;
  int err;        /* errno when the directory could not be listed */
  size_t entries;
  int taken;      /* a thread took it (the taken ones form a prefix of the jobs) */
  double vouched_files, vouched_bytes; /* files left out because the index vouched for them */
  /* A directory the lister entered itself (see `descent` above): the job whose listing holds its
     record and that record's index there; -1 for a directory asked for. */
  int64_t parent;
  size_t record;
  /* The directory's own device and inode: from its record, or for one asked for from fstat once
     it is open (has_id 0 when that failed: nothing below it is entered). */
  double dev, ino;
  int has_id;
  /* On ext4: the last entry's d_off says whether the listing reached the end (see list_one). */
  int ends_by_cookie;
  size_t reads; /* getdents64 calls (the harness reports them) */
  size_t descended; /* its entries that were entered as jobs of their own and listed (counted at the end) */
} job_t;

/* The scan cache's index and the walker's rules (see statDirs above); all read-only here. */
typedef struct {
  const int32_t *table;
  uint32_t table_size; /* a power of two */
  const double *dev, *ino, *size, *mtime, *ctime;
  const uint8_t *found;
  uint8_t *used; /* NULL, or marked with 1 for each entry that vouched for a file */
  uint32_t count;
  double max_size;
  char **keep_names;
  size_t keep_count;
  char **keep_suffixes;
  size_t suffix_count;
} vouch_t;

/* The walker's rules for entering a directory on its own (see `descent` above); read-only here. */
typedef struct {
  char **stop_paths; /* never entered: these paths and everything under them */
  size_t stop_count;
  char **stop_names; /* never entered: directories with these names */
  size_t name_count;
  char **hold_names; /* nothing is entered below a directory holding an entry with one of these names */
  size_t hold_count;
  size_t max_path; /* nor a directory whose path is longer than this (bytes) */
} descent_t;

/* The (device, inode) pairs of the directories entered in one call, so a bind mount of a
   directory inside itself is entered once: open addressing, grown at half full. */
typedef struct {
  double *pairs; /* 2 per slot; a slot with ino -1 is free */
  size_t cap;    /* slots, a power of two */
  size_t used;
} seen_t;

typedef struct {
  job_t **jobs; /* each job apart, so a pointer a thread holds stays valid when the list grows */
  size_t count, cap;
  /* Shared, under `lock`: the next job to take, the entries listed so far (plus one per
     directory), and the threads listing a job (which may add more). */
  size_t next, entries, active;
  size_t budget;
  pthread_mutex_t lock;
  pthread_cond_t wake; /* a job was added, or the last one in progress ended */
  const vouch_t *vouch;     /* NULL: every entry is listed */
  const descent_t *descent; /* NULL: only the directories asked for are listed */
  seen_t seen;
  /* The offline root (see `root` above), or NULL: paths are used as they are. */
  const char *root;
  size_t root_len;
  int root_fd; /* an O_PATH descriptor of root, or -errno when it could not be opened */
  int openat2; /* openat2(RESOLVE_IN_ROOT) works here */
} work_t;

/* A directory found while listing another that may be entered on its own (see children_of). */
typedef struct {
  char *path;
  size_t record;
  double dev, ino;
} child_t;

/* One listed entry while its directory is read: where its name is in the scratch text, and the
   record's fields (see the top of this file). */
typedef struct {
  uint32_t at;
  uint16_t len;
  uint8_t kind;
  int32_t err;
  double f[FIELDS];
} entry_t;

/* A thread's buffers, reused from one directory to the next: most directories are small, and a
   malloc and free per directory and per name cost more than listing it. */
typedef struct {
  char *dents; /* getdents64's buffer */
  entry_t *entries;
  size_t entries_cap;
  char *text; /* the names, NUL-terminated one after another */
  size_t text_cap;
  uint32_t *order; /* indices of the entries, sorted by name */
  size_t order_cap;
  char *rel; /* a symlink's path below the root */
  size_t rel_cap;
  child_t *children; /* the listed directory's subdirectories to enter */
  size_t children_cap;
} scratch_t;

#define DENTS_SIZE 32768
/* The largest record getdents64 writes: its fixed part and a name of NAME_MAX bytes, 8-aligned. */
#define MAX_DIRENT ((offsetof(struct dirent64, d_name) + NAME_MAX + 1 + 7) & ~(size_t)7)

static void scratch_free(scratch_t *sc) {
  free(sc->dents);
  free(sc->entries);
  free(sc->text);
  free(sc->order);
  free(sc->rel);
  free(sc->children);
}

/* Orders entry indices by the entries' names. */
static int by_name(const void *a, const void *b, void *scratch) {
  const scratch_t *sc = scratch;
  return strcmp(sc->text + sc->entries[*(const uint32_t *)a].at, sc->text + sc->entries[*(const uint32_t *)b].at);
}

static int kind_of_dtype(unsigned char t) {
  switch (t) {
    case DT_REG: return K_FILE;
    case DT_DIR: return K_DIR;
    case DT_LNK: return K_SYMLINK;
    case DT_FIFO: return K_FIFO;
    case DT_SOCK: return K_SOCKET;
    case DT_CHR: return K_CHR;
    case DT_BLK: return K_BLK;
    default: return K_UNKNOWN;
  }
}

static int kind_of_mode(mode_t m) {
  if (S_ISREG(m)) return K_FILE;
  if (S_ISDIR(m)) return K_DIR;
  if (S_ISLNK(m)) return K_SYMLINK;
  if (S_ISFIFO(m)) return K_FIFO;
  if (S_ISSOCK(m)) return K_SOCKET;
  if (S_ISCHR(m)) return K_CHR;
  if (S_ISBLK(m)) return K_BLK;
  return K_UNKNOWN;
}

/* Grows `*buf` (of `*cap` bytes, `len` used) to hold `need` more; 0 on success. */
static int reserve(void **buf, size_t *cap, size_t len, size_t need) {
  if (len + need <= *cap) return 0;
  size_t n = *cap ? *cap : 4096;
  while (n < len + need) n *= 2;
  void *p = realloc(*buf, n);
  if (!p) return ENOMEM;
  *buf = p;
  *cap = n;
  return 0;
}

/* ToUint32 of an integral double, as JavaScript's `x >>> 0` (2^64 and above wrap to 0). */
static uint64_t as_u64(double x) { return x >= 18446744073709551616.0 || !(x >= 0) ? 0 : (uint64_t)x; }

/* file-index.ts's hash(dev, ino), bit for bit: both sides must probe the same cells. */
static uint32_t index_hash(double dev, double ino) {
  uint64_t i = as_u64(ino);
  uint32_t lo = (uint32_t)i, hi = (uint32_t)(i >> 32);
  uint32_t h = (lo ^ (hi * 0x27d4eb2du) ^ ((uint32_t)as_u64(dev) * 0x165667b1u)) * 0x9e3779b1u;
  h ^= h >> 15;
  return (h * 0x85ebca6bu) ^ (h >> 13);
}

/* file-index.ts's find(): the slot of (dev, ino), or -1. Bounded like it, and every slot checked. */
static int64_t index_find(const vouch_t *v, double dev, double ino) {
  uint32_t mask = v->table_size - 1;
  uint32_t h = index_hash(dev, ino) & mask;
  for (uint32_t probes = 0; probes <= mask; probes++, h = (h + 1) & mask) {
    int32_t s = v->table[h];
    if (s == 0) return -1;
    if (s > 0 && (uint32_t)s <= v->count && v->ino[s - 1] == ino && v->dev[s - 1] == dev) return s - 1;
  }
  return -1;
}

static int ends_with_ci(const char *name, size_t nlen, const char *suffix) {
  size_t slen = strlen(suffix);
  if (slen > nlen) return 0;
  for (size_t i = 0; i < slen; i++) {
    unsigned char c = (unsigned char)name[nlen - slen + i];
    if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
    if (c != (unsigned char)suffix[i]) return 0;
  }
  return 1;
}

/* True when `name` (nlen bytes, not NUL-terminated) is one of the count strings of list. */
static int name_in(const char *name, size_t nlen, char **list, size_t count) {
  for (size_t k = 0; k < count; k++)
    if (strlen(list[k]) == nlen && memcmp(list[k], name, nlen) == 0) return 1;
  return 0;
}

/* True when the cache vouches for this lstat-ed entry and no walker rule needs to see it. The
   fields are the record's: dev, ino, size, mode, mtime s/ns, ctime s/ns. */
static int is_vouched(const vouch_t *v, const char *name, size_t nlen, const double *f) {
  mode_t mode = (mode_t)f[3];
  if (!S_ISREG(mode) || !(f[2] > 0 && f[2] <= v->max_size)) return 0;
  if (name_in(name, nlen, v->keep_names, v->keep_count)) return 0;
  if ((mode & 0111) == 0)
    for (size_t k = 0; k < v->suffix_count; k++)
      if (ends_with_ci(name, nlen, v->keep_suffixes[k])) return 0;
  int64_t i = index_find(v, f[0], f[1]);
  if (i < 0 || v->found[i]) return 0;
  /* Node's mtimeMs and ctimeMs formula (lib/internal/fs/utils.js), built with -ffp-contract=off so
     no fused multiply-add changes the last bit: the index holds the values Node computed. */
  double mtime = f[4] * 1e3 + f[5] / 1e6;
  double ctime = f[6] * 1e3 + f[7] / 1e6;
  if (!(v->size[i] == f[2] && v->mtime[i] == mtime && v->ctime[i] == ctime)) return 0;
  /* Threads may mark the same slot (a hard link listed twice): a relaxed atomic store of one. */
  if (v->used) __atomic_store_n(&v->used[i], 1, __ATOMIC_RELAXED);
  return 1;
}

/* struct open_how and RESOLVE_IN_ROOT from <linux/openat2.h>, which older headers lack; the
   syscall has the same number on every architecture. */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct dirstat_open_how {
  uint64_t flags, mode, resolve;
};
#define DIRSTAT_RESOLVE_IN_ROOT 0x10
#define MAX_SYMLINK_HOPS 40

/* openat2(root_fd, rel, flags, RESOLVE_IN_ROOT): a descriptor, or -1 with errno. EAGAIN means a
   rename or mount raced the lookup; it is tried again a few times. */
static int open_in_root(int root_fd, const char *rel, int flags) {
  struct dirstat_open_how how = {(uint64_t)(flags | O_CLOEXEC), 0, DIRSTAT_RESOLVE_IN_ROOT};
  long fd = -1;
  for (int tries = 0; tries < 8; tries++) {
    fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) break;
  }
  return (int)fd;
}

/* The errno of following `rel` (a path below the root) as a chroot at root_fd would, or 0 when it
   leads somewhere: each component is lstat-ed below root_fd, a symlink's text replaces it (an
   absolute one from the root again), and ".." stops at the root. For kernels without openat2. */
static int resolve_slow(int root_fd, const char *rel) {
  char done[PATH_MAX];     /* the components resolved so far, "a/b/c", none of them a symlink */
  char todo[2 * PATH_MAX]; /* what is left to resolve */
  char link[PATH_MAX];
  size_t dlen = 0, at = 0, tlen = strlen(rel);
  int hops = 0;
  if (tlen >= sizeof todo) return ENAMETOOLONG;
  memcpy(todo, rel, tlen + 1);
  done[0] = 0;
  for (;;) {
    while (todo[at] == '/') at++;
    if (!todo[at]) return 0;
    size_t start = at;
    while (todo[at] && todo[at] != '/') at++;
    size_t clen = at - start;
    if (clen == 1 && todo[start] == '.') continue;
    if (clen == 2 && todo[start] == '.' && todo[start + 1] == '.') {
      while (dlen > 0 && done[dlen - 1] != '/') dlen--;
      if (dlen > 0) dlen--;
      done[dlen] = 0;
      continue;
    }
    size_t parent = dlen;
    if (dlen + 1 + clen + 1 > sizeof done) return ENAMETOOLONG;
    if (dlen) done[dlen++] = '/';
    memcpy(done + dlen, todo + start, clen);
    dlen += clen;
    done[dlen] = 0;
    struct stat st;
    if (fstatat(root_fd, done, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    if (!S_ISLNK(st.st_mode)) continue;
    if (++hops > MAX_SYMLINK_HOPS) return ELOOP;
    ssize_t n = readlinkat(root_fd, done, link, sizeof link);
    if (n < 0) return errno;
    if ((size_t)n >= sizeof link) return ENAMETOOLONG;
    if (n == 0) return ENOENT; /* as the kernel answers for an empty link */
    /* The link's text goes in front of what is left; an absolute one starts again at the root. */
    size_t rest = strlen(todo + at);
    if ((size_t)n + 1 + rest + 1 > sizeof todo) return ENAMETOOLONG;
    memmove(todo + n + 1, todo + at, rest + 1);
    memcpy(todo, link, (size_t)n);
    todo[n] = '/';
    at = 0;
    dlen = link[0] == '/' ? 0 : parent;
    done[dlen] = 0;
  }
}

/* The part of `path` below the root ("" for the root itself), or NULL when it is not under it. */
static const char *below_root(const work_t *w, const char *path) {
  if (!w->root || strncmp(path, w->root, w->root_len) != 0) return NULL;
  const char *rest = path + w->root_len;
  if (*rest != 0 && *rest != '/' && !(w->root_len > 0 && w->root[w->root_len - 1] == '/')) return NULL;
  while (*rest == '/') rest++;
  return rest;
}

/* Opens a directory to list; `rel` is its path below the root, or NULL when it is not under one. */
static int open_dir(const work_t *w, const char *path, const char *rel) {
  if (!rel) return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (w->root_fd < 0) {
    errno = -w->root_fd;
    return -1;
  }
  if (w->openat2) return open_in_root(w->root_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY);
  /* The walker enters only what lstat called a directory, so no component below the root is a
     symlink: the last one is not followed, should it have become one since. */
  return openat(w->root_fd, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | (*rel ? O_NOFOLLOW : 0));
}

/* The errno of stat-ing through the symlink `name` of the open directory dfd (0 when it leads
   somewhere): under the root, as a chroot at the root would follow it. */
static int follow_errno(const work_t *w, int dfd, const char *rel, const char *name, size_t nlen, scratch_t *sc) {
  struct stat st;
  if (!rel) return fstatat(dfd, name, &st, 0) != 0 ? errno : 0;
  size_t rlen = strlen(rel);
  if (reserve((void **)&sc->rel, &sc->rel_cap, 0, rlen + nlen + 2)) return ENOMEM;
  char *p = sc->rel;
  if (rlen) {
    memcpy(p, rel, rlen);
    p[rlen++] = '/';
  }
  memcpy(p + rlen, name, nlen + 1);
  if (!w->openat2) return resolve_slow(w->root_fd, p);
  int fd = open_in_root(w->root_fd, p, O_PATH);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

/* Lists one directory into job->data. The entries are stat-ed in the order the directory gives
   them (the order the filesystem keeps them in, cheaper for it than name order), then the records
   are written sorted by name. */
static void list_one(job_t *job, const work_t *w, scratch_t *sc) {
  const vouch_t *vouch = w->vouch;
  const char *rel = below_root(w, job->path);
  int dfd = open_dir(w, job->path, rel);
  if (dfd < 0) {
    job->err = errno;
    return;
  }
  if (w->descent && job->parent < 0) {
    struct stat own;
    if (fstat(dfd, &own) == 0) {
      job->dev = (double)own.st_dev;
      job->ino = (double)own.st_ino;
      job->has_id = 1;
    }
  }
  /* Those entered below a directory asked for are on its device (children_of), so on its
     filesystem: asked once here, then passed on (add_children). */
  if (job->parent < 0) {
    struct statfs fs;
    job->ends_by_cookie = fstatfs(dfd, &fs) == 0 && fs.f_type == EXT4_SUPER_MAGIC;
  }
  if (!sc->dents && !(sc->dents = malloc(DENTS_SIZE))) {
    job->err = ENOMEM;
    close(dfd);
    return;
  }
  size_t count = 0, text_len = 0;
  for (;;) {
    long got = syscall(SYS_getdents64, dfd, sc->dents, DENTS_SIZE);
    job->reads++;
    if (got < 0) {
      job->err = errno;
      goto out;
    }
    if (got == 0) break;
    int64_t next = 0; /* the last entry's d_off: where the next call would go on */
    for (long o = 0; o < got;) {
      const struct dirent64 *e = (const struct dirent64 *)(sc->dents + o);
      o += e->d_reclen;
      next = e->d_off;
      const char *name = e->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      size_t nlen = strlen(name);
      int kind = kind_of_dtype(e->d_type);
      int err = 0;
      struct stat st;
      memset(&st, 0, sizeof st);
      if (kind == K_SYMLINK) {
        err = follow_errno(w, dfd, rel, name, nlen, sc);
      } else if (kind == K_FILE || kind == K_DIR || kind == K_UNKNOWN) {
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
          err = errno;
          memset(&st, 0, sizeof st);
        } else if (kind == K_UNKNOWN) {
          kind = kind_of_mode(st.st_mode);
        }
      }
      /* The integers Node's lstat puts in its Float64Array; the times as seconds and nanoseconds,
         combined in JavaScript exactly as Node combines them into mtimeMs and ctimeMs. */
      double f[FIELDS] = {(double)st.st_dev,         (double)st.st_ino,          (double)st.st_size,
                          (double)st.st_mode,        (double)st.st_mtim.tv_sec,  (double)st.st_mtim.tv_nsec,
                          (double)st.st_ctim.tv_sec, (double)st.st_ctim.tv_nsec};
      if (vouch && kind == K_FILE && err == 0 && is_vouched(vouch, name, nlen, f)) {
        job->vouched_files += 1;
        job->vouched_bytes += f[2];
        continue;
      }
      if (reserve((void **)&sc->entries, &sc->entries_cap, count * sizeof *sc->entries, sizeof *sc->entries) ||
          reserve((void **)&sc->text, &sc->text_cap, text_len, nlen + 1) || text_len + nlen + 1 > UINT32_MAX) {
        job->err = ENOMEM;
        goto out;
      }
      entry_t *en = &sc->entries[count++];
      en->at = (uint32_t)text_len;
      en->len = (uint16_t)nlen; /* NAME_MAX is 255 */
      en->kind = (uint8_t)kind;
      en->err = err;
      memcpy(en->f, f, sizeof f);
      memcpy(sc->text + text_len, name, nlen + 1);
      text_len += nlen + 1;
    }
    /* ext4's hashed readdir (every directory where the filesystem has dir_index, mkfs's default)
       sets the position to its end-of-directory value only once it has passed the last entry, and
       no entry's hash position takes that value (ext4fs_dirhash moves it): the call that would
       return 0 is spared, one syscall per directory (~1-2 ms of a warm rescan of the bench tree).
       Only when the buffer had room for one more entry of any size: a hash stored on a crafted
       disk (casefolded encrypted directories keep theirs) could make the entry that did not fit
       look like the end. A linear ext4 directory's positions are byte offsets, and other
       filesystems' anything: those read on until getdents64 returns 0, as a short read is not an
       end there (FUSE, NFS). */
    if (job->ends_by_cookie && next == EXT4_HTREE_EOF_64BIT && (size_t)got <= DENTS_SIZE - MAX_DIRENT) break;
  }
  if (count == 0) goto out;
  if (reserve((void **)&sc->order, &sc->order_cap, 0, count * sizeof *sc->order)) {
    job->err = ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < count; i++) sc->order[i] = (uint32_t)i;
  size_t total = 0;
  for (size_t i = 0; i < count; i++) total += RECORD_SIZE(sc->entries[i].len);
  if (!(job->data = malloc(total))) {
    job->err = ENOMEM;
    goto out;
  }
  if (count > 1) qsort_r(sc->order, count, sizeof *sc->order, by_name, sc);
  for (size_t i = 0; i < count; i++) {
    const entry_t *en = &sc->entries[sc->order[i]];
    size_t size = RECORD_SIZE(en->len);
    uint8_t *r = job->data + job->len;
    memset(r, 0, size);
    r[0] = en->kind;
    uint16_t n16 = en->len;
    int32_t e32 = en->err;
    memcpy(r + 2, &n16, 2);
    memcpy(r + 4, &e32, 4);
    memcpy(r + HEADER, en->f, sizeof en->f);
    memcpy(r + FIXED, sc->text + en->at, en->len);
    job->len += size;
    job->entries++;
  }
out:
  close(dfd);
  if (job->err) {
    free(job->data);
    job->data = NULL;
    job->len = 0;
    job->entries = 0;
    job->vouched_files = job->vouched_bytes = 0;
  }
}

/* Confines the listing to `root` (see statDirs): opens it and finds out whether openat2 can be used
   (MINEHUNTER_DIRSTAT_OPENAT2=0 says no, so the tests reach the fallback on any kernel). */
static void root_open(work_t *w, const char *root) {
  w->root = root;
  w->root_len = strlen(root);
  int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  w->root_fd = fd >= 0 ? fd : -errno;
  w->openat2 = 0;
  const char *env = getenv("MINEHUNTER_DIRSTAT_OPENAT2");
  if (fd >= 0 && !(env && strcmp(env, "0") == 0)) {
    int probe = open_in_root(fd, ".", O_PATH);
    if (probe >= 0) {
      w->openat2 = 1;
      close(probe);
    }
  }
}

/* A record read back from a listing (see the layout at the top of this file). */
typedef struct {
  uint8_t kind;
  uint16_t name_len;
  int32_t err;
  const char *name; /* not NUL-terminated */
  double f[FIELDS];
} record_t;

/* Reads the record at data + *o into *r and moves *o to the next one. */
static void record_read(const uint8_t *data, size_t *o, record_t *r) {
  const uint8_t *p = data + *o;
  r->kind = p[0];
  memcpy(&r->name_len, p + 2, 2);
  memcpy(&r->err, p + 4, 4);
  memcpy(r->f, p + HEADER, sizeof r->f);
  r->name = (const char *)p + FIXED;
  *o += RECORD_SIZE(r->name_len);
}

/* True when `p` is `stop` or lies under it (a string prefix test, as the walker's). */
static int is_under(const char *p, const char *stop) {
  size_t n = strlen(stop);
  if (n == 0 || strncmp(p, stop, n) != 0) return 0;
  return p[n] == 0 || p[n] == '/' || stop[n - 1] == '/';
}

/* True when the n bytes are valid UTF-8 as Node decodes it (no overlong forms, no surrogates,
   nothing past U+10FFFF): the walker then has the name as text, as the rules compare it. */
static int is_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || i + len > n) return 0;
    for (size_t k = 1; k < len; k++)
      if ((s[i + k] & 0xc0) != 0x80) return 0;
    unsigned c1 = s[i + 1];
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
      return 0;
    i += len;
  }
  return 1;
}

/* The subdirectories of a listed job that may be entered without the walker looking first:
   only where the walker's own rules (src/engine/walker.ts) would enter them too, by a stricter
   test. On the same filesystem as the job, lstat-ed, not a stop path or name, a path short
   enough to open by name and valid UTF-8 (so the path the walker compares is this one); and not
   below a directory that holds a hold name (the walker may leave all of it out). The walker
   still checks each one it is handed for a directory it entered before. Fills sc->children;
   returns how many (0 also when out of memory: then the walker lists them itself). */
static size_t children_of(const job_t *job, const descent_t *d, scratch_t *sc) {
  if (!job->has_id || job->len == 0) return 0;
  size_t plen = strlen(job->path);
  record_t r;
  if (d->hold_count) {
    for (size_t o = 0; o < job->len;) {
      record_read(job->data, &o, &r);
      if (name_in(r.name, r.name_len, d->hold_names, d->hold_count)) return 0;
    }
  }
  size_t found = 0, record = 0;
  for (size_t o = 0; o < job->len; record++) {
    record_read(job->data, &o, &r);
    const double *f = r.f;
    if (r.kind != K_DIR || r.err != 0 || !S_ISDIR((mode_t)f[3]) || f[0] != job->dev) continue;
    const char *name = r.name;
    size_t nlen = r.name_len;
    if (name_in(name, nlen, d->stop_names, d->name_count)) continue;
    size_t sep = plen == 1 && job->path[0] == '/' ? 0 : 1;
    size_t clen = plen + sep + nlen;
    if (clen > d->max_path) continue;
    char *path = malloc(clen + 1);
    if (!path) break;
    memcpy(path, job->path, plen);
    if (sep) path[plen] = '/';
    memcpy(path + plen + sep, name, nlen);
    path[clen] = 0;
    int stop = !is_utf8((const unsigned char *)path, clen);
    for (size_t k = 0; !stop && k < d->stop_count; k++) stop = is_under(path, d->stop_paths[k]);
    if (stop || reserve((void **)&sc->children, &sc->children_cap, found * sizeof *sc->children,
                        sizeof *sc->children)) {
      free(path);
      continue;
    }
    sc->children[found++] = (child_t){path, record, f[0], f[1]};
  }
  return found;
}

/* Adds (dev, ino) to the set; 1 when it was not there, 0 when it was or memory ran out. */
static int seen_add(seen_t *s, double dev, double ino) {
  if (2 * (s->used + 1) > s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 1024;
    double *pairs = malloc(cap * 2 * sizeof *pairs);
    if (!pairs) return 0;
    for (size_t k = 0; k < cap; k++) pairs[2 * k + 1] = -1;
    for (size_t k = 0; k < s->cap; k++) {
      if (s->pairs[2 * k + 1] < 0) continue;
      size_t h = index_hash(s->pairs[2 * k], s->pairs[2 * k + 1]) & (cap - 1);
      while (pairs[2 * h + 1] >= 0) h = (h + 1) & (cap - 1);
      pairs[2 * h] = s->pairs[2 * k];
      pairs[2 * h + 1] = s->pairs[2 * k + 1];
    }
    free(s->pairs);
    s->pairs = pairs;
    s->cap = cap;
  }
  size_t h = index_hash(dev, ino) & (s->cap - 1);
  for (; s->pairs[2 * h + 1] >= 0; h = (h + 1) & (s->cap - 1))
    if (s->pairs[2 * h] == dev && s->pairs[2 * h + 1] == ino) return 0;
  s->pairs[2 * h] = dev;
  s->pairs[2 * h + 1] = ino;
  s->used++;
  return 1;
}

/* Appends jobs for the children of job `i` found by children_of (under the lock). A child whose
   directory was entered before in this call, or that cannot be added, is left to the walker. */
static void add_children(work_t *w, size_t i, scratch_t *sc, size_t found) {
  const job_t *parent = w->jobs[i];
  if (parent->parent < 0) seen_add(&w->seen, parent->dev, parent->ino);
  for (size_t k = 0; k < found; k++) {
    child_t *c = &sc->children[k];
    job_t *job = NULL;
    if (w->count == w->cap) {
      size_t cap = w->cap ? 2 * w->cap : 64;
      job_t **more = realloc(w->jobs, cap * sizeof *more);
      if (more) {
        w->jobs = more;
        w->cap = cap;
      }
    }
    if (w->count < w->cap && seen_add(&w->seen, c->dev, c->ino) && (job = calloc(1, sizeof *job))) {
      job->path = c->path;
      job->parent = (int64_t)i;
      job->record = c->record;
      job->dev = c->dev;
      job->ino = c->ino;
      job->has_id = 1;
      job->ends_by_cookie = parent->ends_by_cookie;
      w->jobs[w->count++] = job;
    } else {
      free(c->path);
    }
  }
}

static void *worker(void *arg) {
  work_t *w = arg;
  scratch_t sc;
  memset(&sc, 0, sizeof sc);
  pthread_mutex_lock(&w->lock);
  for (;;) {
    /* Past the budget no directory is started; one taken already is finished. */
    if (w->entries >= w->budget) break;
    if (w->next < w->count) {
      size_t i = w->next++;
      job_t *job = w->jobs[i];
      job->taken = 1;
      w->active++;
      pthread_mutex_unlock(&w->lock);
      if (job->err == 0) list_one(job, w, &sc); /* else: refused before the threads started */
      size_t found = w->descent && job->err == 0 ? children_of(job, w->descent, &sc) : 0;
      pthread_mutex_lock(&w->lock);
      w->entries += job->entries + 1;
      if (found) add_children(w, i, &sc, found);
      w->active--;
      pthread_cond_broadcast(&w->wake);
      continue;
    }
    /* No job left: done, unless a thread still listing one may add more. */
    if (w->active == 0) break;
    pthread_cond_wait(&w->wake, &w->lock);
  }
  pthread_cond_broadcast(&w->wake);
  pthread_mutex_unlock(&w->lock);
  scratch_free(&sc);
  return NULL;
}

/* Sets up the work on `count` directories asked for (the caller sets each job's path, or its err
   when it names none). 0, or ENOMEM (work_free then releases what was made). */
static int work_init(work_t *w, size_t count, size_t budget, const vouch_t *vouch, const descent_t *descent) {
  memset(w, 0, sizeof *w);
  w->cap = count ? count : 1;
  if (!(w->jobs = calloc(w->cap, sizeof *w->jobs))) return ENOMEM;
  w->count = count; /* work_free skips the slots a failed allocation left empty */
  for (size_t i = 0; i < count; i++) {
    if (!(w->jobs[i] = calloc(1, sizeof **w->jobs))) return ENOMEM;
    w->jobs[i]->parent = -1;
  }
  w->budget = budget;
  w->vouch = vouch;
  w->descent = descent;
  w->root_fd = -1;
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->wake, NULL);
  return 0;
}

/* Lists with `threads` threads (this one among them). */
static void work_run(work_t *w, uint32_t threads) {
  pthread_t tids[MAX_THREADS];
  uint32_t started = 0;
  /* Without descent there is no more work than the directories asked for. */
  uint32_t want = w->descent || threads < w->count ? threads : (uint32_t)w->count;
  for (uint32_t t = 1; t < want && t < MAX_THREADS; t++) {
    if (pthread_create(&tids[started], NULL, worker, w) != 0) break;
    started++;
  }
  worker(w);
  for (uint32_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
}

/* The taken jobs form a prefix (threads take them in order): how many. For each, how many of its
   entries were entered and listed as jobs of their own. */
static size_t work_listed(work_t *w) {
  size_t listed = 0;
  while (listed < w->count && w->jobs[listed]->taken) listed++;
  for (size_t j = 0; j < listed; j++)
    if (w->jobs[j]->parent >= 0) w->jobs[w->jobs[j]->parent]->descended++;
  return listed;
}

static void work_free(work_t *w) {
  for (size_t i = 0; w->jobs && i < w->count; i++) {
    if (!w->jobs[i]) continue;
    free(w->jobs[i]->path);
    free(w->jobs[i]->data);
    free(w->jobs[i]);
  }
  free(w->jobs);
  free(w->seen.pairs);
  if (w->root_fd >= 0) close(w->root_fd);
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->wake);
  memset(w, 0, sizeof *w);
}

#ifndef DIRSTAT_NO_NAPI /* the sanitizer harness (native/dirstat-harness.c) builds the lister alone */
#include <node_api.h>

#define CHECK(call)                   \
  do {                                \
    if ((call) != napi_ok) goto fail; \
  } while (0)

/* A JavaScript array of the n values. */
static napi_status array_of(napi_env env, const napi_value *values, uint32_t n, napi_value *out) {
  napi_status s = napi_create_array_with_length(env, n, out);
  for (uint32_t k = 0; s == napi_ok && k < n; k++) s = napi_set_element(env, *out, k, values[k]);
  return s;
}

/* After a failed Node-API call: its error, or `message` when it left none pending. */
static void throw_unless_pending(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, message);
}

/* A malloc-ed UTF-8 copy of the string v in *out (its length in *len when len is not NULL). */
static napi_status string_of(napi_env env, napi_value v, char **out, size_t *len) {
  size_t n;
  napi_status s = napi_get_value_string_utf8(env, v, NULL, 0, &n);
  if (s != napi_ok) return s;
  if (!(*out = malloc(n + 1))) return napi_generic_failure;
  if (len) *len = n;
  return napi_get_value_string_utf8(env, v, *out, n + 1, &n);
}

/* The path of dirs[i], or an errno in job->err when it cannot name a directory. */
static napi_status read_path(napi_env env, napi_value v, job_t *job) {
  bool is_buffer = false;
  napi_status s = napi_is_buffer(env, v, &is_buffer);
  if (s != napi_ok) return s;
  size_t n;
  if (is_buffer) {
    void *p;
    if ((s = napi_get_buffer_info(env, v, &p, &n)) != napi_ok) return s;
    if (!(job->path = malloc(n + 1))) return napi_generic_failure;
    memcpy(job->path, p, n);
    job->path[n] = 0;
  } else {
    if ((s = napi_get_value_string_utf8(env, v, NULL, 0, &n)) != napi_ok) return s;
    if (!(job->path = malloc(n + 1))) return napi_generic_failure;
    if ((s = napi_get_value_string_utf8(env, v, job->path, n + 1, &n)) != napi_ok) return s;
  }
  /* A NUL inside a path would silently name another directory. */
  if (strlen(job->path) != n) job->err = EINVAL;
  return napi_ok;
}

/* The data of the typed array `name` of `obj`, if it is one of `type` with at least `min` items. */
static napi_status typed_field(napi_env env, napi_value obj, const char *name, napi_typedarray_type type,
                               size_t min, const void **data, size_t *length) {
  napi_value v;
  napi_status s = napi_get_named_property(env, obj, name, &v);
  if (s != napi_ok) return s;
  bool is_typed = false;
  if ((s = napi_is_typedarray(env, v, &is_typed)) != napi_ok) return s;
  if (!is_typed) return napi_invalid_arg;
  napi_typedarray_type t;
  void *p;
  if ((s = napi_get_typedarray_info(env, v, &t, length, &p, NULL, NULL)) != napi_ok) return s;
  if (t != type || *length < min) return napi_invalid_arg;
  *data = p;
  return napi_ok;
}

/* The strings of the array `name` of `obj`, each malloc-ed; *count of them. */
static napi_status string_list(napi_env env, napi_value obj, const char *name, char ***out, size_t *count) {
  napi_value arr;
  napi_status s = napi_get_named_property(env, obj, name, &arr);
  if (s != napi_ok) return s;
  uint32_t n = 0;
  if ((s = napi_get_array_length(env, arr, &n)) != napi_ok) return s;
  if (!(*out = calloc(n ? n : 1, sizeof **out))) return napi_generic_failure;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    size_t len;
    if ((s = napi_get_element(env, arr, i, &v)) != napi_ok) return s;
    if ((s = napi_get_value_string_utf8(env, v, NULL, 0, &len)) != napi_ok) return s;
    if (!((*out)[i] = malloc(len + 1))) return napi_generic_failure;
    *count = i + 1;
    if ((s = napi_get_value_string_utf8(env, v, (*out)[i], len + 1, &len)) != napi_ok) return s;
  }
  return napi_ok;
}

static void free_strings(char **list, size_t count) {
  for (size_t i = 0; i < count; i++) free(list[i]);
  free(list);
}

/* Reads statDirs' `vouch` argument; every array is checked against the count and table size. */
static napi_status read_vouch(napi_env env, napi_value obj, vouch_t *v) {
  napi_status s;
  napi_value n;
  uint32_t count = 0;
  double max_size = 0;
  if ((s = napi_get_named_property(env, obj, "count", &n)) != napi_ok) return s;
  if ((s = napi_get_value_uint32(env, n, &count)) != napi_ok) return s;
  if ((s = napi_get_named_property(env, obj, "maxSize", &n)) != napi_ok) return s;
  if ((s = napi_get_value_double(env, n, &max_size)) != napi_ok) return s;
  v->count = count;
  v->max_size = max_size;
  size_t len;
  const void *p;
  if ((s = typed_field(env, obj, "table", napi_int32_array, 1, &p, &len)) != napi_ok) return s;
  if (len > UINT32_MAX || (len & (len - 1)) != 0) return napi_invalid_arg;
  v->table = p;
  v->table_size = (uint32_t)len;
  const char *columns[] = {"dev", "ino", "size", "mtime", "ctime"};
  const double **targets[] = {&v->dev, &v->ino, &v->size, &v->mtime, &v->ctime};
  for (int k = 0; k < 5; k++) {
    if ((s = typed_field(env, obj, columns[k], napi_float64_array, count, &p, &len)) != napi_ok) return s;
    *targets[k] = p;
  }
  if ((s = typed_field(env, obj, "found", napi_uint8_array, count, &p, &len)) != napi_ok) return s;
  v->found = p;
  bool has_used = false;
  if ((s = napi_has_named_property(env, obj, "used", &has_used)) != napi_ok) return s;
  v->used = NULL;
  if (has_used) {
    if ((s = typed_field(env, obj, "used", napi_uint8_array, count, &p, &len)) != napi_ok) return s;
    v->used = (uint8_t *)p;
  }
  if ((s = string_list(env, obj, "keepNames", &v->keep_names, &v->keep_count)) != napi_ok) return s;
  return string_list(env, obj, "keepSuffixes", &v->keep_suffixes, &v->suffix_count);
}

/* A new typed array of `n` items of `size` bytes, and where its items are. */
static napi_status new_typed(napi_env env, napi_typedarray_type type, size_t n, size_t size, void **items,
                             napi_value *out) {
  napi_value buffer;
  napi_status s = napi_create_arraybuffer(env, n * size, items, &buffer);
  if (s != napi_ok) return s;
  return napi_create_typedarray(env, type, n, buffer, 0, out);
}

/* Whether optional argument k was given as an object (undefined, null or absent: not given). */
static napi_status object_arg(napi_env env, const napi_value *argv, size_t argc, size_t k, bool *given) {
  *given = false;
  if (argc <= k) return napi_ok;
  napi_valuetype t;
  napi_status s = napi_typeof(env, argv[k], &t);
  if (s == napi_ok) *given = t == napi_object;
  return s;
}

/* Reads statDirs' `descent` argument: {stopPaths, stopNames, holdNames, maxPath}. */
static napi_status read_descent(napi_env env, napi_value obj, descent_t *d) {
  napi_status s;
  napi_value n;
  double max_path = 0;
  if ((s = napi_get_named_property(env, obj, "maxPath", &n)) != napi_ok) return s;
  if ((s = napi_get_value_double(env, n, &max_path)) != napi_ok) return s;
  d->max_path = max_path >= 1 && max_path < PATH_MAX ? (size_t)max_path : 0;
  if ((s = string_list(env, obj, "stopPaths", &d->stop_paths, &d->stop_count)) != napi_ok) return s;
  if ((s = string_list(env, obj, "stopNames", &d->stop_names, &d->name_count)) != napi_ok) return s;
  return string_list(env, obj, "holdNames", &d->hold_names, &d->hold_count);
}

/* statDirs' result (see the top of this file) from the listed jobs. */
static napi_value result_of(napi_env env, work_t *w, size_t listed) {
  size_t total = 0, records = 0;
  for (size_t j = 0; j < listed; j++) {
    total += w->jobs[j]->len;
    records += w->jobs[j]->entries;
  }
  if (total > INT32_MAX || records > INT32_MAX) {
    napi_throw_range_error(env, NULL, "statDirs: listing over 2 GiB");
    return NULL;
  }
  napi_value result = NULL, data, dir_info_v, offsets_v, counts_v;
  void *bytes;
  int32_t *dir_info, *offsets;
  double *counts;
  CHECK(napi_create_buffer(env, total ? total : 1, &bytes, &data));
  CHECK(new_typed(env, napi_int32_array, listed * DIR_INFO, sizeof(int32_t), (void **)&dir_info, &dir_info_v));
  CHECK(new_typed(env, napi_int32_array, records, sizeof(int32_t), (void **)&offsets, &offsets_v));
  CHECK(new_typed(env, napi_float64_array, listed * 2, sizeof(double), (void **)&counts, &counts_v));
  size_t at = 0, record = 0;
  for (size_t j = 0; j < listed; j++) {
    const job_t *job = w->jobs[j];
    int32_t *info = dir_info + DIR_INFO * j;
    info[0] = (int32_t)record;
    info[1] = (int32_t)job->entries;
    info[2] = job->err;
    info[3] = (int32_t)job->parent;
    info[4] = -1;
    info[5] = (int32_t)(job->entries - job->descended);
    counts[2 * j] = job->vouched_files;
    counts[2 * j + 1] = job->vouched_bytes;
    if (job->len) memcpy((uint8_t *)bytes + at, job->data, job->len);
    for (size_t o = 0; o < job->len; record++) {
      offsets[record] = (int32_t)(at + o);
      uint16_t nlen;
      memcpy(&nlen, job->data + o + 2, 2);
      o += RECORD_SIZE(nlen);
    }
    at += job->len;
    if (job->parent >= 0) {
      /* Its record in the parent's listing, which comes first: marked as entered. */
      int32_t in_parent = dir_info[DIR_INFO * job->parent] + (int32_t)job->record;
      info[4] = in_parent;
      ((uint8_t *)bytes)[offsets[in_parent] + 1] = 1;
    }
  }
  napi_value parts[] = {data, dir_info_v, offsets_v, counts_v};
  CHECK(array_of(env, parts, 4, &result));
  return result;
fail:
  throw_unless_pending(env, "statDirs failed");
  return NULL;
}

static napi_value stat_dirs(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_value result = NULL;
  work_t w;
  memset(&w, 0, sizeof w);
  w.root_fd = -1;
  vouch_t vouch;
  memset(&vouch, 0, sizeof vouch);
  descent_t descent;
  memset(&descent, 0, sizeof descent);
  int vouching = 0, descending = 0;
  char *root = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "statDirs(dirs, threads, budget, vouch?, root?, descent?)");
    return NULL;
  }
  if (argc >= 5) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[4], &t));
    if (t == napi_string) {
      size_t n;
      CHECK(string_of(env, argv[4], &root, &n));
      if (strlen(root) != n || n == 0) {
        napi_throw_type_error(env, NULL, "statDirs: root is not a path");
        goto done;
      }
    }
  }
  bool given = false;
  CHECK(object_arg(env, argv, argc, 3, &given));
  if (given) {
    if (read_vouch(env, argv[3], &vouch) != napi_ok) {
      napi_throw_type_error(env, NULL, "statDirs: vouch is not a scan-cache index");
      goto done;
    }
    vouching = 1;
  }
  CHECK(object_arg(env, argv, argc, 5, &given));
  if (given) {
    if (read_descent(env, argv[5], &descent) != napi_ok) {
      napi_throw_type_error(env, NULL, "statDirs: descent is not {stopPaths, stopNames, holdNames, maxPath}");
      goto done;
    }
    descending = descent.max_path > 0;
  }
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[0], &count));
  uint32_t threads = 1;
  CHECK(napi_get_value_uint32(env, argv[1], &threads));
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  double budget = 0;
  CHECK(napi_get_value_double(env, argv[2], &budget));
  if (!(budget >= 1)) budget = 1;
  if (work_init(&w, count, budget > 1e15 ? (size_t)1e15 : (size_t)budget, vouching ? &vouch : NULL,
                descending ? &descent : NULL) != 0)
    goto fail;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[0], i, &v));
    CHECK(read_path(env, v, w.jobs[i]));
  }
  if (root) root_open(&w, root);
  work_run(&w, threads);
  result = result_of(env, &w, work_listed(&w));
  goto done;
fail:
  result = NULL;
  throw_unless_pending(env, "statDirs failed");
done:
  free_strings(vouch.keep_names, vouch.keep_count);
  free_strings(vouch.keep_suffixes, vouch.suffix_count);
  free_strings(descent.stop_paths, descent.stop_count);
  free_strings(descent.stop_names, descent.name_count);
  free_strings(descent.hold_names, descent.hold_count);
  work_free(&w);
  free(root);
  return result;
}

/* probePids(procDir: string, listed: Int32Array, upTo: number, budgetMs: number)
     -> [found: Int32Array, reached: number]
   The hidden-process check's probe (src/collect/linux/hidden.ts): every PID from 1 to upTo that
   the listing lacks and that the kernel knows (kill 0) is looked up as procDir/PID (fstatat on the
   open directory); those that exist are returned (threads of listed processes among them: the caller tells
   them apart). Stops at the time budget, checked every 4096 PIDs; `reached` is the last PID probed.
   Here ~0.3 us per PID, against ~4 us for existsSync in a worker thread that first had to start. */
static napi_value probe_pids(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result = NULL, found_v, reached_v;
  char *dir = NULL;
  uint8_t *listed = NULL;
  int32_t *found = NULL;
  int dfd = -1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "probePids(procDir, listed, upTo, budgetMs)");
    return NULL;
  }
  CHECK(string_of(env, argv[0], &dir, NULL));
  napi_typedarray_type type;
  size_t count;
  void *pids;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &count, &pids, NULL, NULL));
  if (type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "probePids: listed is not an Int32Array");
    goto done;
  }
  double up_to_d, budget_ms;
  CHECK(napi_get_value_double(env, argv[2], &up_to_d));
  CHECK(napi_get_value_double(env, argv[3], &budget_ms));
  /* PIDs are below 2^22 on Linux (PID_MAX_LIMIT); anything else is refused, not allocated. */
  if (!(up_to_d >= 0 && up_to_d <= 4194304)) {
    napi_throw_range_error(env, NULL, "probePids: upTo out of range");
    goto done;
  }
  int32_t up_to = (int32_t)up_to_d;
  dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    napi_throw_error(env, NULL, "probePids: cannot open the proc directory");
    goto done;
  }
  if (!(listed = calloc((size_t)up_to + 2, 1))) goto fail;
  for (size_t i = 0; i < count; i++) {
    int32_t pid = ((int32_t *)pids)[i];
    if (pid > 0 && pid <= up_to) listed[pid] = 1;
  }
  size_t cap = 1024, nfound = 0;
  if (!(found = malloc(cap * sizeof *found))) goto fail;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int32_t pid = 1;
  for (; pid <= up_to; pid++) {
    /* kill(pid, 0) first, straight to the kernel (a preloaded library's hooks in libc cannot
       answer for it): far cheaper than a procfs lookup for the thousands of free PIDs; it finds
       thread IDs too. What it finds is then looked up in procDir, which is what the check means. */
    if (!listed[pid] && (syscall(SYS_kill, pid, 0) == 0 || errno == EPERM)) {
      char name[16];
      struct stat st;
      snprintf(name, sizeof name, "%d", pid);
      if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (nfound == cap) {
          int32_t *more = realloc(found, (cap *= 2) * sizeof *found);
          if (!more) goto fail;
          found = more;
        }
        found[nfound++] = pid;
      }
    }
    if ((pid & 4095) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      double ms = (double)(t.tv_sec - t0.tv_sec) * 1e3 + (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
      if (ms > budget_ms) {
        pid++;
        break;
      }
    }
  }
  int32_t *out;
  CHECK(new_typed(env, napi_int32_array, nfound, sizeof(int32_t), (void **)&out, &found_v));
  if (nfound) memcpy(out, found, nfound * sizeof *found);
  CHECK(napi_create_int32(env, pid - 1, &reached_v));
  napi_value parts[] = {found_v, reached_v};
  CHECK(array_of(env, parts, 2, &result));
  goto done;
fail:
  result = NULL;
  throw_unless_pending(env, "probePids failed");
done:
  if (dfd >= 0) close(dfd);
  free(dir);
  free(listed);
  free(found);
  return result;
}

#include "procread.c"
#include "procmem.c"
#include "readwhole.c"

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "statDirs", NAPI_AUTO_LENGTH, stat_dirs, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "statDirs", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "probePids", NAPI_AUTO_LENGTH, probe_pids, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "probePids", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "readProcs", NAPI_AUTO_LENGTH, read_procs, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "readProcs", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "readMemory", NAPI_AUTO_LENGTH, read_memory, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "readMemory", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "readFileWhole", NAPI_AUTO_LENGTH, read_file_whole, NULL, &fn) != napi_ok)
    return NULL;
  if (napi_set_named_property(env, exports, "readFileWhole", fn) != napi_ok) return NULL;
  return exports;
}
#endif /* DIRSTAT_NO_NAPI */
