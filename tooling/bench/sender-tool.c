/*
 * sender-tool: the native parts of bond's sender-forwarding benchmark (benchmarks.md, 3).
 * Loopback only: every address must be in 127.0.0.0/8.
 *
 *   sender-tool source PORT PPS SECONDS
 *       the encoder: sends 1332-byte SRT data packets (16-byte header, 1316-byte payload) with
 *       increasing sequence numbers from FIRST_SEQ (so the stream crosses the 31-bit wrap) to
 *       127.0.0.1:PORT at PPS for SECONDS, paced one by one against the monotonic clock; reads
 *       whatever comes back (SRT ACKs relayed by the sender); prints "sent N" and "replies N".
 *   sender-tool standin SECONDS
 *       the receiver stand-in: binds 127.0.0.1:0, prints "port P", and speaks just enough SRTLA
 *       (protocol.md 4.2, 5, 6.4): REG_NGP to probes, REG2 to REG1, REG3 to REG2 (printing
 *       "link up N" for each new link), echoes keepalives, sends a 44-byte SRTLA ACK per 10 data
 *       packets of a link and a full SRT ACK (next expected seq) on every link every 10 ms.
 *       Counts the SRT data it gets; stops after SECONDS or on SIGTERM; prints "received N",
 *       "unique N", "srtla_acks N", "keepalives N".
 *   sender-tool relay STANDIN_PORT LINKS SECONDS
 *       the baseline, a trivial SRTLA sender: binds 127.0.0.1:0 for the encoder (prints "port P"),
 *       registers LINKS links (127.0.0.2..) with the stand-in, prints "registered", then forwards
 *       each datagram from the encoder, unchanged, round-robin over the links (recvmmsg in,
 *       sendmmsg out per link); no scheduler, no keepalives; what comes back on the links is read
 *       and dropped, except SRT packets (not SRTLA's 0x9xxx types), which go back to the encoder's
 *       latest address, so a real SRT caller can connect through it to a real SRTLA receiver.
 *       Stops after SECONDS or on SIGTERM; prints "forwarded N".
 *   sender-tool feed PORT PPS SECONDS
 *       the encoder's input for a real SRT caller (srt-live-transmit udp://): 1316-byte payloads
 *       (7 MPEG-TS-sized cells; the first 8 bytes number the payload) to 127.0.0.1:PORT at PPS for
 *       SECONDS, paced as `source`; prints "sent N".
 *   sender-tool sink SECONDS
 *       the far end of a real SRT listener (srt-live-transmit ... udp://): binds 127.0.0.1:0,
 *       prints "port P", counts the payloads that arrive and the distinct payload numbers; stops
 *       after SECONDS or on SIGTERM; prints "received N" and "unique N".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* 64: datagrams per recvmmsg/sendmmsg call, as bond's receive batch. */
#define BATCH 64
/* 2048: a receive slot, room for any SRT/SRTLA datagram. */
#define SLOT 2048
/* 1332: an SRT data packet carrying 7 MPEG-TS packets (1316 bytes). */
#define SRT_SIZE 1332
/* 258: REG1 and REG2 (2-byte type, 256-byte id). */
#define REG_SIZE 258
/* 32: receivers pad short replies to 32 bytes (protocol.md 2). */
#define PADDED 32
/* 16: most links the stand-in and the relay hold (bond's default per group). */
#define MAX_LINKS 16
/* 10: every SRTLA receiver acks per 10 data packets (protocol.md 6.4). */
#define ACK_EVERY 10
/* 44: SRTLA ACK with 10 sequence numbers; also a full SRT ACK. */
#define ACK_SIZE 44
/* 0.01 s: SRT sends a full ACK every 10 ms. */
#define SRT_ACK_PERIOD 0.01
/* 2^31 - 4096: the source's first sequence number, 4096 packets before the 31-bit wrap. */
#define FIRST_SEQ 0x7FFFF000u
/* 2^24: sequence numbers the stand-in tracks for uniqueness (15 minutes at 200 Mbit/s). */
#define TRACKED (1u << 24)

enum {
  KEEPALIVE = 0x9000,
  SRTLA_ACK = 0x9100,
  REG1 = 0x9200,
  REG2 = 0x9201,
  REG3 = 0x9202,
  REG_NGP = 0x9211,
  SRT_ACK = 0x8002,
};

