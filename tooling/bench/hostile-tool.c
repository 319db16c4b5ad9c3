/*
 * hostile-tool: the attacker and the probe of bond's reliability benchmark
 * (tooling/bench/reliability-bench.mjs) and of the flood tests in tooling/test. Loopback only: every
 * address is in 127.0.0.0/8. Paced against the monotonic clock, batched with sendmmsg, so the
 * generator is not what limits the attack.
 *
 *   hostile-tool fuzz PORT PPS COUNT BURST SEED [VECTORS]
 *       sends COUNT hostile datagrams to 127.0.0.1:PORT at PPS on average from 16 source sockets
 *       (127.0.1.1..16). BURST 0: steady, a batch every millisecond; BURST N > 0: N datagrams back to
 *       back, then silence until the average is PPS again. The mix, drawn per datagram (SEED seeds
 *       it): random bytes; truncated and bit-flipped captures; captures with their type rewritten;
 *       odd keepalives (any length, extended ones with extreme telemetry); SRT control garbage; SRT
 *       NAKs whose ranges span the whole sequence space; REG2 with unknown ids and REG1/REG2 one
 *       byte off their length. VECTORS: captured datagrams, each a big-endian u16 length and its
 *       bytes (reliability-bench.mjs writes it from ../shared/vectors); without it the capture-based
 *       kinds send random bytes. Prints "sent N".
 *   hostile-tool reg1 PORT PPS COUNT SOURCES
 *       sends COUNT well-formed REG1 (258 bytes, a fresh random id each) to 127.0.0.1:PORT at PPS,
 *       spread round-robin over SOURCES sockets on distinct addresses 127.42.x.y (up to 60000).
 *       Replies are not read (as a flooder would not). Prints "sources N", then "sent N".
 *   hostile-tool probe PORT INTERVAL_MS SECONDS
 *       from its own socket on 127.0.0.250, sends a REG1 (fresh id) every INTERVAL_MS for SECONDS and
 *       times the receiver's answer (REG2 with the probe's half of the id; a REG_ERR or REG_NGP
 *       answers the oldest probe waiting). A probe unanswered after 2 s is counted lost. Prints
 *       "port P" at start, then "probes N answered A refused R unanswered U" and
 *       "delay_ms p50 X p99 Y max Z" (-1 when nothing was answered).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench-udp.h"

#define BATCH 64
#define SLOT 1500
#define FUZZ_SOURCES 16
#define REG_LENGTH 258
#define ID_LENGTH 256

/* xorshift64*: fast, seeded, good enough for fuzzing. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dULL;
}
static uint32_t below(uint32_t n) { return (uint32_t)(next_random() % n); }
static void random_bytes(uint8_t *out, size_t length) {
  for (size_t i = 0; i < length; i++) out[i] = (uint8_t)next_random();
}
static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* The captured datagrams, loaded from VECTORS. */
static uint8_t *captures = NULL;
static size_t *capture_offset = NULL;
static uint16_t *capture_length = NULL;
static size_t capture_count = 0;

static int load_captures(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL) return -1;
  fseek(file, 0, SEEK_END);
  long size = ftell(file);
  fseek(file, 0, SEEK_SET);
  if (size <= 0) {
    fclose(file);
    return -1;
  }
  captures = malloc((size_t)size);
  if (captures == NULL || fread(captures, 1, (size_t)size, file) != (size_t)size) {
    fclose(file);
    return -1;
  }
  fclose(file);
  size_t count = 0;
  for (size_t at = 0; at + 2 <= (size_t)size; count++) at += 2 + ((captures[at] << 8) | captures[at + 1]);
  capture_offset = calloc(count + 1, sizeof *capture_offset);
  capture_length = calloc(count + 1, sizeof *capture_length);
  if (capture_offset == NULL || capture_length == NULL) return -1;
  for (size_t at = 0; at + 2 <= (size_t)size && capture_count < count;) {
    uint16_t length = (uint16_t)((captures[at] << 8) | captures[at + 1]);
    if (at + 2 + length > (size_t)size) break;
    if (length > 0 && length <= SLOT) {
      capture_offset[capture_count] = at + 2;
      capture_length[capture_count] = length;
      capture_count++;
    }
    at += 2 + length;
  }
  return 0;
}

