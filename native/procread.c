// procread: the process walk's reads of /proc/PID, many processes per call, for
// src/collect/linux/proc-read.ts. Included by dirstat.c (one addon). From Node each procfs file
// costs an openSync, two readSyncs and a closeSync through the binding, a readlink a string and
// an exception object when it fails: with 5,000 processes the reads took ~1.2 s of one thread,
// where the same system calls made from here take ~0.55 s (measured on this 2-core VM).
//
// readProcs(procDir: string, pids: Int32Array, masks: Uint16Array, out: Uint8Array, spans: Int32Array)
//     -> number
//   For each pid in turn, the parts whose bit is set in its mask (PART_* below, in that order), read
//   below procDir/PID opened once, into `out`; returns how many pids were read before one did not
//   fit (0: the first did not; the caller calls again with more room). The caller's buffers are
//   reused from call to call, so a walk allocates nothing per process here. spans receives, per pid
//   and per part (PARTS of them, asked or not), four numbers: where its bytes start in out, how
//   many, the errno when it failed (else 0) and the system call that failed (SYS_* below). A file part holds the file's bytes, read to its end; a
//   link part the link's target (stat, asked alone for a CPU sample, is opened as PID/stat in one
//   call); the fd part the targets of the links in fd/ that name a socket
//   ("socket:[INODE]"), each followed by a NUL. An fd that closes meanwhile (ENOENT) is passed
//   over; any other failure of its readlink fails the part, and its bytes are then the fd's name.
#include <stdint.h>

enum {
  PART_STATUS,
  PART_CMDLINE,
  PART_EXE,
  PART_CWD,
  PART_ENVIRON,
  PART_MAPS,
  PART_FD,
  PART_NETNS,
  PART_CGROUP,
  PART_STAT,
  PARTS
};
enum { SYS_NONE, SYS_OPEN, SYS_READ, SYS_READLINK, SYS_SCANDIR };

static const char *const part_names[PARTS] = {"status", "cmdline", "exe", "cwd",    "environ",
                                              "maps",   "fd",      "ns/net", "cgroup", "stat"};
static const uint8_t part_is_link[PARTS] = {0, 0, 1, 1, 0, 0, 0, 1, 0, 0};

/* The caller's buffer: `len` of its `cap` bytes written. Nothing here allocates: a process whose
   bytes do not fit is left for the next call (OVERFLOW), which the caller makes with more room. */
typedef struct {
  uint8_t *data;
  size_t len, cap;
} out_t;

#define OVERFLOW (-1)

/* Reads the file `name` below dfd to its end into out; 0, OVERFLOW, or the errno with *sys the
   failed call. */
static int read_part(int dfd, const char *name, out_t *o, int *sys) {
  int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *sys = SYS_OPEN;
    return errno;
  }
  int err = 0;
  for (;;) {
    /* A full buffer before the read that returns 0 cannot tell the end from more to come. */
    if (o->len == o->cap) {
      err = OVERFLOW;
      break;
    }
    ssize_t got = read(fd, o->data + o->len, o->cap - o->len);
    if (got < 0) {
      if (errno == EINTR) continue;
      err = errno;
      *sys = SYS_READ;
      break;
    }
    if (got == 0) break;
    o->len += (size_t)got;
  }
  close(fd);
  return err;
}

/* The target of the link `name` below dfd, appended to out; 0, OVERFLOW or the errno. */
static int link_part(int dfd, const char *name, out_t *o) {
  size_t room = o->cap - o->len;
  if (room == 0) return OVERFLOW;
  ssize_t n = readlinkat(dfd, name, (char *)o->data + o->len, room);
  if (n < 0) return errno;
  if ((size_t)n == room) return OVERFLOW; /* possibly cut short */
  o->len += (size_t)n;
  return 0;
}

/* The socket links of dfd/fd (see readProcs); 0, OVERFLOW, or the errno with *sys and, for a
   readlink, the fd's name as the part's bytes. */
static int fd_part(int dfd, out_t *o, size_t start, int *sys, char *dents) {
  int fdd = openat(dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fdd < 0) {
    *sys = SYS_SCANDIR;
    return errno;
  }
  int err = 0;
  char target[64];
  for (;;) {
    long got = syscall(SYS_getdents64, fdd, dents, DENTS_SIZE);
    if (got < 0) {
      err = errno;
      *sys = SYS_SCANDIR;
      break;
    }
    if (got == 0) break;
    for (long off = 0; off < got && !err;) {
      const struct dirent64 *e = (const struct dirent64 *)(dents + off);
      off += e->d_reclen;
      const char *name = e->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      ssize_t n = readlinkat(fdd, name, target, sizeof target);
      if (n < 0) {
        if (errno == ENOENT || errno == ESRCH) continue; /* closed meanwhile */
        err = errno;
        *sys = SYS_READLINK;
        o->len = start;
        size_t nlen = strlen(name);
        if (o->cap - o->len < nlen) {
          err = OVERFLOW;
          break;
        }
        memcpy(o->data + o->len, name, nlen);
        o->len += nlen;
        break;
      }
      /* Only sockets matter; a longer target is a file, never a socket. */
      if ((size_t)n >= sizeof target || n < 9 || memcmp(target, "socket:[", 8) != 0) continue;
      if (o->cap - o->len < (size_t)n + 1) {
        err = OVERFLOW;
        break;
      }
      memcpy(o->data + o->len, target, (size_t)n);
      o->data[o->len + (size_t)n] = 0;
      o->len += (size_t)n + 1;
    }
    if (err) break;
  }
  close(fdd);
  return err;
}

