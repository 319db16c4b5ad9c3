/*
 * udp-tool: the native, batched traffic source and sink of bond's IO benchmark (benchmarks.md, 1).
 * Loopback only: the address must be in 127.0.0.0/8.
 *
 *   udp-tool blast ADDRESS PORT PPS SECONDS SIZE
 *       sends SIZE-byte datagrams at PPS for SECONDS, up to 32 per UDP GSO message where the
 *       kernel has it, paced against the monotonic clock; prints "sent N".
 *   udp-tool sink ADDRESS SECONDS
 *       binds ADDRESS:0, prints "port P", receives with recvmmsg for SECONDS (or until 0.5 s of
 *       silence after traffic started); prints "received N".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* 64: datagrams per sendmmsg/recvmmsg call. */
#define BATCH 64
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/* 2048: room for the 1332-byte SRT datagrams the benchmark sends. */
#define SLOT 2048

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int loopback_address(const char *text, struct sockaddr_in *out, int port) {
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, text, &out->sin_addr) != 1) return -1;
  return (ntohl(out->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
}

/* 32: datagrams per UDP GSO message, so the source spends little CPU per datagram. */
#define GSO_SEGMENTS 32

static int blast(const char *address, int port, double pps, double seconds, int size) {
  struct sockaddr_in to;
  if (loopback_address(address, &to, port) != 0 || size < 1 || size > SLOT) return 2;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return 1;
  int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  static char payload[SLOT * GSO_SEGMENTS];
  char control[CMSG_SPACE(sizeof(uint16_t))];
  struct iovec iov = {payload, 0};
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_name = &to;
  message.msg_namelen = sizeof to;
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  int segment = 0;
  socklen_t segment_length = sizeof segment;
  int gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &segment_length) == 0;
  const double start = now_seconds();
  const long long total = (long long)(pps * seconds);
  long long sent = 0;
  while (sent < total) {
    double elapsed = now_seconds() - start;
    if (elapsed > seconds + 1.0) break; /* bounded even if sends stall */
    long long due = (long long)(elapsed * pps);
    if (due > total) due = total;
    if (due - sent < 1) {
      struct timespec pause = {0, 50000}; /* 50 us */
      nanosleep(&pause, NULL);
      continue;
    }
    int want = due - sent > GSO_SEGMENTS ? GSO_SEGMENTS : (int)(due - sent);
    if (!gso) want = 1;
    iov.iov_len = (size_t)want * (size_t)size;
    message.msg_control = NULL;
    message.msg_controllen = 0;
    if (want > 1) {
      memset(control, 0, sizeof control);
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      struct cmsghdr *cmsg = CMSG_FIRSTHDR(&message);
      cmsg->cmsg_level = SOL_UDP;
      cmsg->cmsg_type = UDP_SEGMENT;
      cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t gso_size = (uint16_t)size;
      memcpy(CMSG_DATA(cmsg), &gso_size, sizeof gso_size);
    }
    if (sendmsg(fd, &message, 0) >= 0) sent += want;
    else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR) break;
  }
  printf("sent %lld\n", sent);
  close(fd);
  return 0;
}

static int sink(const char *address, double seconds) {
  struct sockaddr_in local;
  if (loopback_address(address, &local, 0) != 0) return 2;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return 1;
  int buffer = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) return 1;
  socklen_t length = sizeof local;
  getsockname(fd, (struct sockaddr *)&local, &length);
  printf("port %d\n", ntohs(local.sin_port));
  fflush(stdout);
  static char slab[BATCH][SLOT];
  struct mmsghdr messages[BATCH];
  struct iovec iov[BATCH];
  memset(messages, 0, sizeof messages);
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = slab[i];
    iov[i].iov_len = SLOT;
    messages[i].msg_hdr.msg_iov = &iov[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  long long received = 0;
  const double start = now_seconds();
  double last = 0;
  struct pollfd watch = {fd, POLLIN, 0};
  while (now_seconds() - start < seconds) {
    if (received > 0 && now_seconds() - last > 0.5) break;
    if (poll(&watch, 1, 50) <= 0) continue;
    int got = recvmmsg(fd, messages, BATCH, MSG_DONTWAIT, NULL);
    if (got > 0) {
      received += got;
      last = now_seconds();
    }
  }
  printf("received %lld\n", received);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 7 && strcmp(argv[1], "blast") == 0)
    return blast(argv[2], atoi(argv[3]), atof(argv[4]), atof(argv[5]), atoi(argv[6]));
  if (argc == 4 && strcmp(argv[1], "sink") == 0) return sink(argv[2], atof(argv[3]));
  fprintf(stderr, "usage: udp-tool blast ADDRESS PORT PPS SECONDS SIZE | sink ADDRESS SECONDS\n");
  return 2;
}