/* A capture copied into OUT (random bytes of a random length without captures); its length. */
static size_t some_capture(uint8_t *out) {
  if (capture_count == 0) {
    size_t length = 1 + below(SLOT);
    random_bytes(out, length);
    return length;
  }
  size_t which = below((uint32_t)capture_count);
  memcpy(out, captures + capture_offset[which], capture_length[which]);
  return capture_length[which];
}

/* One hostile datagram into OUT (SLOT bytes); returns its length. */
static size_t hostile_datagram(uint8_t *out) {
  switch (below(9)) {
  case 0: { /* random bytes, any length */
    size_t length = 1 + below(SLOT);
    random_bytes(out, length);
    return length;
  }
  case 1: { /* a capture cut short */
    size_t length = some_capture(out);
    return length <= 1 ? length : 1 + below((uint32_t)length - 1);
  }
  case 2: { /* a capture with 1-8 bits flipped */
    size_t length = some_capture(out);
    int flips = 1 + (int)below(8);
    for (int i = 0; i < flips; i++) out[below((uint32_t)length)] ^= (uint8_t)(1u << below(8));
    return length;
  }
  case 3: { /* a capture retyped: another SRTLA or SRT control type */
    size_t length = some_capture(out);
    if (length < 2) return length;
    static const uint16_t types[] = {0x9000, 0x9100, 0x9200, 0x9201, 0x9202, 0x9210,
                                     0x9211, 0x9212, 0x9fff, 0x8000, 0x8001, 0x8002,
                                     0x8003, 0x8005, 0x8006, 0x8007, 0xffff, 0x0000};
    put16(out, types[below(sizeof types / sizeof types[0])]);
    return length;
  }
  case 4: { /* an odd keepalive: any length; extended ones with extreme telemetry */
    size_t length = 2 + below(SLOT - 2);
    random_bytes(out, length);
    put16(out, 0x9000);
    if (length >= 38 && below(2) == 0) {
      put16(out + 10, 0xc01f);
      put16(out + 12, 1);
      put32(out + 18, below(2) ? 0x7fffffff : 0x80000000); /* window */
      put32(out + 22, below(2) ? 0x7fffffff : 0x80000000); /* in flight */
      put32(out + 26, 0xffffffff);                         /* rtt ms */
      put32(out + 30, (uint32_t)next_random());            /* NAK count */
      put32(out + 34, 0xffffffff);                         /* bitrate */
      if (length >= 44 && below(2) == 0) {                 /* a bond trailer, garbage inside */
        put16(out + 38, 0xb04d);
        out[40] = 1;
        out[41] = 0;
        put16(out + 42, (uint32_t)(length - 44 + below(64)));
      }
    }
    return length;
  }
  case 5: { /* SRT control garbage: a control type and random fields */
    size_t length = 4 + below(200);
    random_bytes(out, length);
    static const uint16_t types[] = {0x8000, 0x8001, 0x8002, 0x8004, 0x8005,
                                     0x8006, 0x8007, 0x8008, 0xffff};
    put16(out, types[below(sizeof types / sizeof types[0])]);
    return length;
  }
  case 6: { /* an SRT NAK whose ranges cover (nearly) the whole 31-bit space */
    size_t entries = 2 * (1 + below(40));
    size_t length = 16 + 4 * entries;
    random_bytes(out, 16);
    put16(out, 0x8003);
    for (size_t e = 0; e < entries; e += 2) {
      uint32_t start = (uint32_t)next_random() & 0x7fffffff;
      put32(out + 16 + 4 * e, 0x80000000u | start);
      put32(out + 16 + 4 * e + 4, below(2) ? (start - 1) & 0x7fffffff : 0xffffffff);
    }
    return length;
  }
  case 7: { /* REG2 with an id nobody registered (the receiver answers REG_NGP) */
    random_bytes(out, REG_LENGTH);
    put16(out, 0x9201);
    return REG_LENGTH;
  }
  default: { /* REG1 / REG2 one byte off their only valid length */
    size_t length = below(2) ? REG_LENGTH - 1 : REG_LENGTH + 1;
    random_bytes(out, length);
    put16(out, below(2) ? 0x9200 : 0x9201);
    return length;
  }
  }
}

