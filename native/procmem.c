// procmem: reads another process's memory for the content scan's memory jobs
// (src/engine/scan-job.ts). Included by dirstat.c (one addon). A pread of /proc/PID/mem copies a
// page at a time through a kernel buffer; process_vm_readv copies straight from the pinned pages:
// reading the writable regions of 600 processes took 180-195 ms through /proc/PID/mem and 60-67 ms
// this way (measured on this 2-core VM).
//
// readMemory(pid: number, address: number, buf: Uint8Array, offset: number, length: number) -> number
//   Reads `length` bytes at `address` of process `pid` into buf[offset..]; returns how many were
//   read (the kernel stops at the first page it cannot read: a prefix, as a pread of /proc/PID/mem
//   gives), or -errno when none could be (EPERM under a seccomp filter that refuses the call,
//   EFAULT at an unmapped address, ESRCH for a process gone). Throws only on bad arguments.
#include <sys/uio.h>

static napi_value read_memory(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "readMemory(pid, address, buf, offset, length)");
    return NULL;
  }
  int32_t pid;
  double address, offset, length;
  CHECK(napi_get_value_int32(env, argv[0], &pid));
  CHECK(napi_get_value_double(env, argv[1], &address));
  CHECK(napi_get_value_double(env, argv[3], &offset));
  CHECK(napi_get_value_double(env, argv[4], &length));
  napi_typedarray_type type;
  size_t size;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[2], &type, &size, &data, NULL, NULL));
  /* Addresses of user space are below 2^47 on x86-64 (2^56 with 5-level paging): exact in a double. */
  if (type != napi_uint8_array || pid <= 0 || !(address >= 0 && address < 9007199254740992.0) ||
      !(offset >= 0 && length >= 0 && offset + length <= (double)size)) {
    napi_throw_range_error(env, NULL, "readMemory: bad pid, address or range");
    return NULL;
  }
  struct iovec local = {(uint8_t *)data + (size_t)offset, (size_t)length};
  struct iovec remote = {(void *)(uintptr_t)address, (size_t)length};
  ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
  CHECK(napi_create_double(env, n >= 0 ? (double)n : -(double)errno, &result));
  return result;
fail:
  return NULL;
}
