/* A harmless look-alike of a packed miner, for the memory-scan test: its miner strings are stored
 * XOR-encoded, so the file on disk matches no rule; at start it decodes them into heap memory (as a
 * packer or an encrypted config would), prints "ready" and waits. It mines nothing, opens nothing,
 * and exits by itself after at most 120 seconds. Built and run only by test/e2e/content-memory. */
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

int main(void) {
  size_t n = sizeof encoded;
  unsigned char *plain = malloc(n);
  if (!plain) return 1;
  for (size_t i = 0; i < n; i++) plain[i] = encoded[i] ^ key;
  printf("ready %zu\n", n);
  fflush(stdout);
  for (int i = 0; i < 120; i++) {
    /* Touch the buffer so it stays live. */
    if (plain[0] != 'X') break;
    sleep(1);
  }
  free(plain);
  return 0;
}
