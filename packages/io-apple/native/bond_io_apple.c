/*
 * bond_io_apple: batched UDP for @bond/io on Apple platforms.
 *
 * The same contract as @bond/io-linux's addon (JavaScript owns the slabs, tables and counters; the
 * descriptor is watched on Node's own loop; one receive pass per readiness, never a busy loop),
 * built on Apple's batch calls:
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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "msgx.h"

/* Metadata row, as in @bond/io receive-batch.ts. */
#define META_STRIDE 8
#define META_OFFSET 0
#define META_LENGTH 1
#define META_FAMILY 2
#define META_PORT 3
#define META_ADDRESS 4

/* Counter indexes, as in @bond/io counters.ts. */
enum {
  C_DATAGRAMS_RECEIVED = 0,
  C_BYTES_RECEIVED = 1,
  C_RECEIVE_BATCHES = 2,
  C_RECEIVE_CALLS = 3,
  C_TRUNCATED = 4,
  C_RECEIVE_ERRORS = 5,
  C_DATAGRAMS_SENT = 6,
  C_BYTES_SENT = 7,
  C_SEND_BATCHES = 8,
  C_SEND_CALLS = 9,
  C_SEND_ERRORS = 10,
  C_SEND_DROPPED = 11,
  C_GSO_DATAGRAMS = 12,
  C_LAST_SEND_ERRNO = 13,
  C_COUNT = 14
};

/* 1024: the batch limit @bond/io enforces for every backend. */
#define MAX_BATCH 1024

static bond_recvmsg_x_t recvmsg_x_fn;
static bond_sendmsg_x_t sendmsg_x_fn;

typedef struct bond_socket {
  int fd;
  int family; /* AF_INET or AF_INET6 */
  int use_msgx;
  int connected;
  int watching;
  int closed;
  int in_callback;
  int finalized;
  int context_pending_destroy;
  uv_poll_t *poll;
  napi_env env;
  napi_async_context async_context;
  napi_ref refs[6]; /* callback, receive slab, receive meta, send slab, send meta, counters */
  uint8_t *receive_slab;
  uint32_t *receive_meta;
  uint32_t max_batch;
  uint32_t slot_size;
  uint8_t *send_slab;
  size_t send_slab_length;
  uint32_t *send_meta;
  uint32_t send_rows;
  double *c;
  struct bond_msghdr_x *receive_x;
  struct iovec *receive_iov;
  struct sockaddr_storage *receive_names;
  struct bond_msghdr_x *send_x;
  struct iovec *send_iov;
  struct sockaddr_storage *send_names;
} bond_socket;

/* ---- errors ---- */

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value message, error, errno_value, syscall_value;
  char text[160];
  snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_int32(env, err, &errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* ---- addresses ---- */

static void set_length(struct sockaddr_storage *out, socklen_t length) {
#ifdef __APPLE__
  out->ss_len = (uint8_t)length;
#else
  (void)out;
  (void)length;
#endif
}

/* Fills a sockaddr for the socket's family from @bond/io's numeric form. */
static socklen_t fill_sockaddr(struct sockaddr_storage *out, int socket_family, uint32_t family,
                               uint32_t port, const uint32_t *words) {
  memset(out, 0, sizeof *out);
  if (socket_family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    sin->sin_addr.s_addr = htonl(words[0]);
    set_length(out, sizeof *sin);
    return sizeof *sin;
  }
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons((uint16_t)port);
  uint32_t net[4];
  if (family == 4) {
    net[0] = 0;
    net[1] = 0;
    net[2] = htonl(0xffff);
    net[3] = htonl(words[0]);
  } else {
    for (int k = 0; k < 4; k++) net[k] = htonl(words[k]);
  }
  memcpy(&sin6->sin6_addr, net, 16);
  set_length(out, sizeof *sin6);
  return sizeof *sin6;
}

/* Writes family, port and address words of `name` into a metadata row. */
static void write_source(uint32_t *row, const struct sockaddr_storage *name) {
  if (name->ss_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)name;
    uint32_t net[4];
    memcpy(net, &sin6->sin6_addr, 16);
    row[META_PORT] = ntohs(sin6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      row[META_FAMILY] = 4;
      row[META_ADDRESS] = ntohl(net[3]);
      row[META_ADDRESS + 1] = row[META_ADDRESS + 2] = row[META_ADDRESS + 3] = 0;
    } else {
      row[META_FAMILY] = 6;
      for (int k = 0; k < 4; k++) row[META_ADDRESS + k] = ntohl(net[k]);
    }
  } else {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)name;
    row[META_FAMILY] = 4;
    row[META_PORT] = ntohs(sin->sin_port);
    row[META_ADDRESS] = ntohl(sin->sin_addr.s_addr);
    row[META_ADDRESS + 1] = row[META_ADDRESS + 2] = row[META_ADDRESS + 3] = 0;
  }
}

