/*
 * What the benchmark tools written in C share: the stop flag their signal handler sets, a
 * monotonic clock, and loopback-only UDP sockets with large buffers. Included by receiver-tool.c,
 * sender-tool.c and srt-listener-tool.c (each compiled on its own by lib/processes.mjs).
 */
#ifndef BOND_BENCH_UDP_H
#define BOND_BENCH_UDP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static volatile sig_atomic_t stopping = 0;
static void on_signal(int signal_number) {
  (void)signal_number;
  stopping = 1;
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* OUT = TEXT:PORT; -1 unless TEXT is an IPv4 address in 127.0.0.0/8 (traffic stays on loopback). */
static int loopback(struct sockaddr_in *out, const char *text, int port) {
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, text, &out->sin_addr) != 1) return -1;
  return (ntohl(out->sin_addr.s_addr) >> 24) == 127 ? 0 : -1;
}

/* A UDP socket bound to ADDRESS:0 with large buffers; prints its port when announce is set. */
static int bound_socket(const char *address, int announce) {
  struct sockaddr_in local;
  if (loopback(&local, address, 0) != 0) return -1;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) return -1;
  if (announce) {
    socklen_t length = sizeof local;
    getsockname(fd, (struct sockaddr *)&local, &length);
    printf("port %d\n", ntohs(local.sin_port));
    fflush(stdout);
  }
  return fd;
}

#endif