static void raise_fd_limit(int wanted) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur >= (rlim_t)wanted) return;
  limit.rlim_cur = limit.rlim_max < (rlim_t)wanted ? limit.rlim_max : (rlim_t)wanted;
  setrlimit(RLIMIT_NOFILE, &limit);
}

/*
 * Sends COUNT datagrams at PPS (BURST 0: a batch each millisecond; else bursts of BURST back to
 * back), each made by MAKE into a slot, from FDS[i % N] round-robin. Returns the number sent.
 */
typedef size_t (*maker)(uint8_t *out);
static long long pace(int *fds, int fd_count, struct sockaddr_in *to, double pps, long long count,
                      long long burst, maker make) {
  static uint8_t slab[BATCH][SLOT];
  struct mmsghdr messages[BATCH];
  struct iovec iov[BATCH];
  memset(messages, 0, sizeof messages);
  const double start = now_seconds();
  const double limit = (double)count / pps * 2 + 5; /* bounded even if sends stall */
  long long sent = 0;
  long long next_source = 0;
  while (sent < count && !stopping) {
    double elapsed = now_seconds() - start;
    if (elapsed > limit) break;
    long long due;
    if (burst > 0) {
      /* burst k (0-based) starts at k * burst / pps */
      long long bursts_due = (long long)(elapsed * pps / (double)burst) + 1;
      due = bursts_due * burst;
    } else {
      due = (long long)(elapsed * pps);
    }
    if (due > count) due = count;
    if (due <= sent) {
      struct timespec pause = {0, burst > 0 ? 1000000 : 200000};
      nanosleep(&pause, NULL);
      continue;
    }
    /* one source per sendmmsg call; the next call takes the next source */
    int fd = fds[next_source++ % fd_count];
    int want = due - sent > BATCH ? BATCH : (int)(due - sent);
    for (int i = 0; i < want; i++) {
      iov[i].iov_base = slab[i];
      iov[i].iov_len = make(slab[i]);
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
      messages[i].msg_hdr.msg_name = to;
      messages[i].msg_hdr.msg_namelen = sizeof *to;
    }
    int done = sendmmsg(fd, messages, (unsigned)want, 0);
    if (done > 0) sent += done;
    else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR && errno != ECONNREFUSED) break;
  }
  return sent;
}

static int fuzz(int port, double pps, long long count, long long burst, const char *vectors) {
  struct sockaddr_in to;
  if (loopback(&to, "127.0.0.1", port) != 0 || !(pps > 0) || count < 0 || burst < 0) return 2;
  if (vectors != NULL && load_captures(vectors) != 0) {
    fprintf(stderr, "hostile-tool: cannot read the captures in %s\n", vectors);
    return 2;
  }
  int fds[FUZZ_SOURCES];
  for (int i = 0; i < FUZZ_SOURCES; i++) {
    char address[32];
    snprintf(address, sizeof address, "127.0.1.%d", i + 1);
    fds[i] = bound_socket(address, 0);
    if (fds[i] < 0) {
      fprintf(stderr, "hostile-tool: cannot bind %s\n", address);
      return 1;
    }
  }
  long long sent = pace(fds, FUZZ_SOURCES, &to, pps, count, burst, hostile_datagram);
  printf("sent %lld\n", sent);
  fflush(stdout);
  for (int i = 0; i < FUZZ_SOURCES; i++) close(fds[i]);
  return 0;
}

static size_t reg1_datagram(uint8_t *out) {
  random_bytes(out, REG_LENGTH);
  put16(out, 0x9200);
  return REG_LENGTH;
}

