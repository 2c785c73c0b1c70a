// Runs dirstat's lister without Node, for the tests that build it with AddressSanitizer and
// UndefinedBehaviorSanitizer (src/engine/dir-lister.test.ts): memory errors in C would otherwise
// only show as a crash of a scan, or not at all.
// Usage:
//   dirstat-harness THREADS BUDGET DIR...   lists; prints per directory "path: entries" or
//                                           "path: errno N", then "listed N entries E errors X"
//                                           and "reads R" (getdents64 calls)
//   dirstat-harness --vouch THREADS DIR...  lists twice: once to index every non-empty regular
//                                           file, then with that index as the vouch (keeping the
//                                           name "keep-me" and the ending ".tgz"); prints
//                                           "vouched F files B bytes, R records"
//   dirstat-harness --descend THREADS BUDGET DIR...
//                                           lists with descent (stop paths /proc and /sys, stop
//                                           name "stop-here", hold name "hold-here"); prints as
//                                           above, for the directories entered too, then
//                                           "entered N"
//   dirstat-harness --hash DEV INO...       prints index_hash of each pair, one per line
//   dirstat-harness --root ROOT DIR...      lists confined to ROOT; prints "path: errno N" for each
//                                           directory that could not be listed and for each
//                                           symlink, then "symlinks N"
//                                           (MINEHUNTER_DIRSTAT_OPENAT2=0: the fallback)
//   dirstat-harness --read FILE...          reads each file whole (readwhole.c); prints
//                                           "path: LENGTH SUM" (SUM: its bytes added, mod 2^32)
//                                           or "path: errno N"
#define DIRSTAT_NO_NAPI
#include "dirstat.c"
#include "readwhole.c"

#include <stdio.h>

static work_t *run(char **dirs, size_t count, int threads, size_t budget, const vouch_t *vouch,
                   const char *root, const descent_t *descent) {
  work_t *w = malloc(sizeof *w);
  if (!w || work_init(w, count, budget, vouch, descent) != 0) exit(1);
  for (size_t i = 0; i < count; i++) w->jobs[i]->path = strdup(dirs[i]);
  if (root) root_open(w, root);
  work_run(w, (uint32_t)threads);
  return w;
}

static void free_jobs(work_t *w) {
  work_free(w);
  free(w);
}

