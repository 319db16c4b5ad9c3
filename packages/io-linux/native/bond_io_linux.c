/*
 * bond_io_linux: batched UDP for @bond/io on Linux, on the shared core (core/bond_io_core.h holds
 * the buffers' ownership, the watch and the N-API surface).
 *
 * Receive: each readiness makes one recvmmsg() of at most maxBatch datagrams into the slab.
 *
 * Send: `send(handle, count)` turns the queued rows into one sendmmsg() (more only if the kernel
 * takes part of a batch). Runs of consecutive equal-size datagrams to one destination become one
 * UDP GSO message (UDP_SEGMENT, one iovec per datagram) when the kernel supports it; EINVAL or EIO on
 * such a message turns GSO off for the socket and the rest is sent without it. `disableGso(handle)`
 * turns it off from the start (for paths known not to segment, and for tests of the plain path).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>

#include "bond_io_core.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, Linux 4.18 */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/* 64: UDP_MAX_SEGMENTS before Linux 6.9 (later kernels allow 128). Before Linux 5.16 the kernel
   compared the whole packet, IP and UDP headers (at most 48 bytes) included, with 64 segments'
   payload (read in its source, not reproduced), so a run also keeps run * size + 48 <= 64 * size:
   62 or 63 segments at most. */
#define GSO_MAX_SEGMENTS 64
#define GSO_HEADER_BYTES 48
/* 65000: stays below the 65507-byte IPv4 UDP payload limit that bounds one GSO message. */
#define GSO_MAX_BYTES 65000

#define CONTROL_SPACE CMSG_SPACE(sizeof(uint16_t))

const char bond_platform_resource_name[] = "bond:io-linux";
const char bond_platform_send_call[] = "sendmmsg";

struct bond_platform_socket {
  int gso; /* UDP_SEGMENT usable */
  /* In the environment's scratch (bond_io_core.h), set by use_scratch for one receive or send: */
  struct mmsghdr *receive_messages; /* max_batch, over the core's receive_iov / receive_names */
  struct mmsghdr *send_messages;    /* send_rows, each over the core's send_iov / send_names */
  char *send_control;               /* CONTROL_SPACE per send message */
  uint32_t *send_first_row;         /* per send message: its first send row */
  uint32_t *send_datagrams;         /* per send message: datagrams in it (above 1: GSO) */
};

/* One scratch entry: a receive message, a send message, its control space, first row and count. */
#define LINUX_ENTRY_SIZE                                                                       \
  (2 * sizeof(struct mmsghdr) + CONTROL_SPACE + 2 * sizeof(uint32_t))
/* Points s's platform arrays at the environment's scratch (five arrays of `entries` each). */
static void use_scratch(bond_socket *s) {
  bond_platform_socket *p = s->platform;
  size_t n = s->scratch->platform.entries;
  char *base = s->scratch->platform.data;
  p->receive_messages = (struct mmsghdr *)base;
  p->send_messages = p->receive_messages + n;
  p->send_control = (char *)(p->send_messages + n);
  p->send_first_row = (uint32_t *)(p->send_control + n * CONTROL_SPACE);
  p->send_datagrams = p->send_first_row + n;
}

int bond_platform_attach(bond_socket *s) {
  bond_platform_socket *p = calloc(1, sizeof *p);
  if (p == NULL) return ENOMEM;
  s->platform = p;
  uint32_t entries = s->max_batch > s->send_rows ? s->max_batch : s->send_rows;
  if (bond_scratch_reserve(&s->scratch->platform, entries, LINUX_ENTRY_SIZE) != 0) return ENOMEM;
  /* GSO probe: the option exists on this kernel (Linux >= 4.18). */
  int segment = 0;
  socklen_t segment_length = sizeof segment;
  p->gso = getsockopt(s->fd, SOL_UDP, UDP_SEGMENT, &segment, &segment_length) == 0;
  return 0;
}

void bond_platform_detach(bond_socket *s) {
  bond_platform_socket *p = s->platform;
  if (p == NULL) return;
  free(p);
  s->platform = NULL;
}

/* ---- receive ---- */

void bond_platform_receive(bond_socket *s) {
  bond_platform_socket *p = s->platform;
  use_scratch(s);
  const uint32_t n = s->max_batch;
  for (uint32_t i = 0; i < n; i++) {
    struct msghdr *header = &p->receive_messages[i].msg_hdr;
    memset(header, 0, sizeof *header);
    header->msg_name = &s->receive_names[i];
    header->msg_namelen = sizeof(struct sockaddr_storage);
    header->msg_iov = &s->receive_iov[i];
    header->msg_iovlen = 1;
  }
  int got = recvmmsg(s->fd, p->receive_messages, n, MSG_DONTWAIT, NULL);
  s->c[C_RECEIVE_CALLS] += 1;
  if (got < 0) {
    bond_report_receive_error(s, errno);
    return;
  }
  uint32_t out = 0;
  double bytes = 0;
  for (int i = 0; i < got; i++) {
    if (p->receive_messages[i].msg_hdr.msg_flags & MSG_TRUNC) {
      s->c[C_TRUNCATED] += 1;
      continue;
    }
    uint32_t length = p->receive_messages[i].msg_len;
    bond_fill_row(s, out, (uint32_t)i, length);
    bytes += length;
    out++;
  }
  bond_deliver(s, out, bytes);
}

