/*
 * receiver-tool: the native parts of bond's receiver-forwarding benchmark (benchmarks.md, 2).
 * Loopback only: every address must be in 127.0.0.0/8.
 *
 *   receiver-tool forward SINK_PORT SECONDS
 *       the baseline: binds 127.0.0.1:0, prints "port P", and forwards every datagram to
 *       127.0.0.1:SINK_PORT with recvmmsg in, sendmmsg out, no protocol; stops after SECONDS or
 *       on SIGTERM; prints "forwarded N".
 *   receiver-tool sink SECONDS
 *       binds 127.0.0.1:0, prints "port P", counts 1332-byte SRT data datagrams; stops 0.5 s after
 *       the last one (once some arrived), after SECONDS, or on SIGTERM; prints "received N".
 *   receiver-tool load PORT PPS SECONDS GROUPS LINKS REGISTER
 *       opens GROUPS x LINKS sockets (link l of every group on 127.0.0.(2+l)), and with REGISTER=1
 *       registers each group with the SRTLA receiver at 127.0.0.1:PORT (REG1, REG2 per link, REG3);
 *       prints "registered"; then sends 1332-byte SRT data packets (per-group sequences) at PPS
 *       for SECONDS, spread over every group and link in runs of 16, paced against the monotonic
 *       clock; prints "sent N".
 *   receiver-tool scale PORT SECONDS
 *       for the scale benchmark (benchmarks.md, 5): binds a sink on 127.0.0.1:0 standing for the SRT
 *       listener (prints "sink P"), then follows commands on stdin, one per line:
 *         groups N   registers groups with the receiver at 127.0.0.1:PORT until N exist (group g
 *                    has 2 + g % 3 links, link l on 127.0.0.(2+l)); each new group sends one data
 *                    packet at once so it is active, not pending; prints "groups N links L"
 *         rate PPS   from now on sends PPS data packets in total, spread over every group and link
 *         count      prints "count data D keepalives K forwarded F": data packets and keepalives
 *                    sent, and SRT data that reached the sink, since start
 *         quit
 *       Every link sends a 10-byte timestamped keepalive once a second (spread evenly), and reads
 *       and drops what came back to it. Stops on quit, end of stdin, SIGTERM or after SECONDS.
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
/* 16: packets sent back to back on one link socket before moving to the next. */
#define RUN 16
/* 4096: most sockets the load generator opens. */
#define MAX_SOCKETS 4096

#include "bench-udp.h"

static int connect_to(int fd, int port) {
  struct sockaddr_in to;
  loopback(&to, "127.0.0.1", port);
  return connect(fd, (struct sockaddr *)&to, sizeof to);
}

static char slab[BATCH * SLOT];
static struct mmsghdr messages[BATCH];
static struct iovec vectors[BATCH];