/* Parses an address literal for the socket's family. */
static int parse_sockaddr(struct sockaddr_storage *out, socklen_t *length, int family,
                          const char *address, uint32_t port) {
  memset(out, 0, sizeof *out);
  if (family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &sin->sin_addr) != 1) return -1;
    *length = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &sin6->sin6_addr) != 1) return -1;
    *length = sizeof *sin6;
  }
  set_length(out, *length);
  return 0;
}

/* ---- lifetime ---- */

static void free_socket(bond_socket *s) {
  free(s->receive_x);
  free(s->receive_iov);
  free(s->receive_names);
  free(s->send_x);
  free(s->send_iov);
  free(s->send_names);
  free(s);
}

static void on_poll_closed(uv_handle_t *handle) { free(handle); }

/* Stops watching and closes the descriptor. Safe inside a receive callback. */
static void close_descriptor(bond_socket *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->poll != NULL) {
    uv_poll_stop(s->poll);
    uv_close((uv_handle_t *)s->poll, on_poll_closed);
    s->poll = NULL;
  }
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  bond_socket *s = data;
  close_descriptor(s);
  if (s->in_callback) {
    s->finalized = 1; /* freed by the poll callback when it unwinds */
    return;
  }
  free_socket(s);
}

static bond_socket *unwrap(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    throw_type(env, "expected a socket handle from open()");
    return NULL;
  }
  return data;
}

/* ---- receive ---- */

static void call_js(bond_socket *s, int32_t value) {
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value callback, global, argument, result;
  napi_open_handle_scope(env, &scope);
  if (napi_get_reference_value(env, s->refs[0], &callback) == napi_ok && callback != NULL) {
    napi_get_global(env, &global);
    napi_create_int32(env, value, &argument);
    s->in_callback++;
    napi_status status =
        napi_make_callback(env, s->async_context, global, callback, 1, &argument, &result);
    s->in_callback--;
    if (status == napi_pending_exception) {
      napi_value exception;
      napi_get_and_clear_last_exception(env, &exception);
      napi_fatal_exception(env, exception);
    }
  }
  napi_close_handle_scope(env, scope);
}

/* Fills row `out` from slot `slot`; returns 0 when the datagram was dropped as truncated. */
static int accept_datagram(bond_socket *s, uint32_t out, uint32_t slot, size_t length, int truncated) {
  if (truncated) {
    s->c[C_TRUNCATED] += 1;
    return 0;
  }
  uint32_t *row = s->receive_meta + (size_t)out * META_STRIDE;
  row[META_OFFSET] = slot * s->slot_size;
  row[META_LENGTH] = (uint32_t)length;
  write_source(row, &s->receive_names[slot]);
  return 1;
}

