/* Force-included (`-include`) into the native addons the single executable carries, so that they
 * load on hosts with glibc 2.28 (RHEL 8, Debian 10) although they are compiled here against a newer
 * one. glibc keeps every old symbol version: the functions that got a new version later (moved from
 * libpthread/libdl into libc in 2.34, the math functions without SVID error handling in 2.29) are
 * linked to the version 2.28 already had. The stat family became real symbols only in 2.33 (before,
 * headers turned them into calls of __xstat64 and friends); those are defined here as direct system
 * calls, hidden inside the addon so they never replace the host's, under names of their own with
 * the symbol names as assembler labels (a source built with _FILE_OFFSET_BITS=64 later renames stat to
 * stat64 in its headers, which would clash with a definition named stat). x86-64 only: there the kernel's
 * struct stat is glibc's struct stat64. scripts/package.mjs checks the result with objdump. */
#ifndef MINEHUNTER_GLIBC_2_28_H
#define MINEHUNTER_GLIBC_2_28_H
#if defined(__x86_64__) && defined(__linux__)

/* No system header here: one included before the source's own feature macros (_GNU_SOURCE) would
 * change what that source sees. What the definitions below need is declared by hand. */
#ifdef __cplusplus
extern "C" {
#define MINEHUNTER_NOEXCEPT noexcept(true)
#else
#define MINEHUNTER_NOEXCEPT
#endif
struct stat;
struct stat64;
long int syscall(long int number, ...) MINEHUNTER_NOEXCEPT;
/* x86-64 system call numbers (asm/unistd_64.h). */
#define MINEHUNTER_SYS_stat 4
#define MINEHUNTER_SYS_fstat 5
#define MINEHUNTER_SYS_lstat 6
#define MINEHUNTER_SYS_newfstatat 262

__asm__(".symver pthread_create,pthread_create@GLIBC_2.2.5");
__asm__(".symver pthread_join,pthread_join@GLIBC_2.2.5");
__asm__(".symver pthread_once,pthread_once@GLIBC_2.2.5");
__asm__(".symver pthread_mutex_trylock,pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver pthread_mutexattr_init,pthread_mutexattr_init@GLIBC_2.2.5");
__asm__(".symver pthread_mutexattr_destroy,pthread_mutexattr_destroy@GLIBC_2.2.5");
__asm__(".symver pthread_mutexattr_settype,pthread_mutexattr_settype@GLIBC_2.2.5");
__asm__(".symver dlopen,dlopen@GLIBC_2.2.5");
__asm__(".symver dlclose,dlclose@GLIBC_2.2.5");
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
__asm__(".symver dlerror,dlerror@GLIBC_2.2.5");
__asm__(".symver exp,exp@GLIBC_2.2.5");
__asm__(".symver log,log@GLIBC_2.2.5");
__asm__(".symver log2,log2@GLIBC_2.2.5");
__asm__(".symver pow,pow@GLIBC_2.2.5");

#define MINEHUNTER_LOCAL __attribute__((weak, visibility("hidden")))

MINEHUNTER_LOCAL int minehunter_stat64(const char *__restrict path, struct stat64 *__restrict buf) MINEHUNTER_NOEXCEPT __asm__("stat64");
MINEHUNTER_LOCAL int minehunter_stat64(const char *__restrict path, struct stat64 *__restrict buf) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_stat, path, buf);
}
MINEHUNTER_LOCAL int minehunter_lstat64(const char *__restrict path, struct stat64 *__restrict buf) MINEHUNTER_NOEXCEPT __asm__("lstat64");
MINEHUNTER_LOCAL int minehunter_lstat64(const char *__restrict path, struct stat64 *__restrict buf) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_lstat, path, buf);
}
MINEHUNTER_LOCAL int minehunter_fstat64(int fd, struct stat64 *buf) MINEHUNTER_NOEXCEPT __asm__("fstat64");
MINEHUNTER_LOCAL int minehunter_fstat64(int fd, struct stat64 *buf) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_fstat, fd, buf);
}
MINEHUNTER_LOCAL int minehunter_fstatat64(int dirfd, const char *__restrict path, struct stat64 *__restrict buf,
                               int flags) MINEHUNTER_NOEXCEPT __asm__("fstatat64");
MINEHUNTER_LOCAL int minehunter_fstatat64(int dirfd, const char *__restrict path, struct stat64 *__restrict buf,
                               int flags) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_newfstatat, dirfd, path, buf, flags);
}
/* Sources built without _FILE_OFFSET_BITS=64 call these names; on x86-64 the structures are the same. */
MINEHUNTER_LOCAL int minehunter_stat(const char *__restrict path, struct stat *__restrict buf) MINEHUNTER_NOEXCEPT __asm__("stat");
MINEHUNTER_LOCAL int minehunter_stat(const char *__restrict path, struct stat *__restrict buf) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_stat, path, buf);
}
MINEHUNTER_LOCAL int minehunter_lstat(const char *__restrict path, struct stat *__restrict buf) MINEHUNTER_NOEXCEPT __asm__("lstat");
MINEHUNTER_LOCAL int minehunter_lstat(const char *__restrict path, struct stat *__restrict buf) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_lstat, path, buf);
}
MINEHUNTER_LOCAL int minehunter_fstat(int fd, struct stat *buf) MINEHUNTER_NOEXCEPT __asm__("fstat");
MINEHUNTER_LOCAL int minehunter_fstat(int fd, struct stat *buf) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_fstat, fd, buf);
}
MINEHUNTER_LOCAL int minehunter_fstatat(int dirfd, const char *__restrict path, struct stat *__restrict buf,
                             int flags) MINEHUNTER_NOEXCEPT __asm__("fstatat");
MINEHUNTER_LOCAL int minehunter_fstatat(int dirfd, const char *__restrict path, struct stat *__restrict buf,
                             int flags) MINEHUNTER_NOEXCEPT {
  return (int)syscall(MINEHUNTER_SYS_newfstatat, dirfd, path, buf, flags);
}

#ifdef __cplusplus
}

/* The C++ runtime has the same floor: RHEL 8 and Debian 10 ship GCC 8's libstdc++ (GLIBCXX_3.4.25).
 * GCC 11 and later make `new T[n]` call std::__throw_bad_array_new_length (GLIBCXX_3.4.29), which
 * such a host lacks, so the addon would not load there. A hidden definition inside the addon throws
 * std::bad_alloc instead, the base class of std::bad_array_new_length, which every libstdc++ has. */
namespace std {
void __throw_bad_alloc() __attribute__((__noreturn__));
MINEHUNTER_LOCAL __attribute__((__noreturn__)) void __throw_bad_array_new_length() { __throw_bad_alloc(); }
} // namespace std
#endif
#endif
#endif
