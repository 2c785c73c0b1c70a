/* A harmless look-alike for the scan-sharing tests (test/e2e/scan-sharing): the same executable runs
 * as several processes, and only the one started with the argument "decode" writes miner strings
 * into a heap region (XOR-decoded, as decoded.c does); the others fill a region of the same size
 * with plain bytes. Built with -DPLAIN, the file also carries those strings in clear, for the test
 * that replaces the executable on disk. It mines nothing, opens nothing, and exits by itself after
 * at most 120 seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* volatile: the compiler must not decode the strings at build time into the binary. */
static volatile unsigned char key = 0x5a;

/* "XMRig/6.21.0\0donate.v2.xmrig.com\0--donate-level\0--randomx-1gb-pages\0", XOR 0x5a. */
static const unsigned char encoded[] = {
#include "decoded-strings.h"
};

#ifdef PLAIN
/* The same strings in clear, kept in the file's read-only data. */
__attribute__((used)) const char plain_strings[] =
    "XMRig/6.21.0\0donate.v2.xmrig.com\0--donate-level\0--randomx-1gb-pages";
#endif

int main(int argc, char **argv) {
  int decode = argc > 1 && strcmp(argv[1], "decode") == 0;
  size_t n = sizeof encoded;
  unsigned char *region = malloc(n);
  if (!region) return 1;
  for (size_t i = 0; i < n; i++) region[i] = decode ? encoded[i] ^ key : 'x';
  printf("ready %d\n", decode);
  fflush(stdout);
  for (int i = 0; i < 120; i++) {
    /* Touch the region so it stays live. */
    if (region[0] == 0) break;
    sleep(1);
  }
  free(region);
  return 0;
}
