/* A harmless look-alike of a cryptominer for minehunter's end-to-end tests: it carries miner-like
 * strings and behaves like one from the outside (disguised name, Stratum login to a pool, CPU
 * burn), but it contains no hashing code, talks only to loopback and always exits by itself. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Strings a content scanner would recognise in a real XMRig build. They are printed in the banner
 * and the usage text, so the compiler keeps them in the binary even at -O1. */
#define AGENT "XMRig/6.21.0"
#define FAKE_WALLET                                                                                  \
  "4AMinehunterTestWa11etNotRea1DoNotSendFundsHere111111111111111111111111111111111111111111111111"
static const char *const banner_lines[] = {
    " * ABOUT        XMRig 6.21.0 gcc/12.2.0 (look-alike, no hashing code)",
    " * LIBS         libuv/1.44.2 OpenSSL/3.0.11 hwloc/2.9.0",
    " * ALGO         randomx rx/0 (RandomX), cryptonight cn/r, argon2 astrobwt",
    " * POOL #1      stratum+tcp://pool.example.invalid:3333 algo rx/0",
    " * DONATE       --donate-level 1 (default wallet " FAKE_WALLET ")",
    NULL,
};
static const char usage_text[] =
    "Usage: xmrig [OPTIONS]\n"
    "  -o, --url=URL                 URL of mining server (stratum+tcp://HOST:PORT)\n"
    "  -u, --user=USERNAME           username for mining server (wallet address)\n"
    "  -p, --pass=PASSWORD           password for mining server\n"
    "  -a, --algo=ALGO               mining algorithm: rx/0, cn/r, cryptonight, randomx\n"
    "      --donate-level=N          donate level, default 1%% (1 minute in 100 minutes)\n"
    "      --seconds=N               (look-alike only) stop after N seconds, default 60, max 300\n"
    "  -h, --help                    display this help and exit\n";

#define DEFAULT_SECONDS 60
#define MAX_SECONDS 300

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Accepts only stratum+tcp://A.B.C.D:PORT with a 127.0.0.0/8 address: the look-alike must never
 * reach a real pool, whatever a test passes it. */
static int parse_pool_url(const char *url, struct sockaddr_in *out) {
  static const char prefix[] = "stratum+tcp://";
  if (strncmp(url, prefix, sizeof prefix - 1) != 0) return -1;
  const char *hostport = url + sizeof prefix - 1;
  const char *colon = strrchr(hostport, ':');
  if (colon == NULL || colon == hostport) return -1;
  char host[64];
  size_t hostlen = (size_t)(colon - hostport);
  if (hostlen >= sizeof host) return -1;
  memcpy(host, hostport, hostlen);
  host[hostlen] = '\0';
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10);
  if (end == colon + 1 || *end != '\0' || port < 1 || port > 65535) return -1;
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, host, &out->sin_addr) != 1) return -1;
  if ((ntohl(out->sin_addr.s_addr) >> 24) != 127) return -2;
  return 0;
}

/* Sends the XMRig-style JSON-RPC login and waits (bounded) for the pool's first reply line. */
static int stratum_login(int fd, const char *wallet, const char *pass) {
  char request[512];
  int n = snprintf(request, sizeof request,
                   "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"%s\","
                   "\"pass\":\"%s\",\"agent\":\"" AGENT "\"}}\n",
                   wallet, pass);
  if (n < 0 || (size_t)n >= sizeof request) return -1;
  size_t sent = 0;
  while (sent < (size_t)n) {
    ssize_t w = send(fd, request + sent, (size_t)n - sent, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    sent += (size_t)w;
  }
  char reply[4096];
  size_t got = 0;
  while (got < sizeof reply - 1) {
    ssize_t r = recv(fd, reply + got, sizeof reply - 1 - got, 0);
    if (r < 0 && errno == EINTR && !stop_requested) continue;
    if (r <= 0) return -1;
    got += (size_t)r;
    reply[got] = '\0';
    if (strchr(reply, '\n') != NULL) break;
  }
  reply[got] = '\0';
  char *nl = strchr(reply, '\n');
  if (nl != NULL) *nl = '\0';
  printf("[net] pool replied: %s\n", reply);
  fflush(stdout);
  return strstr(reply, "\"result\"") != NULL ? 0 : -1;
}

int main(int argc, char **argv) {
  const char *url = NULL;
  const char *wallet = FAKE_WALLET;
  const char *pass = "x";
  long seconds = DEFAULT_SECONDS;

  /* A failing test must never leave us running: stop on SIGTERM/SIGINT/SIGHUP, and when the
   * process that started us dies. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) return 0;

  /* Started as "[name]", take "name" as the task name too, like droppers that pose as kernel threads. */
  if (argc > 0 && argv[0][0] == '[') {
    char comm[16];
    size_t len = strcspn(argv[0] + 1, "]");
    if (len >= sizeof comm) len = sizeof comm - 1;
    memcpy(comm, argv[0] + 1, len);
    comm[len] = '\0';
    prctl(PR_SET_NAME, comm, 0, 0, 0);
  }

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--url") == 0) && v != NULL) {
      url = v;
      i++;
    } else if ((strcmp(a, "-u") == 0 || strcmp(a, "--user") == 0) && v != NULL) {
      wallet = v;
      i++;
    } else if ((strcmp(a, "-p") == 0 || strcmp(a, "--pass") == 0) && v != NULL) {
      pass = v;
      i++;
    } else if ((strcmp(a, "-a") == 0 || strcmp(a, "--algo") == 0 || strcmp(a, "--donate-level") == 0) &&
               v != NULL) {
      i++; /* accepted for realism; there is nothing to configure */
    } else if (strcmp(a, "--seconds") == 0 && v != NULL) {
      seconds = strtol(v, NULL, 10);
      i++;
    } else {
      fprintf(stderr, "unknown option: %s\n%s", a, usage_text);
      return 2;
    }
  }
  if (seconds <= 0) seconds = DEFAULT_SECONDS;
  if (seconds > MAX_SECONDS) seconds = MAX_SECONDS;
  if (url == NULL) {
    fprintf(stderr, "no pool: pass -o stratum+tcp://127.0.0.1:PORT\n");
    return 2;
  }

  struct sockaddr_in pool;
  int parsed = parse_pool_url(url, &pool);
  if (parsed == -2) {
    fprintf(stderr, "refusing %s: the look-alike only connects to 127.0.0.0/8\n", url);
    return 2;
  }
  if (parsed != 0) {
    fprintf(stderr, "bad pool URL %s: expected stratum+tcp://127.0.0.1:PORT\n", url);
    return 2;
  }

  for (const char *const *line = banner_lines; *line != NULL; line++) puts(*line);
  fflush(stdout);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    perror("socket");
    return 3;
  }
  struct timeval tv = {.tv_sec = 10, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&pool, sizeof pool) != 0) {
    perror("connect");
    return 3;
  }
  if (stratum_login(fd, wallet, pass) != 0) {
    fprintf(stderr, "login failed\n");
    close(fd);
    return 3;
  }
  printf("[cpu] burning CPU for at most %ld s (no hashing)\n", seconds);
  fflush(stdout);

  /* Keep the pool connection open while busy, as a miner does, so scanners see the socket. */
  const double deadline = now_seconds() + (double)seconds;
  volatile unsigned long spins = 0;
  while (!stop_requested) {
    for (int i = 0; i < 1000000; i++) spins++;
    if (now_seconds() >= deadline) break;
  }
  close(fd);
  printf("[cpu] stopped after %lu spins\n", (unsigned long)spins);
  return 0;
}