static int reg1_flood(int port, double pps, long long count, int sources) {
  struct sockaddr_in to;
  if (loopback(&to, "127.0.0.1", port) != 0 || sources < 1 || sources > 60000 || !(pps > 0))
    return 2;
  raise_fd_limit(sources + 64);
  int *fds = calloc((size_t)sources, sizeof *fds);
  if (fds == NULL) return 1;
  for (int i = 0; i < sources; i++) {
    char address[32];
    snprintf(address, sizeof address, "127.42.%d.%d", i / 250, 1 + i % 250);
    fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in local;
    loopback(&local, address, 0);
    int small = 16384; /* replies are never read: keep what they pile up small */
    if (fds[i] >= 0) setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&local, sizeof local) != 0) {
      fprintf(stderr, "hostile-tool: cannot bind source %d (%s): %s\n", i, address, strerror(errno));
      return 1;
    }
  }
  printf("sources %d\n", sources);
  fflush(stdout);
  /* one REG1 per source per sendmmsg call keeps the spread even: batches of 1 per source */
  struct mmsghdr message;
  struct iovec iov;
  static uint8_t slot[SLOT];
  memset(&message, 0, sizeof message);
  const double start = now_seconds();
  const double limit = (double)count / pps * 2 + 5;
  long long sent = 0;
  while (sent < count && !stopping) {
    double elapsed = now_seconds() - start;
    if (elapsed > limit) break;
    long long due = (long long)(elapsed * pps);
    if (due > count) due = count;
    if (due <= sent) {
      struct timespec pause = {0, 200000};
      nanosleep(&pause, NULL);
      continue;
    }
    while (sent < due) {
      iov.iov_base = slot;
      iov.iov_len = reg1_datagram(slot);
      message.msg_hdr.msg_iov = &iov;
      message.msg_hdr.msg_iovlen = 1;
      message.msg_hdr.msg_name = &to;
      message.msg_hdr.msg_namelen = sizeof to;
      int done = sendmmsg(fds[sent % sources], &message, 1, 0);
      if (done != 1 && errno != EAGAIN && errno != ENOBUFS && errno != EINTR && errno != ECONNREFUSED)
        break;
      sent++; /* a send the kernel refused still counts as attempted: a flooder never retries */
    }
    if (sent < due) break;
  }
  printf("sent %lld\n", sent);
  fflush(stdout);
  for (int i = 0; i < sources; i++) close(fds[i]);
  free(fds);
  return 0;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

#define MAX_PROBES 100000
#define PROBE_TIMEOUT 2.0

