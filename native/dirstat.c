// dirstat: lists directories and stats their entries in native threads, for the content scan's
// walker (src/engine/dir-lister.ts). A rescan of an unchanged tree is nothing but this listing and
// a cache lookup per file; from Node one lstat costs 3-5 us and one thread does them all, here a
// fstatat relative to the open directory costs under 2 us and all cores share the directories.
//
// statDirs(dirs: (string | Buffer)[], threads: number, budget: number): [Buffer, Int32Array]
//   Lists the directories in order until `budget` entries have been listed (at least one
//   directory is always listed), so a batch of huge directories cannot fill the memory. The
//   Int32Array holds two numbers per listed directory (fewer than `dirs` when the budget ran out):
//   the start and length of its records in the Buffer, or -errno and -1 when it could not be read.
//   Records, sorted by name (the order Node's readdir gives), each a multiple of 8 bytes long:
//     u8 kind, u8 0, u16 name length, i32 errno of the stat (0 when it worked),
//     f64 dev, ino, size, mode, mtime s, mtime ns, ctime s, ctime ns (mode 0: not stat-ed),
//     the name's bytes, padded to a multiple of 8.
//   kind: 0 unknown, 1 file, 2 directory, 3 symlink, 4 fifo, 5 socket, 6 char device, 7 block device.
//   Files, directories and entries of unknown type are lstat-ed. A symlink is stat-ed through (so
//   the errno says ELOOP for a loop) and never followed otherwise; FIFOs, sockets and devices are
//   not stat-ed at all.
// Uses only Node-API (ABI-stable): one build serves every Node from 20 on.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { K_UNKNOWN, K_FILE, K_DIR, K_SYMLINK, K_FIFO, K_SOCKET, K_CHR, K_BLK };

#define HEADER 8
#define FIELDS 8
#define FIXED (HEADER + FIELDS * 8)
#define MAX_THREADS 16

typedef struct {
  char *path;     /* NUL-terminated directory path */
  uint8_t *data;  /* records, or NULL */
  size_t len;
  int err;        /* errno when the directory could not be listed */
  size_t entries;
  int taken;      /* a thread took it (the taken ones form a prefix of the jobs) */
} job_t;

typedef struct {
  job_t *jobs;
  size_t count;
  size_t next;    /* shared, taken with an atomic add */
  size_t entries; /* listed so far, shared */
  size_t budget;
} work_t;

/* One directory's names, kept in one buffer while they are sorted. */
typedef struct {
  uint32_t at; /* offset in the names buffer */
  uint16_t len;
  unsigned char type;
} name_t;

static int by_name(const void *a, const void *b, void *names) {
  return strcmp((const char *)names + ((const name_t *)a)->at, (const char *)names + ((const name_t *)b)->at);
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

static void list_one(job_t *job) {
  int dfd = open(job->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    job->err = errno;
    return;
  }
  DIR *d = fdopendir(dfd);
  if (!d) {
    job->err = errno;
    close(dfd);
    return;
  }
  name_t *names = NULL;
  char *text = NULL;
  size_t count = 0, names_cap = 0, text_len = 0, text_cap = 0, data_cap = 0;
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    size_t len = strlen(n);
    if (reserve((void **)&names, &names_cap, count * sizeof *names, sizeof *names) ||
        reserve((void **)&text, &text_cap, text_len, len + 1) || text_len + len + 1 > UINT32_MAX) {
      job->err = ENOMEM;
      goto out;
    }
    memcpy(text + text_len, n, len + 1);
    names[count].at = (uint32_t)text_len;
    names[count].len = (uint16_t)len; /* NAME_MAX is 255 */
    names[count].type = e->d_type;
    text_len += len + 1;
    count++;
    errno = 0;
  }
  if (errno != 0) {
    job->err = errno;
    goto out;
  }
  if (count > 1) qsort_r(names, count, sizeof *names, by_name, text);

  for (size_t i = 0; i < count; i++) {
    const char *name = text + names[i].at;
    size_t nlen = names[i].len;
    size_t padded = (nlen + 7) & ~(size_t)7;
    if (reserve((void **)&job->data, &data_cap, job->len, FIXED + padded)) {
      job->err = ENOMEM;
      goto out;
    }
    uint8_t *r = job->data + job->len;
    memset(r, 0, FIXED + padded);
    int kind = kind_of_dtype(names[i].type);
    int err = 0;
    struct stat st;
    memset(&st, 0, sizeof st);
    if (kind == K_SYMLINK) {
      if (fstatat(dfd, name, &st, 0) != 0) err = errno;
      memset(&st, 0, sizeof st);
    } else if (kind == K_FILE || kind == K_DIR || kind == K_UNKNOWN) {
      if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        err = errno;
        memset(&st, 0, sizeof st);
      } else if (kind == K_UNKNOWN) {
        kind = kind_of_mode(st.st_mode);
      }
    }
    r[0] = (uint8_t)kind;
    uint16_t n16 = (uint16_t)nlen;
    int32_t e32 = err;
    memcpy(r + 2, &n16, 2);
    memcpy(r + 4, &e32, 4);
    /* The integers Node's lstat puts in its Float64Array; the times as seconds and nanoseconds,
       combined in JavaScript exactly as Node combines them into mtimeMs and ctimeMs. */
    double f[FIELDS] = {(double)st.st_dev,         (double)st.st_ino,          (double)st.st_size,
                        (double)st.st_mode,        (double)st.st_mtim.tv_sec,  (double)st.st_mtim.tv_nsec,
                        (double)st.st_ctim.tv_sec, (double)st.st_ctim.tv_nsec};
    memcpy(r + HEADER, f, sizeof f);
    memcpy(r + FIXED, name, nlen);
    job->len += FIXED + padded;
    job->entries++;
  }
