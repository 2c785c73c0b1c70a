// readwhole: reads a whole file into memory the kernel may back with transparent huge pages, for
// the scan cache's index (src/engine/cache.ts, through src/util/read-whole.ts). Included by
// dirstat.c (one addon). Every fresh 4 KiB page a process touches costs a page fault, ~12 µs on
// this VM: readFileSync of the 1.3 MB index of the bench tree took 4.0-4.5 ms, nearly all of it
// faults, where the same read into a 2 MiB-aligned buffer marked MADV_HUGEPAGE took 0.3-0.4 ms (one
// fault). On a host where THP is off the advice does nothing and the read costs what Node's does.
//
// readFileWhole(path: string) -> Buffer | number
//   The file's bytes, or -errno when it cannot be opened or read (the caller then asks Node, whose
//   error names the failure as Node names it). A file that grows while it is read gives -EAGAIN.
#include <sys/mman.h>

#define HUGE_PAGE_BYTES ((size_t)2 << 20)
/* Below this a huge page would hold mostly nothing: the file is read into malloc-ed memory. */
#define HUGE_READ_MIN_BYTES ((size_t)1 << 20)

/* A buffer of `size` bytes (at least one), huge-page aligned and advised when it is large; free()s. */
static void *whole_alloc(size_t size) {
  if (size < HUGE_READ_MIN_BYTES) return malloc(size ? size : 1);
  size_t rounded = (size + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
  void *p = NULL;
  if (posix_memalign(&p, HUGE_PAGE_BYTES, rounded) != 0) return NULL;
  /* Advice only: refused (THP off, an old kernel), the pages are ordinary ones. */
  (void)madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

/* The whole file at `path` (its length in *len), or NULL with the errno in *err. */
static void *read_whole(const char *path, size_t *len, int *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    *err = errno;
    return NULL;
  }
  struct stat st;
  uint8_t *buf = NULL;
  size_t size = 0, got = 0;
  if (fstat(fd, &st) != 0) goto failed;
  if (!S_ISREG(st.st_mode)) {
    /* A directory fails its read as Node's would; anything else (a FIFO, a device) has no size. */
    errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    goto failed;
  }
  size = (size_t)st.st_size;
  if (!(buf = whole_alloc(size))) goto failed;
  while (got < size) {
    ssize_t n = read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) goto failed;
    if (n == 0) break; /* shrank meanwhile: what is there */
    got += (size_t)n;
  }
  if (got == size) {
    /* Grown meanwhile: one more byte says so, and the caller reads it the ordinary way. */
    uint8_t probe;
    ssize_t n;
    while ((n = read(fd, &probe, 1)) < 0 && errno == EINTR) {
    }
    if (n != 0) {
      errno = n > 0 ? EAGAIN : errno;
      goto failed;
    }
  }
  close(fd);
  *len = got;
  return buf;
failed:
  *err = errno;
  free(buf);
  close(fd);
  return NULL;
}

#ifndef DIRSTAT_NO_NAPI
static void free_whole(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_value read_file_whole(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result = NULL;
  char *path = NULL;
  void *data = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) CHECK(napi_typeof(env, argv[0], &type));
  if (type != napi_string) {
    napi_throw_type_error(env, NULL, "readFileWhole(path: string)");
    return NULL;
  }
  size_t plen;
  CHECK(string_of(env, argv[0], &path, &plen));
  if (strlen(path) != plen) {
    /* A NUL inside the path: Node refuses such a path too. */
    CHECK(napi_create_int32(env, -EINVAL, &result));
    goto done;
  }
  size_t len = 0;
  int err = 0;
  if (!(data = read_whole(path, &len, &err))) {
    CHECK(napi_create_int32(env, -err, &result));
    goto done;
  }
  /* Owned by the Buffer from here: freed when it is collected. */
  CHECK(napi_create_external_buffer(env, len, data, free_whole, NULL, &result));
  data = NULL;
  goto done;
fail:
  result = NULL;
  throw_unless_pending(env, "readFileWhole failed");
done:
  free(data);
  free(path);
  return result;
}
#endif /* DIRSTAT_NO_NAPI */