#include "bench-udp.h"

static int connect_to(int fd, int port) {
  struct sockaddr_in to;
  loopback(&to, "127.0.0.1", port);
  return connect(fd, (struct sockaddr *)&to, sizeof to);
}

static unsigned type_of(const unsigned char *bytes) { return (unsigned)bytes[0] << 8 | bytes[1]; }

static void put32(unsigned char *at, uint32_t value) {
  uint32_t big = htonl(value);
  memcpy(at, &big, 4);
}

static uint32_t get32(const unsigned char *at) {
  uint32_t big;
  memcpy(&big, at, 4);
  return ntohl(big);
}

static int source(int port, double pps, double seconds) {
  int fd = bound_socket("127.0.0.1", 0);
  if (fd < 0 || connect_to(fd, port) != 0) return 1;
  static unsigned char packet[SRT_SIZE];
  for (int i = 16; i < SRT_SIZE; i++) packet[i] = (unsigned char)(0x47 + i); /* payload filler */
  unsigned char reply[SLOT];
  const long long total = (long long)(pps * seconds);
  const double start = now_seconds();
  long long sent = 0;
  long long replies = 0;
  uint32_t seq = FIRST_SEQ;
  while (sent < total && !stopping) {
    double elapsed = now_seconds() - start;
    if (elapsed > seconds + 1.0) break; /* bounded even if sends stall */
    while (recv(fd, reply, sizeof reply, MSG_DONTWAIT) > 0) replies++;
    long long due = (long long)(elapsed * pps) + 1;
    if (due > total) due = total;
    if (sent >= due) {
      struct timespec pause = {0, 50000}; /* 50 us */
      nanosleep(&pause, NULL);
      continue;
    }
    for (; sent < due; sent++) {
      put32(packet, seq & 0x7fffffffu);
      put32(packet + 4, 0xC0000000u | ((uint32_t)sent & 0x3ffffffu)); /* solo packet, msgno */
      put32(packet + 8, (uint32_t)(elapsed * 1e6));
      put32(packet + 12, 1);
      send(fd, packet, SRT_SIZE, 0);
      seq = (seq + 1) & 0x7fffffffu;
    }
  }
  while (recv(fd, reply, sizeof reply, MSG_DONTWAIT) > 0) replies++;
  printf("sent %lld\nreplies %lld\n", sent, replies);
  return 0;
}

struct link {
  struct sockaddr_in address;
  uint32_t pending[ACK_EVERY];
  int count;
};

