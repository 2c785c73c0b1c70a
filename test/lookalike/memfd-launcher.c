/*
 * Starts a program the way fileless droppers do, for the tests: copies PAYLOAD into an anonymous
 * memory file (memfd_create) and executes that with fexecve, keeping this process's argv (argv[0]
 * included) and environment. /proc/PID/exe then reads "/memfd:<name> (deleted)"; nothing new is
 * written to disk. Build: cc -O1 -DPAYLOAD='"/path/to/lookalike"' -o launcher memfd-launcher.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef PAYLOAD
#error "PAYLOAD must be defined"
#endif

extern char **environ;

int main(int argc, char **argv) {
  (void)argc;
  int in = open(PAYLOAD, O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    perror("open payload");
    return 111;
  }
  int mem = memfd_create("kworker", MFD_CLOEXEC);
  if (mem < 0) {
    perror("memfd_create");
    return 111;
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    if (write(mem, buf, (size_t)n) != n) {
      perror("write memfd");
      return 111;
    }
  }
  close(in);
  fexecve(mem, argv, environ);
  perror("fexecve");
  return 111;
}
