/*
 * bond_io_apple: batched UDP for @bond/io on Apple platforms, on the shared core
 * (core/bond_io_core.h holds the buffers' ownership, the watch and the N-API surface), built on
 * Apple's batch calls:
 *
 *  - recvmsg_x / sendmsg_x are private symbols: resolved at run time (msgx.h), and only used on
 *    macOS 15.6 or later, because earlier versions can wedge the socket. Otherwise, or when
 *    `usePlain` is called, plain recvmsg / sendmsg loops bounded by maxBatch do the same job.
 *  - recvmsg_x does not report truncation: a datagram that fills its slot exactly is counted as
 *    truncated and dropped, so slots must be larger than the largest datagram accepted.
 *  - sendmsg_x is used for connected sockets only (the fast send path); unconnected sockets send
 *    each datagram with sendmsg.
 *
 * On Linux this file compiles against msgx-shim-linux.c, which implements the Apple calls with
 * recvmmsg / sendmmsg, so @bond/io's contract suite exercises this code path there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bond_io_core.h"
#include "msgx.h"

const char bond_platform_resource_name[] = "bond:io-apple";
const char bond_platform_send_call[] = "sendmsg";

/* Set once by bond_platform_init; both NULL where the batch calls must not be used. */
static bond_recvmsg_x_t recvmsg_x_fn;
static bond_sendmsg_x_t sendmsg_x_fn;

struct bond_platform_socket {
  int use_msgx;
  /* In the environment's scratch (bond_io_core.h), set by use_scratch for one receive or send: */
  struct bond_msghdr_x *receive_x; /* max_batch, over the core's receive_iov / receive_names */
  struct bond_msghdr_x *send_x;    /* send_rows, one per send row */
};

/* Points s's platform arrays at the environment's scratch (two arrays of `entries` each). */
static void use_scratch(bond_socket *s) {
  bond_platform_socket *p = s->platform;
  p->receive_x = s->scratch->platform.data;
  p->send_x = p->receive_x + s->scratch->platform.entries;
}

int bond_platform_attach(bond_socket *s) {
  bond_platform_socket *p = calloc(1, sizeof *p);
  if (p == NULL) return ENOMEM;
  s->platform = p;
  p->use_msgx = recvmsg_x_fn != NULL && sendmsg_x_fn != NULL;
  uint32_t entries = s->max_batch > s->send_rows ? s->max_batch : s->send_rows;
  if (bond_scratch_reserve(&s->scratch->platform, entries, 2 * sizeof(struct bond_msghdr_x)) != 0)
    return ENOMEM;
  return 0;
}

void bond_platform_detach(bond_socket *s) {
  bond_platform_socket *p = s->platform;
  if (p == NULL) return;
  free(p);
  s->platform = NULL;
}

/* ---- receive ---- */

/* Writes row `out` for slot `slot` unless the datagram was truncated (then counts it); returns
   whether a row was written. */
static int accept_datagram(bond_socket *s, uint32_t out, uint32_t slot, size_t length,
                           int truncated) {
  if (truncated) {
    s->c[C_TRUNCATED] += 1;
    return 0;
  }
  bond_fill_row(s, out, slot, length);
  return 1;
}

void bond_platform_receive(bond_socket *s) {
  bond_platform_socket *p = s->platform;
  use_scratch(s);
  const uint32_t n = s->max_batch;
  uint32_t out = 0;
  double bytes = 0;
  int err = 0;
  if (p->use_msgx) {
    for (uint32_t i = 0; i < n; i++) {
      memset(&p->receive_x[i], 0, sizeof p->receive_x[i]);
      p->receive_x[i].msg_name = &s->receive_names[i];
      p->receive_x[i].msg_namelen = sizeof(struct sockaddr_storage);
      p->receive_x[i].msg_iov = &s->receive_iov[i];
      p->receive_x[i].msg_iovlen = 1;
    }
    ssize_t got = recvmsg_x_fn(s->fd, p->receive_x, n, MSG_DONTWAIT);
    s->c[C_RECEIVE_CALLS] += 1;
    if (got < 0) err = errno;
    for (ssize_t i = 0; i < got; i++) {
      size_t length = p->receive_x[i].msg_datalen;
      /* recvmsg_x does not flag truncation: a full slot may have been cut short. */
      if (accept_datagram(s, out, (uint32_t)i, length, length >= s->slot_size)) {
        bytes += (double)length;
        out++;
      }
    }
  } else {
    /* Plain recvmsg, at most one slab per readiness. */
    for (uint32_t i = 0; i < n; i++) {
      struct msghdr header;
      memset(&header, 0, sizeof header);
      header.msg_name = &s->receive_names[i];
      header.msg_namelen = sizeof(struct sockaddr_storage);
      header.msg_iov = &s->receive_iov[i];
      header.msg_iovlen = 1;
      ssize_t got = recvmsg(s->fd, &header, MSG_DONTWAIT);
      s->c[C_RECEIVE_CALLS] += 1;
      if (got < 0) {
        err = errno;
        break;
      }
      if (accept_datagram(s, out, i, (size_t)got, (header.msg_flags & MSG_TRUNC) != 0)) {
        bytes += (double)got;
        out++;
      }
    }
  }
  bond_deliver(s, out, bytes);
  bond_report_receive_error(s, err);
}