out:
  free(names);
  free(text);
  closedir(d);
  if (job->err) {
    free(job->data);
    job->data = NULL;
    job->len = 0;
  }
}

static void *worker(void *arg) {
  work_t *w = arg;
  for (;;) {
    /* Past the budget no directory is started; one taken already is finished. */
    if (__atomic_load_n(&w->entries, __ATOMIC_RELAXED) >= w->budget) return NULL;
    size_t i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
    if (i >= w->count) return NULL;
    job_t *job = &w->jobs[i];
    job->taken = 1;
    if (job->err == 0) list_one(job); /* else: refused before the threads started */
    __atomic_fetch_add(&w->entries, job->entries + 1, __ATOMIC_RELAXED);
  }
}

#ifndef DIRSTAT_NO_NAPI /* the sanitizer harness (native/dirstat-harness.c) builds the lister alone */
#include <node_api.h>

#define CHECK(call)                   \
  do {                                \
    if ((call) != napi_ok) goto fail; \
  } while (0)

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

static napi_value stat_dirs(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_value result = NULL;
  job_t *jobs = NULL;
  uint32_t count = 0;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "statDirs(dirs, threads, budget)");
    return NULL;
  }
  CHECK(napi_get_array_length(env, argv[0], &count));
  uint32_t threads = 1;
  CHECK(napi_get_value_uint32(env, argv[1], &threads));
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  double budget = 0;
  CHECK(napi_get_value_double(env, argv[2], &budget));
  if (!(budget >= 1)) budget = 1;
  jobs = calloc(count ? count : 1, sizeof *jobs);
  if (!jobs) goto fail;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    CHECK(napi_get_element(env, argv[0], i, &v));
    CHECK(read_path(env, v, &jobs[i]));
  }

  work_t w = {jobs, count, 0, 0, budget > 1e15 ? (size_t)1e15 : (size_t)budget};
  pthread_t tids[MAX_THREADS];
  uint32_t started = 0;
  uint32_t want = threads < count ? threads : count;
  for (uint32_t t = 1; t < want; t++) {
    if (pthread_create(&tids[started], NULL, worker, &w) != 0) break;
    started++;
  }
  worker(&w); /* this thread works too */
  for (uint32_t t = 0; t < started; t++) pthread_join(tids[t], NULL);

  /* Threads take jobs in order, so the taken ones are a prefix; the first is always taken. */
  uint32_t listed = 0;
  size_t total = 0;
  while (listed < count && jobs[listed].taken) total += jobs[listed++].len;
  if (total > INT32_MAX) {
    napi_throw_range_error(env, NULL, "statDirs: listing over 2 GiB");
    goto done;
  }
  void *bytes;
  napi_value data, spans_buffer, spans;
  CHECK(napi_create_buffer(env, total ? total : 1, &bytes, &data));
  void *span_bytes;
  CHECK(napi_create_arraybuffer(env, (size_t)listed * 2 * sizeof(int32_t), &span_bytes, &spans_buffer));
  CHECK(napi_create_typedarray(env, napi_int32_array, (size_t)listed * 2, spans_buffer, 0, &spans));
  int32_t *span = span_bytes;
  size_t at = 0;
  for (uint32_t i = 0; i < listed; i++) {
    if (jobs[i].err) {
      span[2 * i] = -jobs[i].err;
      span[2 * i + 1] = -1;
      continue;
    }
    if (jobs[i].len) memcpy((uint8_t *)bytes + at, jobs[i].data, jobs[i].len);
    span[2 * i] = (int32_t)at;
    span[2 * i + 1] = (int32_t)jobs[i].len;
    at += jobs[i].len;
  }
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_set_element(env, result, 0, data));
  CHECK(napi_set_element(env, result, 1, spans));
  goto done;
fail:
  result = NULL;
  {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, NULL, "statDirs failed");
  }
done:
  if (jobs) {
    for (uint32_t i = 0; i < count; i++) {
      free(jobs[i].path);
      free(jobs[i].data);
    }
    free(jobs);
  }
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "statDirs", NAPI_AUTO_LENGTH, stat_dirs, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "statDirs", fn) != napi_ok) return NULL;
  return exports;
}
#endif /* DIRSTAT_NO_NAPI */
