/* Test helper for minehunter's end-to-end tests: loads each shared object named on the command line
 * (as a Python interpreter loads extension modules or node loads a native addon), prints "ready" and
 * waits, so a scan sees the objects in /proc/PID/maps. It runs no code of the objects beyond their
 * constructors and always exits by itself after at most 120 seconds. */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!dlopen(argv[i], RTLD_NOW | RTLD_LOCAL)) {
      fprintf(stderr, "dlopen-holder: %s\n", dlerror());
      return 2;
    }
  }
  printf("ready\n");
  fflush(stdout);
  alarm(120);
  for (;;) pause();
}
