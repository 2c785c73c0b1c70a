// Runs dirstat's lister without Node, for the test that builds it with AddressSanitizer and
// UndefinedBehaviorSanitizer (src/engine/dir-lister.test.ts): memory errors in C would otherwise
// only show as a crash of a scan, or not at all.
// Usage: dirstat-harness THREADS BUDGET DIR...   prints "listed N entries E errors X" and, per
// directory, "path: entries" or "path: errno".
#define DIRSTAT_NO_NAPI
#include "dirstat.c"

#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s THREADS BUDGET DIR...\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[1]);
  if (threads < 1 || threads > MAX_THREADS) threads = 1;
  size_t count = (size_t)(argc - 3);
  job_t *jobs = calloc(count ? count : 1, sizeof *jobs);
  if (!jobs) return 1;
  for (size_t i = 0; i < count; i++) jobs[i].path = strdup(argv[i + 3]);
  work_t w = {jobs, count, 0, 0, (size_t)strtoull(argv[2], NULL, 10)};
  pthread_t tids[MAX_THREADS];
  for (int t = 1; t < threads; t++) pthread_create(&tids[t], NULL, worker, &w);
  worker(&w);
  for (int t = 1; t < threads; t++) pthread_join(tids[t], NULL);
  size_t listed = 0, entries = 0, errors = 0;
  for (size_t i = 0; i < count; i++) {
    if (jobs[i].taken) {
      listed++;
      entries += jobs[i].entries;
      if (jobs[i].err) errors++;
      if (jobs[i].err) printf("%s: errno %d\n", jobs[i].path, jobs[i].err);
      else printf("%s: %zu\n", jobs[i].path, jobs[i].entries);
    }
    free(jobs[i].data);
    free(jobs[i].path);
  }
  free(jobs);
  printf("listed %zu entries %zu errors %zu\n", listed, entries, errors);
  return 0;
}