/* ---- send ---- */

/* Points message `m` at send row `row_index`. */
static void build_message(bond_socket *s, uint32_t m, uint32_t row_index) {
  const uint32_t *row = s->send_meta + (size_t)row_index * META_STRIDE;
  struct bond_msghdr_x *header = &s->platform->send_x[m];
  memset(header, 0, sizeof *header);
  s->send_iov[m].iov_base = s->send_slab + row[META_OFFSET];
  s->send_iov[m].iov_len = row[META_LENGTH];
  header->msg_iov = &s->send_iov[m];
  header->msg_iovlen = 1;
  if (row[META_FAMILY] != 0) {
    header->msg_name = &s->send_names[m];
    header->msg_namelen = bond_fill_sockaddr(&s->send_names[m], s->family, row[META_FAMILY],
                                             row[META_PORT], row + META_ADDRESS);
  }
}

uint32_t bond_platform_send(bond_socket *s, uint32_t count) {
  bond_platform_socket *p = s->platform;
  use_scratch(s);
  for (uint32_t i = 0; i < count; i++) build_message(s, i, i);
  uint32_t sent = 0, position = 0;
  int interrupts = 0;
  if (p->use_msgx && s->connected) {
    while (position < count) {
      ssize_t got = sendmsg_x_fn(s->fd, p->send_x + position, count - position, MSG_DONTWAIT);
      s->c[C_SEND_CALLS] += 1;
      if (got > 0) {
        for (uint32_t k = position; k < position + (uint32_t)got; k++)
          s->c[C_BYTES_SENT] += (double)s->send_iov[k].iov_len;
        sent += (uint32_t)got;
        position += (uint32_t)got;
        continue;
      }
      int err = errno;
      if (err == EINTR && interrupts++ < 8) continue;
      if (bond_send_failed(s, err, 1, count - position)) break;
      position++;
    }
    return sent;
  }
  while (position < count) {
    struct bond_msghdr_x *x = &p->send_x[position];
    struct msghdr header;
    memset(&header, 0, sizeof header);
    header.msg_name = x->msg_name;
    header.msg_namelen = x->msg_namelen;
    header.msg_iov = x->msg_iov;
    header.msg_iovlen = 1;
    ssize_t got = sendmsg(s->fd, &header, MSG_DONTWAIT);
    s->c[C_SEND_CALLS] += 1;
    if (got >= 0) {
      s->c[C_BYTES_SENT] += (double)got;
      sent++;
      position++;
      continue;
    }
    int err = errno;
    if (err == EINTR && interrupts++ < 8) continue;
    if (bond_send_failed(s, err, 1, count - position)) break;
    position++;
  }
  return sent;
}

/* ---- exports of this addon ---- */

/* Whether this socket uses recvmsg_x / sendmsg_x (for tests and diagnostics). */
static napi_value js_batched(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bond_socket *s = bond_handle_arg(env, info, "batched(handle)", 1, argv);
  return s == NULL ? NULL : bond_boolean(env, s->platform->use_msgx != 0);
}

/* Makes this socket use plain recvmsg / sendmsg (the path older systems take). */
static napi_value js_use_plain(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bond_socket *s = bond_handle_arg(env, info, "usePlain(handle)", 1, argv);
  if (s != NULL) s->platform->use_msgx = 0;
  return NULL;
}

/* Whether recvmsg_x / sendmsg_x were resolved on this system. */
static napi_value js_msgx_available(napi_env env, napi_callback_info info) {
  (void)info;
  return bond_boolean(env, recvmsg_x_fn != NULL && sendmsg_x_fn != NULL);
}

napi_status bond_platform_init(napi_env env, napi_value exports) {
  bond_resolve_msgx(&recvmsg_x_fn, &sendmsg_x_fn);
  napi_value shim;
  napi_status status = napi_get_boolean(env, BOND_MSGX_SHIM != 0, &shim);
  if (status == napi_ok) status = napi_set_named_property(env, exports, "shim", shim);
  if (status != napi_ok) return status;
  napi_property_descriptor properties[] = {
      {"batched", NULL, js_batched, NULL, NULL, NULL, napi_enumerable, NULL},
      {"usePlain", NULL, js_use_plain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"msgxAvailable", NULL, js_msgx_available, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof properties / sizeof properties[0],
                                properties);
}