static int probe(int port, double interval_ms, double seconds) {
  struct sockaddr_in to;
  if (loopback(&to, "127.0.0.1", port) != 0 || interval_ms < 1 || seconds <= 0) return 2;
  int fd = bound_socket("127.0.0.250", 1);
  if (fd < 0) {
    fprintf(stderr, "hostile-tool: cannot bind 127.0.0.250\n");
    return 1;
  }
  static uint8_t ids[MAX_PROBES][128];
  static double sent_at[MAX_PROBES];
  static char state[MAX_PROBES]; /* 0 waiting, 1 answered, 2 refused, 3 lost */
  static double delays[MAX_PROBES];
  long long probes = 0, answered = 0, refused = 0, lost = 0, oldest = 0;
  size_t delay_count = 0;
  const double start = now_seconds();
  double next = start;
  uint8_t packet[SLOT];
  /* HOSTILE_PROBE_LOG=FILE: every answer's send time (CLOCK_MONOTONIC, s) and delay (ms), one per
   * line, appended, to line up slow answers with a profile of the receiver taken on that clock. */
  const char *each_path = getenv("HOSTILE_PROBE_LOG");
  FILE *each = each_path != NULL && each_path[0] != '\0' ? fopen(each_path, "a") : NULL;
  if (each_path != NULL && each_path[0] != '\0' && each == NULL)
    fprintf(stderr, "hostile-tool: cannot open HOSTILE_PROBE_LOG %s: %s\n", each_path, strerror(errno));
  while (!stopping) {
    double now = now_seconds();
    if (now - start >= seconds + PROBE_TIMEOUT) break;
    if (now >= next && now - start < seconds && probes < MAX_PROBES) {
      reg1_datagram(packet);
      memcpy(ids[probes], packet + 2, 128);
      sent_at[probes] = now_seconds();
      state[probes] = 0;
      sendto(fd, packet, REG_LENGTH, 0, (struct sockaddr *)&to, sizeof to);
      probes++;
      next += interval_ms / 1000.0;
    }
    while (oldest < probes && (state[oldest] != 0 || now - sent_at[oldest] > PROBE_TIMEOUT)) {
      if (state[oldest] == 0) {
        state[oldest] = 3;
        lost++;
      }
      oldest++;
    }
    if (now - start >= seconds && oldest >= probes) break;
    struct pollfd watch = {fd, POLLIN, 0};
    /* Sleep until the next probe is due or an answer comes, to the microsecond: a millisecond
     * timeout would round the last part of each interval down to 0 and spin, taking a CPU from
     * the receiver being measured. */
    double wake = next;
    if (now - start >= seconds || probes >= MAX_PROBES) {
      /* No probe left to send: sleep until the oldest waiting one times out, or the end. */
      wake = start + seconds + PROBE_TIMEOUT;
      if (oldest < probes && sent_at[oldest] + PROBE_TIMEOUT < wake)
        wake = sent_at[oldest] + PROBE_TIMEOUT;
    }
    double wait_s = wake - now_seconds();
    if (wait_s < 0) wait_s = 0;
    if (wait_s > 0.02) wait_s = 0.02;
    struct timespec timeout = {0, (long)(wait_s * 1e9)};
    if (ppoll(&watch, 1, &timeout, NULL) <= 0) continue;
    ssize_t got;
    while ((got = recv(fd, packet, sizeof packet, MSG_DONTWAIT)) >= 2) {
      double arrived = now_seconds();
      uint16_t type = (uint16_t)((packet[0] << 8) | packet[1]);
      long long which = -1;
      if (type == 0x9201 && got == REG_LENGTH) {
        for (long long i = probes - 1; i >= oldest; i--) {
          if (state[i] == 0 && memcmp(ids[i], packet + 2, 128) == 0) {
            which = i;
            break;
          }
        }
        if (which >= 0) {
          state[which] = 1;
          answered++;
        }
      } else if (type == 0x9210 || type == 0x9211) {
        for (long long i = oldest; i < probes; i++) {
          if (state[i] == 0) {
            which = i;
            break;
          }
        }
        if (which >= 0) {
          state[which] = 2;
          refused++;
        }
      }
      if (which >= 0) {
        delays[delay_count++] = (arrived - sent_at[which]) * 1000;
        if (each != NULL) fprintf(each, "%.6f %.3f\n", sent_at[which], (arrived - sent_at[which]) * 1000);
      }
    }
  }
  for (long long i = oldest; i < probes; i++)
    if (state[i] == 0) lost++;
  printf("probes %lld answered %lld refused %lld unanswered %lld\n", probes, answered, refused, lost);
  if (delay_count == 0) {
    printf("delay_ms p50 -1 p99 -1 max -1\n");
  } else {
    qsort(delays, delay_count, sizeof delays[0], compare_doubles);
    size_t p50 = (size_t)(0.50 * (double)(delay_count - 1) + 0.5);
    size_t p99 = (size_t)(0.99 * (double)(delay_count - 1) + 0.5);
    printf("delay_ms p50 %.3f p99 %.3f max %.3f\n", delays[p50], delays[p99],
           delays[delay_count - 1]);
  }
  fflush(stdout);
  if (each != NULL) fclose(each);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  rng_state ^= (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL;
  if ((argc == 7 || argc == 8) && strcmp(argv[1], "fuzz") == 0) {
    rng_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)atoll(argv[6]);
    if (rng_state == 0) rng_state = 1;
    return fuzz(atoi(argv[2]), atof(argv[3]), atoll(argv[4]), atoll(argv[5]),
                argc == 8 ? argv[7] : NULL);
  }
  if (argc == 6 && strcmp(argv[1], "reg1") == 0)
    return reg1_flood(atoi(argv[2]), atof(argv[3]), atoll(argv[4]), atoi(argv[5]));
  if (argc == 5 && strcmp(argv[1], "probe") == 0)
    return probe(atoi(argv[2]), atof(argv[3]), atof(argv[4]));
  fprintf(stderr, "usage: hostile-tool fuzz PORT PPS COUNT BURST SEED [VECTORS]\n"
                  "       hostile-tool reg1 PORT PPS COUNT SOURCES\n"
                  "       hostile-tool probe PORT INTERVAL_MS SECONDS\n");
  return 2;
}