static int same_address(const struct sockaddr_in *a, const struct sockaddr_in *b) {
  return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

static void reply_to(int fd, const struct sockaddr_in *to, const unsigned char *bytes, size_t n) {
  unsigned char padded[PADDED];
  if (n < PADDED) {
    memset(padded, 0, sizeof padded);
    memcpy(padded, bytes, n);
    bytes = padded;
    n = PADDED;
  }
  sendto(fd, bytes, n, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof *to);
}

static void reply_type(int fd, const struct sockaddr_in *to, unsigned type) {
  unsigned char bytes[2] = {(unsigned char)(type >> 8), (unsigned char)type};
  reply_to(fd, to, bytes, 2);
}

static int standin(double seconds) {
  int fd = bound_socket("127.0.0.1", 1);
  if (fd < 0) return 1;
  fflush(stdout);
  static unsigned char seen[TRACKED / 8];
  static struct link links[MAX_LINKS];
  static unsigned char group_id[REG_SIZE - 2];
  static char slab[BATCH][SLOT];
  static struct sockaddr_in from[BATCH];
  struct mmsghdr messages[BATCH];
  struct iovec vectors[BATCH];
  memset(messages, 0, sizeof messages);
  for (int i = 0; i < BATCH; i++) {
    vectors[i].iov_base = slab[i];
    vectors[i].iov_len = SLOT;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &from[i];
  }
  int has_group = 0;
  int link_count = 0;
  long long received = 0, unique = 0, srtla_acks = 0, keepalives = 0;
  uint32_t next_expected = 0; /* offset from FIRST_SEQ of the first sequence not yet received */
  uint32_t ack_number = 0;
  const double end = now_seconds() + seconds;
  double next_ack = now_seconds() + SRT_ACK_PERIOD;
  struct pollfd watch = {fd, POLLIN, 0};
  while (!stopping && now_seconds() < end) {
    double now = now_seconds();
    if (now >= next_ack) {
      next_ack = now + SRT_ACK_PERIOD;
      if (received > 0) {
        unsigned char ack[ACK_SIZE];
        memset(ack, 0, sizeof ack);
        put32(ack, (uint32_t)SRT_ACK << 16);
        put32(ack + 4, ++ack_number);
        put32(ack + 16, (FIRST_SEQ + next_expected) & 0x7fffffffu);
        for (int l = 0; l < link_count; l++) reply_to(fd, &links[l].address, ack, sizeof ack);
      }
    }
    int wait_ms = (int)((next_ack - now) * 1000) + 1;
    if (poll(&watch, 1, wait_ms) <= 0) continue;
    for (int i = 0; i < BATCH; i++) messages[i].msg_hdr.msg_namelen = sizeof from[i];
    int got = recvmmsg(fd, messages, BATCH, MSG_DONTWAIT, NULL);
    for (int i = 0; i < got; i++) {
      const unsigned char *bytes = (const unsigned char *)slab[i];
      const size_t length = messages[i].msg_len;
      const struct sockaddr_in *peer = &from[i];
      if (length < 2) continue;
      const unsigned type = type_of(bytes);
      if (type == REG1 && length == REG_SIZE) {
        memcpy(group_id, bytes + 2, 128); /* the sender's half, then ours (protocol.md 4) */
        for (int b = 128; b < REG_SIZE - 2; b++) group_id[b] = (unsigned char)(rand() & 0xff);
        has_group = 1;
        link_count = 0;
        unsigned char reg2[REG_SIZE] = {REG2 >> 8, REG2 & 0xff};
        memcpy(reg2 + 2, group_id, sizeof group_id);
        reply_to(fd, peer, reg2, sizeof reg2);
        continue;
      }
      if (type == REG2 && length == REG_SIZE) {
        if (!has_group || memcmp(bytes + 2, group_id, sizeof group_id) != 0) {
          reply_type(fd, peer, REG_NGP);
          continue;
        }
        int known = 0;
        for (int l = 0; l < link_count; l++) known |= same_address(&links[l].address, peer);
        if (!known && link_count < MAX_LINKS) {
          memset(&links[link_count], 0, sizeof links[link_count]);
          links[link_count++].address = *peer;
          printf("link up %d\n", link_count);
          fflush(stdout);
        }
        reply_type(fd, peer, REG3);
        continue;
      }
      struct link *link = NULL;
      for (int l = 0; l < link_count && link == NULL; l++) {
        if (same_address(&links[l].address, peer)) link = &links[l];
      }
      if (link == NULL) continue; /* unregistered: dropped silently */
      if (type == KEEPALIVE) {
        keepalives++;
        reply_to(fd, peer, bytes, length);
        continue;
      }
      if (length < 16 || (bytes[0] & 0x80) != 0) continue; /* SRT control: nothing to do */
      const uint32_t seq = get32(bytes) & 0x7fffffffu;
      received++;
      const uint32_t offset = (seq - FIRST_SEQ) & 0x7fffffffu;
      if (offset < TRACKED && (seen[offset / 8] & (1u << (offset % 8))) == 0) {
        seen[offset / 8] |= (unsigned char)(1u << (offset % 8));
        unique++;
        while (next_expected < TRACKED &&
               (seen[next_expected / 8] & (1u << (next_expected % 8))) != 0)
          next_expected++;
      }
      link->pending[link->count++] = seq;
      if (link->count == ACK_EVERY) {
        unsigned char ack[ACK_SIZE] = {SRTLA_ACK >> 8, SRTLA_ACK & 0xff, 0, 0};
        for (int s = 0; s < ACK_EVERY; s++) put32(ack + 4 + 4 * s, link->pending[s]);
        reply_to(fd, peer, ack, sizeof ack);
        srtla_acks++;
        link->count = 0;
      }
    }
  }
  printf("received %lld\nunique %lld\nsrtla_acks %lld\nkeepalives %lld\n", received, unique,
         srtla_acks, keepalives);
  return 0;
}

/* Waits up to 1 s for a datagram of `type` on fd; copies it into out (up to size bytes). */
static int await_type(int fd, unsigned type, unsigned char *out, int size) {
  const double end = now_seconds() + 1.0;
  struct pollfd watch = {fd, POLLIN, 0};
  while (now_seconds() < end) {
    if (poll(&watch, 1, 20) <= 0) continue;
    unsigned char reply[SLOT];
    ssize_t got = recv(fd, reply, sizeof reply, MSG_DONTWAIT);
    if (got >= 2 && type_of(reply) == type) {
      if (out != NULL) memcpy(out, reply, (size_t)(got < size ? got : size));
      return 0;
    }
  }
  return -1;
}

static int relay(int standin_port, int link_count, double seconds) {
  if (link_count < 1 || link_count > MAX_LINKS) return 2;
  int in = bound_socket("127.0.0.1", 1);
  if (in < 0) return 1;
  int links[MAX_LINKS];
  for (int l = 0; l < link_count; l++) {
    char address[32];
    snprintf(address, sizeof address, "127.0.0.%d", 2 + l);
    links[l] = bound_socket(address, 0);
    if (links[l] < 0 || connect_to(links[l], standin_port) != 0) return 1;
  }
  unsigned char reg[REG_SIZE] = {REG1 >> 8, REG1 & 0xff};
  for (int i = 2; i < REG_SIZE; i++) reg[i] = (unsigned char)(rand() & 0xff);
  if (send(links[0], reg, REG_SIZE, 0) != REG_SIZE || await_type(links[0], REG2, reg, REG_SIZE)) {
    fprintf(stderr, "relay: no REG2 from the stand-in\n");
    return 1;
  }
  for (int l = 0; l < link_count; l++) {
    if (send(links[l], reg, REG_SIZE, 0) != REG_SIZE || await_type(links[l], REG3, NULL, 0)) {
      fprintf(stderr, "relay: link %d got no REG3\n", l);
      return 1;
    }
  }
  printf("registered\n");
  fflush(stdout);

  static char slab[BATCH][SLOT];
  struct mmsghdr messages[BATCH];
  struct iovec vectors[BATCH];
  memset(messages, 0, sizeof messages);
  for (int i = 0; i < BATCH; i++) {
    vectors[i].iov_base = slab[i];
    vectors[i].iov_len = SLOT;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  static struct sockaddr_in sources[BATCH];
  struct sockaddr_in encoder;
  int have_encoder = 0;
  static struct mmsghdr out[MAX_LINKS][BATCH];
  static struct iovec out_vectors[MAX_LINKS][BATCH];
  struct pollfd watch[1 + MAX_LINKS];
  watch[0] = (struct pollfd){in, POLLIN, 0};
  for (int l = 0; l < link_count; l++) watch[1 + l] = (struct pollfd){links[l], POLLIN, 0};
  long long forwarded = 0;
  unsigned next = 0;
  unsigned char discard[SLOT];
  const double end = now_seconds() + seconds;
  while (!stopping && now_seconds() < end) {
    if (poll(watch, (nfds_t)(1 + link_count), 100) <= 0) continue;
    for (int l = 0; l < link_count; l++) {
      if (watch[1 + l].revents & POLLIN) {
        ssize_t n;
        while ((n = recv(links[l], discard, sizeof discard, MSG_DONTWAIT)) > 0) {
          /* SRT (handshakes, ACKs, NAKs) back to the encoder; SRTLA's own 0x9xxx types dropped. */
          if (have_encoder && n >= 2 && (discard[0] & 0xf0) != 0x90) {
            sendto(in, discard, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&encoder,
                   sizeof encoder);
          }
        }
      }
    }
    if (!(watch[0].revents & POLLIN)) continue;
    for (int i = 0; i < BATCH; i++) {
      messages[i].msg_hdr.msg_name = &sources[i];
      messages[i].msg_hdr.msg_namelen = sizeof sources[i];
    }
    int got = recvmmsg(in, messages, BATCH, MSG_DONTWAIT, NULL);
    if (got <= 0) continue;
    encoder = sources[got - 1];
    have_encoder = 1;
    int count[MAX_LINKS] = {0};
    for (int i = 0; i < got; i++) {
      int l = (int)(next++ % (unsigned)link_count);
      out_vectors[l][count[l]] = (struct iovec){slab[i], messages[i].msg_len};
      memset(&out[l][count[l]], 0, sizeof out[l][count[l]]);
      out[l][count[l]].msg_hdr.msg_iov = &out_vectors[l][count[l]];
      out[l][count[l]].msg_hdr.msg_iovlen = 1;
      count[l]++;
    }
    for (int l = 0; l < link_count; l++) {
      if (count[l] == 0) continue;
      int sent = sendmmsg(links[l], out[l], (unsigned)count[l], 0);
      if (sent > 0) forwarded += sent;
    }
  }
  printf("forwarded %lld\n", forwarded);
  return 0;
}

/* 1316: an SRT payload of 7 x 188-byte MPEG-TS packets. */
#define PAYLOAD 1316

static int feed(int port, double pps, double seconds) {
  int fd = bound_socket("127.0.0.1", 0);
  if (fd < 0 || connect_to(fd, port) != 0) return 1;
  static unsigned char payload[PAYLOAD];
  for (int i = 8; i < PAYLOAD; i++) payload[i] = (unsigned char)(0x47 + i); /* filler */
  const long long total = (long long)(pps * seconds);
  const double start = now_seconds();
  long long sent = 0;
  while (sent < total && !stopping) {
    double elapsed = now_seconds() - start;
    if (elapsed > seconds + 1.0) break; /* bounded even if sends stall */
    long long due = (long long)(elapsed * pps) + 1;
    if (due > total) due = total;
    if (sent >= due) {
      struct timespec pause = {0, 50000}; /* 50 us */
      nanosleep(&pause, NULL);
      continue;
    }
    for (; sent < due; sent++) {
      put32(payload, (uint32_t)((unsigned long long)sent >> 32));
      put32(payload + 4, (uint32_t)sent);
      send(fd, payload, PAYLOAD, 0);
    }
  }
  printf("sent %lld\n", sent);
  return 0;
}

static int sink(double seconds) {
  int fd = bound_socket("127.0.0.1", 1);
  if (fd < 0) return 1;
  unsigned char *seen = calloc(TRACKED / 8, 1);
  if (seen == NULL) return 1;
  unsigned char payload[SLOT];
  long long received = 0;
  long long unique = 0;
  struct pollfd watch = {fd, POLLIN, 0};
  const double end = now_seconds() + seconds;
  while (!stopping && now_seconds() < end) {
    if (poll(&watch, 1, 100) <= 0) continue;
    ssize_t n;
    while ((n = recv(fd, payload, sizeof payload, MSG_DONTWAIT)) > 0) {
      received++;
      if (n < 8) continue;
      uint64_t number = (uint64_t)get32(payload) << 32 | get32(payload + 4);
      if (number >= TRACKED) continue;
      unsigned char bit = (unsigned char)(1u << (number & 7));
      if (!(seen[number >> 3] & bit)) {
        seen[number >> 3] |= bit;
        unique++;
      }
    }
  }
  printf("received %lld\nunique %lld\n", received, unique);
  free(seen);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 5 && strcmp(argv[1], "source") == 0)
    return source(atoi(argv[2]), atof(argv[3]), atof(argv[4]));
  if (argc == 3 && strcmp(argv[1], "standin") == 0) return standin(atof(argv[2]));
  if (argc == 5 && strcmp(argv[1], "relay") == 0)
    return relay(atoi(argv[2]), atoi(argv[3]), atof(argv[4]));
  if (argc == 5 && strcmp(argv[1], "feed") == 0)
    return feed(atoi(argv[2]), atof(argv[3]), atof(argv[4]));
  if (argc == 3 && strcmp(argv[1], "sink") == 0) return sink(atof(argv[2]));
  fprintf(stderr, "usage: sender-tool source PORT PPS SECONDS | standin SECONDS |\n"
                  "       relay STANDIN_PORT LINKS SECONDS | feed PORT PPS SECONDS |\n"
                  "       sink SECONDS\n");
  return 2;
}