static void prepare_batch(void) {
  memset(messages, 0, sizeof messages);
  for (int i = 0; i < BATCH; i++) {
    vectors[i].iov_base = slab + i * SLOT;
    vectors[i].iov_len = SLOT;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
}

static int forward(int sink_port, double seconds) {
  int in = bound_socket("127.0.0.1", 1);
  int out = bound_socket("127.0.0.1", 0);
  if (in < 0 || out < 0 || connect_to(out, sink_port) != 0) return 1;
  prepare_batch();
  long long forwarded = 0;
  const double end = now_seconds() + seconds;
  struct pollfd watch = {in, POLLIN, 0};
  while (!stopping && now_seconds() < end) {
    if (poll(&watch, 1, 100) <= 0) continue;
    int got = recvmmsg(in, messages, BATCH, MSG_DONTWAIT, NULL);
    if (got <= 0) continue;
    for (int i = 0; i < got; i++) vectors[i].iov_len = messages[i].msg_len;
    int sent = sendmmsg(out, messages, (unsigned)got, 0);
    if (sent > 0) forwarded += sent;
    for (int i = 0; i < got; i++) vectors[i].iov_len = SLOT;
  }
  printf("forwarded %lld\n", forwarded);
  return 0;
}

static int sink(double seconds) {
  int fd = bound_socket("127.0.0.1", 1);
  if (fd < 0) return 1;
  prepare_batch();
  long long received = 0;
  const double end = now_seconds() + seconds;
  double last = 0;
  struct pollfd watch = {fd, POLLIN, 0};
  while (!stopping && now_seconds() < end) {
    if (received > 0 && now_seconds() - last > 0.5) break;
    if (poll(&watch, 1, 50) <= 0) continue;
    int got = recvmmsg(fd, messages, BATCH, MSG_DONTWAIT, NULL);
    for (int i = 0; i < got; i++) {
      const unsigned char *bytes = (const unsigned char *)vectors[i].iov_base;
      if (messages[i].msg_len == SRT_SIZE && (bytes[0] & 0x80) == 0) received++;
    }
    if (got > 0) last = now_seconds();
  }
  printf("received %lld\n", received);
  return 0;
}

/* Waits up to 1 s for a datagram of `type` (first u16) on fd; copies it into out. */
static int await_type(int fd, unsigned type, unsigned char *out, int size) {
  const double end = now_seconds() + 1.0;
  struct pollfd watch = {fd, POLLIN, 0};
  while (now_seconds() < end) {
    if (poll(&watch, 1, 20) <= 0) continue;
    unsigned char reply[SLOT];
    ssize_t got = recv(fd, reply, sizeof reply, MSG_DONTWAIT);
    if (got >= 2 && ((unsigned)reply[0] << 8 | reply[1]) == type) {
      if (out != NULL) memcpy(out, reply, (size_t)(got < size ? got : size));
      return 0;
    }
  }
  return -1;
}

static int load(int port, double pps, double seconds, int groups, int links, int do_register) {
  if (groups < 1 || links < 1 || links > 200 || groups * links > MAX_SOCKETS) return 2;
  static int sockets[MAX_SOCKETS];
  for (int g = 0; g < groups; g++) {
    for (int l = 0; l < links; l++) {
      char address[32];
      snprintf(address, sizeof address, "127.0.0.%d", 2 + l);
      int fd = bound_socket(address, 0);
      if (fd < 0 || connect_to(fd, port) != 0) return 1;
      sockets[g * links + l] = fd;
    }
  }
  if (do_register) {
    for (int g = 0; g < groups; g++) {
      unsigned char reg[REG_SIZE];
      reg[0] = 0x92;
      reg[1] = 0x00;
      for (int i = 2; i < REG_SIZE; i++) reg[i] = (unsigned char)(rand() & 0xff);
      if (send(sockets[g * links], reg, REG_SIZE, 0) != REG_SIZE ||
          await_type(sockets[g * links], 0x9201, reg, REG_SIZE) != 0) {
        fprintf(stderr, "group %d: no REG2\n", g);
        return 1;
      }
      for (int l = 0; l < links; l++) {
        if (send(sockets[g * links + l], reg, REG_SIZE, 0) != REG_SIZE ||
            await_type(sockets[g * links + l], 0x9202, NULL, 0) != 0) {
          fprintf(stderr, "group %d link %d: no REG3\n", g, l);
          return 1;
        }
      }
    }
  }
  printf("registered\n");
  fflush(stdout);

  static unsigned char packets[RUN][SRT_SIZE];
  static uint32_t sequences[MAX_SOCKETS];
  struct mmsghdr run[RUN];
  struct iovec run_vectors[RUN];
  memset(run, 0, sizeof run);
  for (int i = 0; i < RUN; i++) {
    run_vectors[i].iov_base = packets[i];
    run_vectors[i].iov_len = SRT_SIZE;
    run[i].msg_hdr.msg_iov = &run_vectors[i];
    run[i].msg_hdr.msg_iovlen = 1;
  }
  const int total_sockets = groups * links;
  const long long total = (long long)(pps * seconds);
  const double start = now_seconds();
  long long sent = 0;
  long long block = 0;
  while (sent < total && !stopping) {
    double elapsed = now_seconds() - start;
    if (elapsed > seconds + 1.0) break; /* bounded even if sends stall */
    long long due = (long long)(elapsed * pps);
    if (due > total) due = total;
    if (sent + RUN > due && due < total) {
      struct timespec pause = {0, 50000};
      nanosleep(&pause, NULL);
      continue;
    }
    int socket_index = (int)(block % total_sockets);
    int group = socket_index / links;
    int count = (int)((total - sent) < RUN ? (total - sent) : RUN);
    uint32_t timestamp = (uint32_t)(elapsed * 1e6);
    for (int i = 0; i < count; i++) {
      uint32_t seq = sequences[group]++ & 0x7fffffff;
      uint32_t words[4] = {htonl(seq), htonl(0xC0000000u | (seq & 0x3ffffff)), htonl(timestamp),
                           htonl(1)};
      memcpy(packets[i], words, sizeof words);
    }
    int done = sendmmsg(sockets[socket_index], run, (unsigned)count, 0);
    sent += done > 0 ? done : 0;
    if (done < count) sent += count - (done > 0 ? done : 0); /* dropped at the source: counted as offered */
    block++;
  }
  printf("sent %lld\n", sent);
  return 0;
}

/* 1.0 s: every link's keepalive period, as bond's and other senders' keepalives. */
#define KEEPALIVE_PERIOD 1.0
/* 10: a timestamped keepalive (0x9000, u64 milliseconds; protocol.md 5). */
#define KEEPALIVE_SIZE 10

struct scale_group {
  int first_socket; /* index of its first link in sockets[] */
  int links;
  int next_link;
  uint32_t sequence;
};

/* Registers one group on links sockets[first..first+links): REG1, REG2, then REG2 per link. */
static int register_group(const int *sockets, int links) {
  unsigned char reg[REG_SIZE];
  reg[0] = 0x92;
  reg[1] = 0x00;
  for (int i = 2; i < REG_SIZE; i++) reg[i] = (unsigned char)(rand() & 0xff);
  if (send(sockets[0], reg, REG_SIZE, 0) != REG_SIZE ||
      await_type(sockets[0], 0x9201, reg, REG_SIZE) != 0)
    return -1;
  for (int l = 0; l < links; l++) {
    if (send(sockets[l], reg, REG_SIZE, 0) != REG_SIZE || await_type(sockets[l], 0x9202, NULL, 0))
      return -1;
  }
  return 0;
}

static void send_data(int fd, struct scale_group *group, double elapsed) {
  static unsigned char packet[SRT_SIZE];
  uint32_t seq = group->sequence++ & 0x7fffffff;
  uint32_t words[4] = {htonl(seq), htonl(0xC0000000u | (seq & 0x3ffffff)),
                       htonl((uint32_t)(elapsed * 1e6)), htonl(1)};
  memcpy(packet, words, sizeof words);
  send(fd, packet, SRT_SIZE, MSG_DONTWAIT);
}

static int scale(int port, double seconds) {
  int sink_fd = bound_socket("127.0.0.1", 0);
  if (sink_fd < 0) return 1;
  {
    struct sockaddr_in local;
    socklen_t length = sizeof local;
    getsockname(sink_fd, (struct sockaddr *)&local, &length);
    printf("sink %d\n", ntohs(local.sin_port));
    fflush(stdout);
  }
  prepare_batch();
  static int sockets[MAX_SOCKETS];
  static struct scale_group groups[MAX_SOCKETS / 2];
  int group_count = 0;
  int socket_count = 0;
  long long data_sent = 0, keepalives_sent = 0, forwarded = 0;
  double rate = 0;
  /* Pacing: what is due since `*_since`, in cyclic order over groups and links. */
  double data_since = now_seconds(), keepalive_since = data_since;
  long long data_due_sent = 0, keepalive_due_sent = 0;
  int data_cursor = 0, keepalive_cursor = 0;
  char input[4096];
  size_t input_length = 0;
  const double start = now_seconds();
  const double end = start + seconds;
  struct pollfd watch[2] = {{0, POLLIN, 0}, {sink_fd, POLLIN, 0}};
  int quit = 0;
  while (!stopping && !quit && now_seconds() < end) {
    poll(watch, 2, 1);
    if (watch[1].revents & POLLIN) {
      int got;
      while ((got = recvmmsg(sink_fd, messages, BATCH, MSG_DONTWAIT, NULL)) > 0) {
        for (int i = 0; i < got; i++) {
          const unsigned char *bytes = (const unsigned char *)vectors[i].iov_base;
          if (messages[i].msg_len == SRT_SIZE && (bytes[0] & 0x80) == 0) forwarded++;
        }
      }
    }
    if (watch[0].revents & (POLLIN | POLLHUP)) {
      ssize_t got = read(0, input + input_length, sizeof input - 1 - input_length);
      if (got <= 0) break; /* end of stdin: the benchmark is gone */
      input_length += (size_t)got;
      input[input_length] = 0;
      char *newline;
      while ((newline = strchr(input, '\n')) != NULL) {
        *newline = 0;
        long value = 0;
        if (sscanf(input, "groups %ld", &value) == 1) {
          while (group_count < value && socket_count + 4 <= MAX_SOCKETS) {
            struct scale_group *group = &groups[group_count];
            group->first_socket = socket_count;
            group->links = 2 + group_count % 3;
            group->next_link = 0;
            for (int l = 0; l < group->links; l++) {
              char address[32];
              snprintf(address, sizeof address, "127.0.0.%d", 2 + l);
              struct sockaddr_in local;
              int fd = socket(AF_INET, SOCK_DGRAM, 0);
              if (fd < 0 || loopback(&local, address, 0) != 0 ||
                  bind(fd, (struct sockaddr *)&local, sizeof local) != 0 || connect_to(fd, port)) {
                fprintf(stderr, "scale: cannot open link socket %d (%s)\n", socket_count,
                        strerror(errno));
                return 1;
              }
              sockets[socket_count++] = fd;
            }
            if (register_group(&sockets[group->first_socket], group->links) != 0) {
              fprintf(stderr, "scale: group %d did not register\n", group_count);
              return 1;
            }
            send_data(sockets[group->first_socket], group, now_seconds() - start);
            data_sent++;
            group_count++;
          }
          printf("groups %d links %d\n", group_count, socket_count);
          keepalive_since = data_since = now_seconds();
          keepalive_due_sent = data_due_sent = 0;
        } else if (sscanf(input, "rate %ld", &value) == 1) {
          rate = (double)value;
          data_since = now_seconds();
          data_due_sent = 0;
        } else if (strcmp(input, "count") == 0) {
          printf("count data %lld keepalives %lld forwarded %lld\n", data_sent, keepalives_sent,
                 forwarded);
        } else if (strcmp(input, "quit") == 0) {
          quit = 1;
        }
        fflush(stdout);
        input_length -= (size_t)(newline + 1 - input);
        memmove(input, newline + 1, input_length + 1);
      }
      if (input_length >= sizeof input - 1) input_length = 0; /* a line too long: dropped */
    }
    if (group_count == 0) continue;
    const double now = now_seconds();
    long long due = (long long)((now - keepalive_since) * socket_count / KEEPALIVE_PERIOD);
    for (; keepalive_due_sent < due; keepalive_due_sent++) {
      int fd = sockets[keepalive_cursor];
      keepalive_cursor = (keepalive_cursor + 1) % socket_count;
      unsigned char discard[SLOT];
      while (recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0) {
      }
      unsigned char keepalive[KEEPALIVE_SIZE] = {0x90, 0x00};
      uint64_t ms = (uint64_t)(now * 1000);
      for (int b = 0; b < 8; b++) keepalive[2 + b] = (unsigned char)(ms >> (56 - 8 * b));
      send(fd, keepalive, sizeof keepalive, MSG_DONTWAIT);
      keepalives_sent++;
    }
    due = (long long)((now - data_since) * rate);
    for (; data_due_sent < due; data_due_sent++) {
      struct scale_group *group = &groups[data_cursor];
      data_cursor = (data_cursor + 1) % group_count;
      int fd = sockets[group->first_socket + group->next_link];
      group->next_link = (group->next_link + 1) % group->links;
      send_data(fd, group, now - start);
      data_sent++;
    }
  }
  printf("count data %lld keepalives %lld forwarded %lld\n", data_sent, keepalives_sent,
         forwarded);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 4 && strcmp(argv[1], "forward") == 0) return forward(atoi(argv[2]), atof(argv[3]));
  if (argc == 3 && strcmp(argv[1], "sink") == 0) return sink(atof(argv[2]));
  if (argc == 4 && strcmp(argv[1], "scale") == 0) return scale(atoi(argv[2]), atof(argv[3]));
  if (argc == 8 && strcmp(argv[1], "load") == 0) {
    return load(atoi(argv[2]), atof(argv[3]), atof(argv[4]), atoi(argv[5]), atoi(argv[6]),
                atoi(argv[7]));
  }
  fprintf(stderr,
          "usage: receiver-tool forward SINK_PORT SECONDS | sink SECONDS |\n"
          "       load PORT PPS SECONDS GROUPS LINKS REGISTER | scale PORT SECONDS\n");
  return 2;
}
