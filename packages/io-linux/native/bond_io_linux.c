/*
 * bond_io_linux: batched UDP for @bond/io on Linux.
 *
 * JavaScript owns every buffer this addon touches: the receive slab and metadata table (the
 * caller's ReceiveBatch), a send slab and table, and a Float64Array of counters. `open` pins them
 * with references and keeps raw pointers; nothing is allocated per datagram.
 *
 * Receive: the descriptor is watched by a uv_poll_t on Node's own loop. Each readiness makes one
 * recvmmsg() of at most maxBatch datagrams into the slab, fills the rows and calls JavaScript once.
 * When the slab is full the rest stays in the kernel queue until the next loop turn (the watch is
 * level-triggered): no loop here, so a flood cannot starve the event loop.
 *
 * Send: `send(handle, count)` turns the queued rows into one sendmmsg() (more only if the kernel
 * takes part of a batch). Runs of equal-size datagrams to one destination that sit back to back in
 * the slab become one UDP GSO message (UDP_SEGMENT) when the kernel supports it; EINVAL or EIO on
 * such a message turns GSO off for the socket and the rest is sent without it.
 *
 * The metadata and counter layouts are @bond/io's (receive-batch.ts, counters.ts).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, Linux 4.18 */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

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

/* 1024: UIO_MAXIOV, the most messages one recvmmsg/sendmmsg takes. */
#define MAX_BATCH 1024
/* 64: UDP_MAX_SEGMENTS before Linux 6.9 (later kernels allow 128). */
#define GSO_MAX_SEGMENTS 64
/* 65000: stays below the 65507-byte IPv4 UDP payload limit that bounds one GSO message. */
#define GSO_MAX_BYTES 65000

typedef struct bond_socket {
  int fd;
  int family; /* AF_INET or AF_INET6 */
  int gso;    /* UDP_SEGMENT usable */
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
  struct mmsghdr *receive_messages;
  struct iovec *receive_iov;
  struct sockaddr_storage *receive_names;
  struct mmsghdr *send_messages;
  struct iovec *send_iov;
  struct sockaddr_storage *send_names;
  char *send_control; /* CMSG_SPACE(sizeof(uint16_t)) per message */
  uint32_t *send_first_row;
  uint32_t *send_datagrams;
} bond_socket;

#define CONTROL_SPACE CMSG_SPACE(sizeof(uint16_t))

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