static void receive_batch(bond_socket *s) {
  const uint32_t n = s->max_batch;
  uint32_t out = 0;
  double bytes = 0;
  int err = 0;
  if (s->use_msgx) {
    for (uint32_t i = 0; i < n; i++) {
      s->receive_x[i].msg_namelen = sizeof(struct sockaddr_storage);
      s->receive_x[i].msg_flags = 0;
      s->receive_x[i].msg_datalen = 0;
    }
    ssize_t got = recvmsg_x_fn(s->fd, s->receive_x, n, MSG_DONTWAIT);
    s->c[C_RECEIVE_CALLS] += 1;
    if (got < 0) err = errno;
    for (ssize_t i = 0; i < got; i++) {
      size_t length = s->receive_x[i].msg_datalen;
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
  if (out > 0) {
    s->c[C_DATAGRAMS_RECEIVED] += out;
    s->c[C_BYTES_RECEIVED] += bytes;
    s->c[C_RECEIVE_BATCHES] += 1;
    call_js(s, (int32_t)out);
  }
  if (err != 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR && !s->closed) {
    s->c[C_RECEIVE_ERRORS] += 1;
    call_js(s, -err);
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  bond_socket *s = handle->data;
  if (s == NULL || s->closed) return;
  s->in_callback++;
  if (status < 0) {
    /* libuv stops the watch on POLLERR (a queued ICMP error on a connected socket): read and clear
       the error, report it, and watch again. */
    int err = 0;
    socklen_t length = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &length);
    if (s->watching && !s->closed) uv_poll_start(s->poll, UV_READABLE, on_poll);
    if (err != 0) {
      s->c[C_RECEIVE_ERRORS] += 1;
      call_js(s, -err);
    }
  } else if (events & UV_READABLE) {
    receive_batch(s);
  }
  s->in_callback--;
  if (s->in_callback > 0) return;
  if (s->context_pending_destroy) {
    s->context_pending_destroy = 0;
    napi_async_destroy(s->env, s->async_context);
  }
  if (s->finalized) free_socket(s);
}

/* ---- N-API functions ---- */

static int get_typed(napi_env env, napi_value value, napi_typedarray_type want, void **data,
                     size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return -1;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok)
    return -1;
  return type == want ? 0 : -1;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 14) return throw_type(env, "open() takes 14 arguments");

  int32_t family_number, port, receive_buffer, send_buffer, max_batch, slot_size;
  bool ipv6_only = false;
  char address[INET6_ADDRSTRLEN + 1];
  size_t address_length;
  if (napi_get_value_int32(env, argv[0], &family_number) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_length) !=
          napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok ||
      napi_get_value_bool(env, argv[3], &ipv6_only) != napi_ok ||
      napi_get_value_int32(env, argv[4], &receive_buffer) != napi_ok ||
      napi_get_value_int32(env, argv[5], &send_buffer) != napi_ok ||
      napi_get_value_int32(env, argv[8], &max_batch) != napi_ok ||
      napi_get_value_int32(env, argv[9], &slot_size) != napi_ok)
    return throw_type(env, "open(): bad argument types");
  if (max_batch < 1 || max_batch > MAX_BATCH || slot_size < 1 || slot_size > 65535)
    return throw_type(env, "open(): maxBatch or slotSize out of range");

  void *receive_slab, *receive_meta, *send_slab, *send_meta, *counters;
  size_t receive_slab_length, receive_meta_length, send_slab_length, send_meta_length,
      counters_length;
  if (get_typed(env, argv[6], napi_uint8_array, &receive_slab, &receive_slab_length) ||
      get_typed(env, argv[7], napi_uint32_array, &receive_meta, &receive_meta_length) ||
      get_typed(env, argv[10], napi_uint8_array, &send_slab, &send_slab_length) ||
      get_typed(env, argv[11], napi_uint32_array, &send_meta, &send_meta_length) ||
      get_typed(env, argv[12], napi_float64_array, &counters, &counters_length))
    return throw_type(env, "open(): slabs, tables or counters have the wrong type");
  if (receive_slab_length < (size_t)max_batch * (size_t)slot_size ||
      receive_meta_length < (size_t)max_batch * META_STRIDE || counters_length < C_COUNT ||
      send_meta_length < META_STRIDE)
    return throw_type(env, "open(): slab, table or counters too small");
  napi_valuetype callback_type;
  napi_typeof(env, argv[13], &callback_type);
  if (callback_type != napi_function) return throw_type(env, "open(): onReceive must be a function");

  int family = family_number == 6 ? AF_INET6 : AF_INET;
  struct sockaddr_storage local;
  socklen_t local_length;
  if (parse_sockaddr(&local, &local_length, family, address, (uint32_t)port) != 0)
    return throw_errno(env, EINVAL, "bind");

  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "fcntl");
  }
  int on = ipv6_only ? 1 : 0;
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "setsockopt");
  }
  if ((receive_buffer > 0 &&
       setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) != 0) ||
      (send_buffer > 0 &&
       setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer) != 0)) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "setsockopt");
  }
  if (bind(fd, (struct sockaddr *)&local, local_length) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }

  bond_socket *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "open");
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  s->max_batch = (uint32_t)max_batch;
  s->slot_size = (uint32_t)slot_size;
  s->receive_slab = receive_slab;
  s->receive_meta = receive_meta;
  s->send_slab = send_slab;
  s->send_slab_length = send_slab_length;
  s->send_meta = send_meta;
  s->send_rows = (uint32_t)(send_meta_length / META_STRIDE);
  if (s->send_rows > MAX_BATCH) s->send_rows = MAX_BATCH;
  s->c = counters;

  s->use_msgx = recvmsg_x_fn != NULL && sendmsg_x_fn != NULL;

  size_t n = s->max_batch;
  size_t m = s->send_rows;
  s->receive_x = calloc(n, sizeof *s->receive_x);
  s->receive_iov = calloc(n, sizeof *s->receive_iov);
  s->receive_names = calloc(n, sizeof *s->receive_names);
  s->send_x = calloc(m, sizeof *s->send_x);
  s->send_iov = calloc(m, sizeof *s->send_iov);
  s->send_names = calloc(m, sizeof *s->send_names);
  s->poll = malloc(sizeof *s->poll);
  if (!s->receive_x || !s->receive_iov || !s->receive_names || !s->send_x || !s->send_iov ||
      !s->send_names || !s->poll) {
    free(s->poll);
    s->poll = NULL;
    close(fd);
    free_socket(s);
    return throw_errno(env, ENOMEM, "open");
  }
  for (size_t i = 0; i < n; i++) {
    s->receive_iov[i].iov_base = s->receive_slab + i * s->slot_size;
    s->receive_iov[i].iov_len = s->slot_size;
    s->receive_x[i].msg_name = &s->receive_names[i];
    s->receive_x[i].msg_iov = &s->receive_iov[i];
    s->receive_x[i].msg_iovlen = 1;
  }

  napi_value resource_name;
  napi_create_string_utf8(env, "bond:io-apple", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &s->async_context);
  const int ref_args[6] = {13, 6, 7, 10, 11, 12};
  for (int k = 0; k < 6; k++) napi_create_reference(env, argv[ref_args[k]], 1, &s->refs[k]);

  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init_socket(loop, s->poll, fd);
  s->poll->data = s;
  uv_poll_start(s->poll, UV_READABLE, on_poll);
  s->watching = 1;

  napi_value external;
  napi_create_external(env, s, finalize_socket, NULL, &external);
  return external;
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 3 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  char address[INET6_ADDRSTRLEN + 1];
  size_t address_length;
  int32_t port;
  if (napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_length) !=
          napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok)
    return throw_type(env, "connect(handle, address, port)");
  if (s->closed) return throw_errno(env, EBADF, "connect");
  struct sockaddr_storage remote;
  socklen_t length;
  if (parse_sockaddr(&remote, &length, s->family, address, (uint32_t)port) != 0)
    return throw_errno(env, EINVAL, "connect");
  if (connect(s->fd, (struct sockaddr *)&remote, length) != 0)
    return throw_errno(env, errno, "connect");
  s->connected = 1;
  return NULL;
}