/* ---- send ---- */

/* Builds messages from send rows [first, count); returns the number of messages. */
static uint32_t build_messages(bond_socket *s, uint32_t first, uint32_t count) {
  bond_platform_socket *p = s->platform;
  uint32_t m = 0;
  uint32_t i = first;
  while (i < count) {
    const uint32_t *row = s->send_meta + (size_t)i * META_STRIDE;
    uint32_t length = row[META_LENGTH];
    uint32_t family = row[META_FAMILY], port = row[META_PORT];
    uint32_t run = 1;
    if (p->gso && length > 0) {
      /* Extend over following rows: same size, same destination. Each row is its own iovec,
         so the rows need not be back to back in the slab: the slab is shared by every socket
         (a receiver's SRTLA ACKs to senders sit between its datagrams to the SRT listener). */
      while (i + run < count && (run + 1) * length + GSO_HEADER_BYTES <= GSO_MAX_SEGMENTS * length &&
             (run + 1) * length <= GSO_MAX_BYTES) {
        const uint32_t *next = row + (size_t)run * META_STRIDE;
        if (next[META_LENGTH] != length || next[META_FAMILY] != family ||
            next[META_PORT] != port || memcmp(next + META_ADDRESS, row + META_ADDRESS, 16) != 0)
          break;
        run++;
      }
    }
    struct msghdr *header = &p->send_messages[m].msg_hdr;
    memset(header, 0, sizeof *header);
    /* The iovecs are indexed by row (messages cover consecutive rows, one iovec per row). */
    for (uint32_t k = 0; k < run; k++) {
      const uint32_t *each = row + (size_t)k * META_STRIDE;
      s->send_iov[i + k].iov_base = s->send_slab + each[META_OFFSET];
      s->send_iov[i + k].iov_len = length;
    }
    header->msg_iov = &s->send_iov[i];
    header->msg_iovlen = run;
    if (family != 0) {
      header->msg_name = &s->send_names[m];
      header->msg_namelen =
          bond_fill_sockaddr(&s->send_names[m], s->family, family, port, row + META_ADDRESS);
    }
    if (run > 1) {
      char *control = p->send_control + (size_t)m * CONTROL_SPACE;
      memset(control, 0, CONTROL_SPACE);
      header->msg_control = control;
      header->msg_controllen = CONTROL_SPACE;
      struct cmsghdr *cmsg = CMSG_FIRSTHDR(header);
      cmsg->cmsg_level = SOL_UDP;
      cmsg->cmsg_type = UDP_SEGMENT;
      cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t segment = (uint16_t)length;
      memcpy(CMSG_DATA(cmsg), &segment, sizeof segment);
    }
    p->send_first_row[m] = i;
    p->send_datagrams[m] = run;
    m++;
    i += run;
  }
  return m;
}

/* Sends rows [first, count); returns datagrams the kernel took. */
static uint32_t send_rows(bond_socket *s, uint32_t first, uint32_t count) {
  bond_platform_socket *p = s->platform;
  uint32_t m = build_messages(s, first, count);
  uint32_t position = 0, sent = 0;
  int interrupts = 0;
  while (position < m) {
    int got = sendmmsg(s->fd, p->send_messages + position, m - position, MSG_DONTWAIT);
    s->c[C_SEND_CALLS] += 1;
    if (got > 0) {
      for (uint32_t k = position; k < position + (uint32_t)got; k++) {
        sent += p->send_datagrams[k];
        s->c[C_BYTES_SENT] +=
            (double)p->send_datagrams[k] * (double)s->send_iov[p->send_first_row[k]].iov_len;
        if (p->send_datagrams[k] > 1) s->c[C_GSO_DATAGRAMS] += p->send_datagrams[k];
      }
      position += (uint32_t)got;
      continue;
    }
    int err = errno;
    if (err == EINTR && interrupts++ < 8) continue;
    if ((err == EINVAL || err == EIO) && p->send_datagrams[position] > 1) {
      /* This path (device or kernel) cannot segment: stop using GSO and resend plainly. */
      p->gso = 0;
      sent += send_rows(s, p->send_first_row[position], count);
      break;
    }
    uint32_t remaining = 0;
    for (uint32_t k = position; k < m; k++) remaining += p->send_datagrams[k];
    if (bond_send_failed(s, err, p->send_datagrams[position], remaining)) break;
    position++;
  }
  return sent;
}

uint32_t bond_platform_send(bond_socket *s, uint32_t count) {
  use_scratch(s);
  return send_rows(s, 0, count);
}

/* ---- exports of this addon ---- */

/* Whether UDP GSO is in use on this socket (for tests and the benchmark). */
static napi_value js_gso(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bond_socket *s = bond_handle_arg(env, info, "gso(handle)", 1, argv);
  return s == NULL ? NULL : bond_boolean(env, s->platform->gso != 0);
}

/* Makes this socket send every datagram as its own message, never as a GSO run. */
static napi_value js_disable_gso(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bond_socket *s = bond_handle_arg(env, info, "disableGso(handle)", 1, argv);
  if (s != NULL) s->platform->gso = 0;
  return NULL;
}

napi_status bond_platform_init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"gso", NULL, js_gso, NULL, NULL, NULL, napi_enumerable, NULL},
      {"disableGso", NULL, js_disable_gso, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof properties / sizeof properties[0],
                                properties);
}
