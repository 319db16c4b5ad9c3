/*
 * srt-listener-tool: an SRT listener that takes every caller that connects, as SRT servers that
 * serve many streams do (SLS, MediaMTX: a publisher that comes back with a new connection replaces
 * the old one at once), where `srt-live-transmit` as a listener takes one connection and listens
 * again only once that one has broken. Used by the cluster failover test to measure how soon a
 * stream flows again when the server does not wait for the old connection's peer-idle timeout.
 *
 *   srt-listener-tool PORT LATENCY_MS SECONDS
 *
 * Binds 127.0.0.1:PORT in live mode with LATENCY_MS of receiver latency, accepts every connection,
 * and writes every payload of every connection to stdout, in the order they come out of libsrt.
 * On stderr: "listening PORT", then "accepted N" (the Nth connection) and "closed SOCKET" (its
 * SRT socket id) as connections come and go. Exits after SECONDS (a
 * bound for tests) or on SIGTERM. Loopback only. Needs libsrt (Debian: libsrt-gnutls-dev).
 */
#include <stdlib.h>
#include <sys/syslog.h>
#include <unistd.h>

#include <srt/srt.h>

#include "bench-udp.h" /* the stop flag, on_signal, now_seconds */

#define MAX_SOCKETS 64

static int write_all(const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t written = write(STDOUT_FILENO, bytes, length);
    if (written <= 0) return -1;
    bytes += written;
    length -= (size_t)written;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: srt-listener-tool PORT LATENCY_MS SECONDS\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int latency = atoi(argv[2]);
  double seconds = atof(argv[3]);
  if (port <= 0 || port > 65535 || latency < 0 || seconds <= 0) {
    fprintf(stderr, "srt-listener-tool: bad PORT, LATENCY_MS or SECONDS\n");
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stderr, NULL, _IOLBF, 0);

  if (srt_startup() < 0) {
    fprintf(stderr, "srt-listener-tool: srt_startup: %s\n", srt_getlasterror_str());
    return 1;
  }
  /* libsrt logs every non-blocking accept that finds nothing; only its critical errors matter. */
  srt_setloglevel(LOG_CRIT);
  SRTSOCKET listener = srt_create_socket();
  if (listener == SRT_INVALID_SOCK) {
    fprintf(stderr, "srt-listener-tool: srt_create_socket: %s\n", srt_getlasterror_str());
    srt_cleanup();
    return 1;
  }
  int no = 0;
  int yes = 1;
  srt_setsockflag(listener, SRTO_RCVSYN, &no, sizeof no);
  srt_setsockflag(listener, SRTO_LATENCY, &latency, sizeof latency);
  srt_setsockflag(listener, SRTO_TSBPDMODE, &yes, sizeof yes);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (srt_bind(listener, (struct sockaddr *)&address, sizeof address) < 0 ||
      srt_listen(listener, 16) < 0) {
    fprintf(stderr, "srt-listener-tool: cannot listen on 127.0.0.1:%d: %s\n", port,
            srt_getlasterror_str());
    srt_close(listener);
    srt_cleanup();
    return 1;
  }
  int poll_id = srt_epoll_create();
  int readable = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  srt_epoll_add_usock(poll_id, listener, &readable);
  fprintf(stderr, "listening %d\n", port);

  SRTSOCKET ready[MAX_SOCKETS];
  int accepted = 0;
  char payload[1500];
  double deadline = now_seconds() + seconds;
  while (!stopping && now_seconds() < deadline) {
    int ready_count = MAX_SOCKETS;
    int count = srt_epoll_wait(poll_id, ready, &ready_count, NULL, NULL, 100, NULL, NULL, NULL,
                               NULL);
    if (count <= 0) continue;
    if (ready_count > MAX_SOCKETS) ready_count = MAX_SOCKETS;
    for (int i = 0; i < ready_count; i++) {
      SRTSOCKET socket = ready[i];
      if (socket == listener) {
        if (srt_getsockstate(listener) != SRTS_LISTENING) {
          fprintf(stderr, "srt-listener-tool: the listening socket broke: %s\n",
                  srt_getlasterror_str());
          stopping = 1;
          break;
        }
        for (int guard = 0; guard < MAX_SOCKETS; guard++) {
          struct sockaddr_storage peer;
          int peer_length = sizeof peer;
          SRTSOCKET connection = srt_accept(listener, (struct sockaddr *)&peer, &peer_length);
          if (connection == SRT_INVALID_SOCK) break;
          srt_setsockflag(connection, SRTO_RCVSYN, &no, sizeof no);
          srt_epoll_add_usock(poll_id, connection, &readable);
          fprintf(stderr, "accepted %d\n", ++accepted);
        }
        continue;
      }
      for (int guard = 0; guard < 1024; guard++) {
        int length = srt_recvmsg(socket, payload, sizeof payload);
        if (length > 0) {
          if (write_all(payload, (size_t)length) != 0) stopping = 1;
          continue;
        }
        /* Nothing more to read now; anything else (an error, or 0 from a connection that
           ended) closes it, so a broken socket is not reported ready again and again. */
        if (length == SRT_ERROR && srt_getlasterror(NULL) == SRT_EASYNCRCV) break;
        srt_epoll_remove_usock(poll_id, socket);
        srt_close(socket);
        fprintf(stderr, "closed %d\n", (int)socket);
        break;
      }
    }
  }
  srt_epoll_release(poll_id);
  srt_close(listener);
  srt_cleanup();
  return 0;
}