static napi_value js_local_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  if (s->closed) return throw_errno(env, EBADF, "getsockname");
  struct sockaddr_storage name;
  socklen_t length = sizeof name;
  if (getsockname(s->fd, (struct sockaddr *)&name, &length) != 0)
    return throw_errno(env, errno, "getsockname");
  char text[INET6_ADDRSTRLEN + 1];
  int port;
  if (name.ss_family == AF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&name;
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    port = ntohs(sin6->sin6_port);
  } else {
    struct sockaddr_in *sin = (struct sockaddr_in *)&name;
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    port = ntohs(sin->sin_port);
  }
  napi_value result, address_value, port_value;
  napi_create_array_with_length(env, 2, &result);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address_value);
  napi_create_int32(env, port, &port_value);
  napi_set_element(env, result, 0, address_value);
  napi_set_element(env, result, 1, port_value);
  return result;
}

static napi_value js_buffer_sizes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  if (s->closed) return throw_errno(env, EBADF, "getsockopt");
  int sizes[2] = {0, 0};
  socklen_t length = sizeof sizes[0];
  if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sizes[0], &length) != 0)
    return throw_errno(env, errno, "getsockopt");
  length = sizeof sizes[1];
  if (getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sizes[1], &length) != 0)
    return throw_errno(env, errno, "getsockopt");
  napi_value result, value;
  napi_create_array_with_length(env, 2, &result);
  for (uint32_t k = 0; k < 2; k++) {
    napi_create_int32(env, sizes[k], &value);
    napi_set_element(env, result, k, value);
  }
  return result;
}

static napi_value js_set_watching(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 2 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  bool on = false;
  napi_get_value_bool(env, argv[1], &on);
  if (s->closed || s->poll == NULL) return NULL;
  if (on && !s->watching) uv_poll_start(s->poll, UV_READABLE, on_poll);
  if (!on && s->watching) uv_poll_stop(s->poll);
  s->watching = on;
  return NULL;
}