/* Reads the asked parts of one process into out, writing its spans (PARTS * 4 numbers); OVERFLOW
   when they do not fit (out is then as before), else 0. */
static int read_one(int proc_fd, int32_t pid, uint16_t mask, out_t *o, int32_t *span, char *dents) {
  char name[32];
  size_t begin = o->len;
  if (mask == 1u << PART_STAT) {
    /* A CPU sample reads stat alone: opened by its path below procDir, no directory opened first. */
    memset(span, 0, PARTS * 4 * sizeof *span);
    for (int p = 0; p < PARTS; p++) span[4 * p] = (int32_t)o->len;
    int32_t *s = span + 4 * PART_STAT;
    int sys = SYS_NONE;
    snprintf(name, sizeof name, "%d/stat", pid);
    int err = read_part(proc_fd, name, o, &sys);
    if (err == OVERFLOW) {
      o->len = begin;
      return OVERFLOW;
    }
    if (err) {
      o->len = begin;
      s[2] = err;
      s[3] = sys;
    }
    s[1] = (int32_t)(o->len - begin);
    return 0;
  }
  snprintf(name, sizeof name, "%d", pid);
  int overflow = 0;
  int dfd = openat(proc_fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int dir_err = dfd < 0 ? errno : 0;
  for (int p = 0; p < PARTS && !overflow; p++) {
    int32_t *s = span + 4 * p;
    s[0] = (int32_t)o->len;
    s[1] = s[2] = s[3] = 0;
    if (!(mask & (1u << p))) continue;
    size_t start = o->len;
    int sys = SYS_NONE, err;
    if (dir_err) {
      err = dir_err;
      sys = p == PART_FD ? SYS_SCANDIR : part_is_link[p] ? SYS_READLINK : SYS_OPEN;
    } else if (p == PART_FD) {
      err = fd_part(dfd, o, start, &sys, dents);
    } else if (part_is_link[p]) {
      err = link_part(dfd, part_names[p], o);
      sys = SYS_READLINK;
    } else {
      err = read_part(dfd, part_names[p], o, &sys);
    }
    if (err == OVERFLOW) {
      overflow = 1;
    } else if (err) {
      /* A failed part keeps no bytes, but the fd part keeps the name of the fd that failed. */
      if (!(p == PART_FD && sys == SYS_READLINK)) o->len = start;
      s[2] = err;
      s[3] = sys;
    }
    s[1] = (int32_t)(o->len - start);
  }
  if (dfd >= 0) close(dfd);
  if (overflow) o->len = begin;
  return overflow ? OVERFLOW : 0;
}

static napi_value read_procs(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result = NULL;
  char *dir = NULL, *dents = NULL;
  int proc_fd = -1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "readProcs(procDir, pids, masks, out, spans)");
    return NULL;
  }
  CHECK(string_of(env, argv[0], &dir, NULL));
  napi_typedarray_type type[4];
  size_t len[4];
  void *arr[4];
  for (int k = 0; k < 4; k++)
    CHECK(napi_get_typedarray_info(env, argv[1 + k], &type[k], &len[k], &arr[k], NULL, NULL));
  size_t count = len[0];
  if (type[0] != napi_int32_array || type[1] != napi_uint16_array || len[1] != count ||
      type[2] != napi_uint8_array || type[3] != napi_int32_array || len[3] < count * PARTS * 4 ||
      len[2] > INT32_MAX) {
    napi_throw_type_error(env, NULL,
                          "readProcs: pids an Int32Array, masks a Uint16Array as long, out a Buffer under 2 GiB, "
                          "spans an Int32Array of 40 numbers per pid");
    goto done;
  }
  proc_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_fd < 0) {
    napi_throw_error(env, NULL, "readProcs: cannot open the proc directory");
    goto done;
  }
  if (!(dents = malloc(DENTS_SIZE))) goto fail;
  out_t o = {arr[2], 0, len[2]};
  size_t i = 0;
  for (; i < count; i++)
    if (read_one(proc_fd, ((int32_t *)arr[0])[i], ((uint16_t *)arr[1])[i], &o, (int32_t *)arr[3] + i * PARTS * 4,
                 dents) == OVERFLOW)
      break;
  CHECK(napi_create_uint32(env, (uint32_t)i, &result));
  goto done;
fail:
  result = NULL;
  throw_unless_pending(env, "readProcs failed");
done:
  if (proc_fd >= 0) close(proc_fd);
  free(dir);
  free(dents);
  return result;
}