/* An index of every non-empty regular file the jobs listed, laid out as file-index.ts lays it. */
static vouch_t index_of(const work_t *w, size_t count) {
  size_t n = 0;
  for (size_t i = 0; i < count; i++) n += w->jobs[i]->entries;
  uint32_t size = 32;
  while (size < 2 * n) size *= 2;
  double *cols = calloc(5 * (n ? n : 1), sizeof *cols);
  int32_t *table = calloc(size, sizeof *table);
  uint8_t *found = calloc(n ? n : 1, 1);
  /* Marked by the threads for each entry that vouched for a file (a write the sanitizers watch). */
  uint8_t *used = calloc(n ? n : 1, 1);
  if (!cols || !table || !found || !used) exit(1);
  vouch_t v = {table, size, cols, cols + n, cols + 2 * n, cols + 3 * n, cols + 4 * n, found, used, 0, 1e18,
               NULL, 0, NULL, 0};
  double *dev = cols, *ino = cols + n, *sz = cols + 2 * n, *mt = cols + 3 * n, *ct = cols + 4 * n;
  for (size_t i = 0; i < count; i++) {
    const job_t *job = w->jobs[i];
    for (size_t o = 0; o < job->len;) {
      record_t r;
      record_read(job->data, &o, &r);
      const double *f = r.f;
      if (r.kind != K_FILE || !S_ISREG((mode_t)f[3]) || f[2] <= 0) continue;
      uint32_t s = v.count++;
      dev[s] = f[0];
      ino[s] = f[1];
      sz[s] = f[2];
      mt[s] = f[4] * 1e3 + f[5] / 1e6;
      ct[s] = f[6] * 1e3 + f[7] / 1e6;
      uint32_t h = index_hash(f[0], f[1]) & (size - 1);
      while (table[h] != 0) h = (h + 1) & (size - 1);
      table[h] = (int32_t)s + 1;
    }
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--read") == 0) {
    for (int i = 2; i < argc; i++) {
      size_t len = 0;
      int err = 0;
      uint8_t *bytes = read_whole(argv[i], &len, &err);
      if (!bytes) {
        printf("%s: errno %d\n", argv[i], err);
        continue;
      }
      uint32_t sum = 0;
      for (size_t k = 0; k < len; k++) sum += bytes[k];
      printf("%s: %zu %u\n", argv[i], len, sum);
      free(bytes);
    }
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "--hash") == 0) {
    for (int i = 2; i + 1 < argc; i += 2)
      printf("%u\n", index_hash(strtod(argv[i], NULL), strtod(argv[i + 1], NULL)));
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "--vouch") == 0) {
    int threads = atoi(argv[2]);
    if (threads < 1 || threads > MAX_THREADS) threads = 1;
    size_t count = (size_t)(argc - 3);
    work_t *first = run(argv + 3, count, threads, (size_t)-1, NULL, NULL, NULL);
    vouch_t v = index_of(first, count);
    free_jobs(first);
    char *keep_names[] = {"keep-me"};
    char *keep_suffixes[] = {".tgz"};
    v.keep_names = keep_names;
    v.keep_count = 1;
    v.keep_suffixes = keep_suffixes;
    v.suffix_count = 1;
    work_t *second = run(argv + 3, count, threads, (size_t)-1, &v, NULL, NULL);
    double files = 0, bytes = 0;
    size_t records = 0;
    for (size_t i = 0; i < count; i++) {
      files += second->jobs[i]->vouched_files;
      bytes += second->jobs[i]->vouched_bytes;
      records += second->jobs[i]->entries;
    }
    size_t marked = 0;
    for (uint32_t i = 0; i < v.count; i++) marked += v.used[i];
    printf("vouched %.0f files %.0f bytes, %zu records, %zu entries used\n", files, bytes, records, marked);
    free_jobs(second);
    free((void *)v.dev);
    free((void *)v.table);
    free((void *)v.found);
    free(v.used);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "--root") == 0) {
    size_t count = (size_t)(argc - 3);
    work_t *w = run(argv + 3, count, 2, (size_t)-1, NULL, argv[2], NULL);
    size_t links = 0;
    for (size_t i = 0; i < count; i++) {
      const job_t *job = w->jobs[i];
      if (job->err) printf("%s: errno %d\n", job->path, job->err);
      for (size_t o = 0; o < job->len;) {
        record_t r;
        record_read(job->data, &o, &r);
        if (r.kind != K_SYMLINK) continue;
        links++;
        printf("%s/%.*s: errno %d\n", job->path, (int)r.name_len, r.name, r.err);
      }
    }
    printf("symlinks %zu\n", links);
    free_jobs(w);
    return 0;
  }
  if (argc < 3) {
    fprintf(stderr, "usage: %s THREADS BUDGET DIR... | --vouch THREADS DIR... | --hash DEV INO... | --root ROOT DIR...\n", argv[0]);
    return 2;
  }
  int descend = strcmp(argv[1], "--descend") == 0;
  if (descend && argc < 4) return 2;
  int threads = atoi(argv[1 + descend]);
  if (threads < 1 || threads > MAX_THREADS) threads = 1;
  size_t count = (size_t)(argc - 3 - descend);
  char *stop_paths[] = {"/proc", "/sys"};
  char *stop_names[] = {"stop-here"};
  char *hold_names[] = {"hold-here"};
  descent_t d = {stop_paths, 2, stop_names, 1, hold_names, 1, 3500};
  work_t *w = run(argv + 3 + descend, count, threads, (size_t)strtoull(argv[2 + descend], NULL, 10), NULL, NULL,
                  descend ? &d : NULL);
  size_t listed = 0, entries = 0, errors = 0, below = 0, reads = 0;
  size_t taken = work_listed(w);
  for (size_t i = 0; i < taken; i++) {
    const job_t *job = w->jobs[i];
    listed++;
    entries += job->entries;
    reads += job->reads;
    if (job->parent >= 0) below++;
    if (job->err) errors++;
    if (job->err) printf("%s: errno %d\n", job->path, job->err);
    else printf("%s: %zu\n", job->path, job->entries);
  }
  free_jobs(w);
  printf("listed %zu entries %zu errors %zu\n", listed, entries, errors);
  printf("reads %zu\n", reads);
  if (descend) printf("entered %zu\n", below);
  return 0;
}