/* Points message `m` at send row `row`. */
static void build_message(bond_socket *s, uint32_t m, uint32_t row_index) {
  const uint32_t *row = s->send_meta + (size_t)row_index * META_STRIDE;
  struct bond_msghdr_x *header = &s->send_x[m];
  memset(header, 0, sizeof *header);
  s->send_iov[m].iov_base = s->send_slab + row[META_OFFSET];
  s->send_iov[m].iov_len = row[META_LENGTH];
  header->msg_iov = &s->send_iov[m];
  header->msg_iovlen = 1;
  if (row[META_FAMILY] != 0) {
    header->msg_name = &s->send_names[m];
    header->msg_namelen = fill_sockaddr(&s->send_names[m], s->family, row[META_FAMILY],
                                        row[META_PORT], row + META_ADDRESS);
  }
}

/* Counts a send failure of one datagram; returns 1 when the rest must be dropped. */
static int send_failed(bond_socket *s, int err, uint32_t remaining) {
  if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
    /* The kernel send queue is full: drop the rest, as a full network queue would. */
    s->c[C_SEND_DROPPED] += remaining;
    return 1;
  }
  s->c[C_SEND_ERRORS] += 1;
  s->c[C_LAST_SEND_ERRNO] = err;
  return 0;
}

/* Sends rows [0, count); returns datagrams the kernel took. */
static uint32_t send_rows(bond_socket *s, uint32_t count) {
  uint32_t sent = 0;
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t *row = s->send_meta + (size_t)i * META_STRIDE;
    if ((size_t)row[META_OFFSET] + row[META_LENGTH] > s->send_slab_length) return sent;
    build_message(s, i, i);
  }
  uint32_t position = 0;
  int interrupts = 0;
  if (s->use_msgx && s->connected) {
    while (position < count) {
      ssize_t got = sendmsg_x_fn(s->fd, s->send_x + position, count - position, MSG_DONTWAIT);
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
      if (send_failed(s, err, count - position)) break;
      position++;
    }
    return sent;
  }
  while (position < count) {
    struct bond_msghdr_x *x = &s->send_x[position];
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
    if (send_failed(s, err, count - position)) break;
    position++;
  }
  return sent;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 2 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  uint32_t count = 0;
  napi_get_value_uint32(env, argv[1], &count);
  if (s->closed) return throw_errno(env, EBADF, "sendmsg");
  if (count > s->send_rows) count = s->send_rows;
  uint32_t sent = 0;
  if (count > 0) {
    sent = send_rows(s, count);
    s->c[C_DATAGRAMS_SENT] += sent;
    s->c[C_SEND_BATCHES] += 1;
  }
  napi_value result;
  napi_create_uint32(env, sent, &result);
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL || s->closed) return NULL;
  close_descriptor(s);
  for (int k = 0; k < 6; k++) {
    if (s->refs[k] != NULL) napi_delete_reference(env, s->refs[k]);
    s->refs[k] = NULL;
  }
  /* Inside a receive callback the context is still in use: destroy it when the callback unwinds. */
  if (s->in_callback) s->context_pending_destroy = 1;
  else napi_async_destroy(env, s->async_context);
  return NULL;
}

/* Whether this socket uses recvmsg_x / sendmsg_x (for tests and diagnostics). */
static napi_value js_batched(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  napi_value result;
  napi_get_boolean(env, s->use_msgx != 0, &result);
  return result;
}

/* Makes this socket use plain recvmsg / sendmsg (the path older systems take). */
static napi_value js_use_plain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (s != NULL) s->use_msgx = 0;
  return NULL;
}

/* Whether recvmsg_x / sendmsg_x were resolved on this system. */
static napi_value js_msgx_available(napi_env env, napi_callback_info info) {
  napi_value result;
  napi_get_boolean(env, recvmsg_x_fn != NULL && sendmsg_x_fn != NULL, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  bond_resolve_msgx(&recvmsg_x_fn, &sendmsg_x_fn);
  napi_value shim;
  napi_get_boolean(env, BOND_MSGX_SHIM != 0, &shim);
  napi_set_named_property(env, exports, "shim", shim);
  napi_property_descriptor properties[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localAddress", NULL, js_local_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bufferSizes", NULL, js_buffer_sizes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setWatching", NULL, js_set_watching, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"batched", NULL, js_batched, NULL, NULL, NULL, napi_enumerable, NULL},
      {"usePlain", NULL, js_use_plain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"msgxAvailable", NULL, js_msgx_available, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