/* Fills a sockaddr for `family` (AF_INET/AF_INET6) from @bond/io's numeric form. */
static socklen_t fill_sockaddr(struct sockaddr_storage *out, int socket_family, uint32_t family,
                               uint32_t port, const uint32_t *words) {
  memset(out, 0, sizeof *out);
  if (socket_family == AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    sin->sin_addr.s_addr = htonl(words[0]);
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
  return 0;
}

/* ---- lifetime ---- */

static void free_socket(bond_socket *s) {
  free(s->receive_messages);
  free(s->receive_iov);
  free(s->receive_names);
  free(s->send_messages);
  free(s->send_iov);
  free(s->send_names);
  free(s->send_control);
  free(s->send_first_row);
  free(s->send_datagrams);
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

static void receive_batch(bond_socket *s) {
  const uint32_t n = s->max_batch;
  for (uint32_t i = 0; i < n; i++) {
    s->receive_messages[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    s->receive_messages[i].msg_hdr.msg_flags = 0;
  }
  int got = recvmmsg(s->fd, s->receive_messages, n, MSG_DONTWAIT, NULL);
  s->c[C_RECEIVE_CALLS] += 1;
  if (got < 0) {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return;
    s->c[C_RECEIVE_ERRORS] += 1;
    call_js(s, -err);
    return;
  }
  uint32_t out = 0;
  double bytes = 0;
  for (int i = 0; i < got; i++) {
    struct msghdr *header = &s->receive_messages[i].msg_hdr;
    if (header->msg_flags & MSG_TRUNC) {
      s->c[C_TRUNCATED] += 1;
      continue;
    }
    uint32_t length = s->receive_messages[i].msg_len;
    uint32_t *row = s->receive_meta + (size_t)out * META_STRIDE;
    row[META_OFFSET] = (uint32_t)i * s->slot_size;
    row[META_LENGTH] = length;
    write_source(row, &s->receive_names[i]);
    bytes += length;
    out++;
  }
  if (out == 0) return;
  s->c[C_DATAGRAMS_RECEIVED] += out;
  s->c[C_BYTES_RECEIVED] += bytes;
  s->c[C_RECEIVE_BATCHES] += 1;
  call_js(s, (int32_t)out);
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

  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
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

  /* GSO probe: the option exists on this kernel (Linux >= 4.18). */
  int segment = 0;
  socklen_t segment_length = sizeof segment;
  s->gso = getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &segment_length) == 0;

  size_t n = s->max_batch;
  size_t m = s->send_rows;
  s->receive_messages = calloc(n, sizeof *s->receive_messages);
  s->receive_iov = calloc(n, sizeof *s->receive_iov);
  s->receive_names = calloc(n, sizeof *s->receive_names);
  s->send_messages = calloc(m, sizeof *s->send_messages);
  s->send_iov = calloc(m, sizeof *s->send_iov);
  s->send_names = calloc(m, sizeof *s->send_names);
  s->send_control = calloc(m, CONTROL_SPACE);
  s->send_first_row = calloc(m, sizeof *s->send_first_row);
  s->send_datagrams = calloc(m, sizeof *s->send_datagrams);
  s->poll = malloc(sizeof *s->poll);
  if (!s->receive_messages || !s->receive_iov || !s->receive_names || !s->send_messages ||
      !s->send_iov || !s->send_names || !s->send_control || !s->send_first_row ||
      !s->send_datagrams || !s->poll) {
    free(s->poll);
    s->poll = NULL;
    close(fd);
    free_socket(s);
    return throw_errno(env, ENOMEM, "open");
  }
  for (size_t i = 0; i < n; i++) {
    s->receive_iov[i].iov_base = s->receive_slab + i * s->slot_size;
    s->receive_iov[i].iov_len = s->slot_size;
    struct msghdr *header = &s->receive_messages[i].msg_hdr;
    header->msg_name = &s->receive_names[i];
    header->msg_iov = &s->receive_iov[i];
    header->msg_iovlen = 1;
  }

  napi_value resource_name;
  napi_create_string_utf8(env, "bond:io-linux", NAPI_AUTO_LENGTH, &resource_name);
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

/* Builds messages from send rows [first, count); returns the number of messages. */
static uint32_t build_messages(bond_socket *s, uint32_t first, uint32_t count) {
  uint32_t m = 0;
  uint32_t i = first;
  while (i < count) {
    const uint32_t *row = s->send_meta + (size_t)i * META_STRIDE;
    uint32_t offset = row[META_OFFSET], length = row[META_LENGTH];
    uint32_t family = row[META_FAMILY], port = row[META_PORT];
    uint32_t run = 1;
    if (s->gso && length > 0) {
      /* Extend over following rows: same size, same destination, back to back in the slab. */
      while (i + run < count && run < GSO_MAX_SEGMENTS && (run + 1) * length <= GSO_MAX_BYTES) {
        const uint32_t *next = row + (size_t)run * META_STRIDE;
        if (next[META_LENGTH] != length || next[META_OFFSET] != offset + run * length ||
            next[META_FAMILY] != family || next[META_PORT] != port ||
            memcmp(next + META_ADDRESS, row + META_ADDRESS, 16) != 0)
          break;
        run++;
      }
    }
    if ((size_t)offset + (size_t)length * run > s->send_slab_length) break; /* corrupt row */
    struct msghdr *header = &s->send_messages[m].msg_hdr;
    memset(header, 0, sizeof *header);
    s->send_iov[m].iov_base = s->send_slab + offset;
    s->send_iov[m].iov_len = (size_t)length * run;
    header->msg_iov = &s->send_iov[m];
    header->msg_iovlen = 1;
    if (family != 0) {
      header->msg_name = &s->send_names[m];
      header->msg_namelen = fill_sockaddr(&s->send_names[m], s->family, family, port, row + META_ADDRESS);
    }
    if (run > 1) {
      char *control = s->send_control + (size_t)m * CONTROL_SPACE;
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
    s->send_first_row[m] = i;
    s->send_datagrams[m] = run;
    m++;
    i += run;
  }
  return m;
}

static double message_bytes(bond_socket *s, uint32_t k) { return (double)s->send_iov[k].iov_len; }

/* Sends rows [first, count); returns datagrams the kernel took. */
static uint32_t send_rows(bond_socket *s, uint32_t first, uint32_t count) {
  uint32_t m = build_messages(s, first, count);
  uint32_t position = 0, sent = 0;
  int interrupts = 0;
  while (position < m) {
    int got = sendmmsg(s->fd, s->send_messages + position, m - position, MSG_DONTWAIT);
    s->c[C_SEND_CALLS] += 1;
    if (got > 0) {
      for (uint32_t k = position; k < position + (uint32_t)got; k++) {
        sent += s->send_datagrams[k];
        s->c[C_BYTES_SENT] += message_bytes(s, k);
        if (s->send_datagrams[k] > 1) s->c[C_GSO_DATAGRAMS] += s->send_datagrams[k];
      }
      position += (uint32_t)got;
      continue;
    }
    int err = errno;
    if (err == EINTR && interrupts++ < 8) continue;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
      /* The kernel send queue is full: drop the rest, as a full network queue would. */
      for (uint32_t k = position; k < m; k++) s->c[C_SEND_DROPPED] += s->send_datagrams[k];
      break;
    }
    if ((err == EINVAL || err == EIO) && s->send_datagrams[position] > 1) {
      /* This path (device or kernel) cannot segment: stop using GSO and resend plainly. */
      s->gso = 0;
      sent += send_rows(s, s->send_first_row[position], count);
      break;
    }
    s->c[C_SEND_ERRORS] += s->send_datagrams[position];
    s->c[C_LAST_SEND_ERRNO] = err;
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
  if (s->closed) return throw_errno(env, EBADF, "sendmmsg");
  if (count > s->send_rows) count = s->send_rows;
  uint32_t sent = 0;
  if (count > 0) {
    sent = send_rows(s, 0, count);
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

/* Whether UDP GSO is in use on this socket (for tests and the benchmark). */
static napi_value js_gso(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bond_socket *s = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  napi_value result;
  napi_get_boolean(env, s->gso != 0, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localAddress", NULL, js_local_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"bufferSizes", NULL, js_buffer_sizes, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setWatching", NULL, js_set_watching, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gso", NULL, js_gso, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
