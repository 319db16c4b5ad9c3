/*
 * bond_io_core: the socket lifetime and N-API surface both addons share (see bond_io_core.h).
 *
 * Every N-API, libuv and system call result is checked, except where a comment says why a failure
 * can change nothing. A failure inside a JavaScript call throws
 * (bond_throw_*); a failure on the event loop, where no JavaScript frame can catch, reaches
 * onReceive as -errno and is counted in receiveErrors.
 */
#define _GNU_SOURCE
#include "bond_io_core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 13: onReceive, the last of open()'s 14 arguments. */
#define OPEN_ARGUMENTS 14
/* open()'s argument index of each reference in refs[], in refs[] order. */
static const int REF_ARGUMENTS[BOND_REF_COUNT] = {13, 6, 7, 10, 11, 12};

/* ---- errors ---- */

napi_value bond_throw_errno(napi_env env, int err, const char *syscall) {
  char text[160];
  snprintf(text, sizeof text, "%s: %s", syscall, strerror(err));
  napi_value message, error, errno_value, syscall_value;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, NULL, message, &error) != napi_ok ||
      napi_create_int32(env, err, &errno_value) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      napi_set_named_property(env, error, "syscall", syscall_value) != napi_ok ||
      napi_throw(env, error) != napi_ok) {
    /* The error object could not be built: throw its message alone rather than nothing. */
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || !pending)
      napi_throw_error(env, NULL, text);
  }
  return NULL;
}

napi_value bond_throw_argument(napi_env env, const char *message) {
  napi_throw_type_error(env, "BOND_ERR_IO_ARGUMENT", message);
  return NULL;
}

napi_value bond_throw_napi(napi_env env, napi_status status, const char *call) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL;
  const napi_extended_error_info *info = NULL;
  const char *reason = NULL;
  if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL)
    reason = info->error_message;
  char text[200];
  snprintf(text, sizeof text, "%s failed: %s (napi_status %d)", call,
           reason != NULL ? reason : "no reason given", (int)status);
  napi_value message, error, syscall_value;
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, NULL, message, &error) != napi_ok ||
      napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &syscall_value) != napi_ok ||
      napi_set_named_property(env, error, "syscall", syscall_value) != napi_ok ||
      napi_throw(env, error) != napi_ok)
    napi_throw_error(env, NULL, text);
  return NULL;
}

napi_value bond_boolean(napi_env env, bool value) {
  napi_value result;
  napi_status status = napi_get_boolean(env, value, &result);
  if (status != napi_ok) return bond_throw_napi(env, status, "napi_get_boolean");
  return result;
}

/* ---- addresses ---- */

/* Sets the BSD sockaddr length byte, which Apple's kernel reads and Linux does not have. */
static void set_length(struct sockaddr_storage *out, socklen_t length) {
#ifdef __APPLE__
  out->ss_len = (uint8_t)length;
#else
  (void)out;
  (void)length;
#endif
}

socklen_t bond_fill_sockaddr(struct sockaddr_storage *out, int socket_family, uint32_t family,
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

/* Parses an address literal for the socket's family; returns -1 when it is not one. */
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
  bond_platform_detach(s);
  free(s);
}

/* ---- the environment's scratch ---- */

static void free_env_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  bond_env_scratch *scratch = data;
  free(scratch->core.data);
  free(scratch->platform.data);
  free(scratch);
}

/* This environment's scratch areas, created on first use; NULL when out of memory. */
static bond_env_scratch *env_scratch(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) == napi_ok && data != NULL) return data;
  bond_env_scratch *scratch = calloc(1, sizeof *scratch);
  if (scratch == NULL) return NULL;
  if (napi_set_instance_data(env, scratch, free_env_scratch, NULL) != napi_ok) {
    free(scratch);
    return NULL;
  }
  return scratch;
}

int bond_scratch_reserve(bond_scratch *slot, uint32_t entries, size_t entry_size) {
  if (slot->entries >= entries) return 0;
  void *data = calloc(entries, entry_size);
  if (data == NULL) return ENOMEM;
  free(slot->data);
  slot->data = data;
  slot->entries = entries;
  return 0;
}

/* The core's scratch entry: one receive slot's iovec and source, one send message's iovec and
   destination, laid out as four arrays of `entries` each (see point_at_scratch). */
#define CORE_ENTRY_SIZE (2 * sizeof(struct iovec) + 2 * sizeof(struct sockaddr_storage))

/* Points s's arrays at the environment's scratch, and the receive iovecs at s's own slab. */
static void point_at_scratch(bond_socket *s, int receiving) {
  size_t n = s->scratch->core.entries;
  char *base = s->scratch->core.data;
  s->receive_names = (struct sockaddr_storage *)base;
  s->send_names = (struct sockaddr_storage *)(base + n * sizeof(struct sockaddr_storage));
  s->receive_iov = (struct iovec *)(base + 2 * n * sizeof(struct sockaddr_storage));
  s->send_iov = s->receive_iov + n;
  if (!receiving) return;
  for (uint32_t i = 0; i < s->max_batch; i++) {
    s->receive_iov[i].iov_base = s->receive_slab + (size_t)i * s->slot_size;
    s->receive_iov[i].iov_len = s->slot_size;
  }
}

static void on_poll_closed(uv_handle_t *handle) { free(handle); }

/* Stops watching and closes the descriptor. Safe inside a receive callback. s->poll must be NULL
   or an initialised handle. */
static void close_descriptor(bond_socket *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->poll != NULL) {
    /* uv_poll_stop cannot fail on an initialised handle; uv_close frees it on the next turn. */
    uv_poll_stop(s->poll);
    uv_close((uv_handle_t *)s->poll, on_poll_closed);
    s->poll = NULL;
  }
  /* A UDP descriptor is released even when close() reports an error; nothing to retry. */
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

/* Drops the JavaScript references; returns the first failure, after trying them all. */
static napi_status delete_references(napi_env env, bond_socket *s) {
  napi_status first = napi_ok;
  for (int k = 0; k < BOND_REF_COUNT; k++) {
    if (s->refs[k] == NULL) continue;
    napi_status status = napi_delete_reference(env, s->refs[k]);
    if (status != napi_ok && first == napi_ok) first = status;
    s->refs[k] = NULL;
  }
  return first;
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
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
    bond_throw_argument(env, "expected a socket handle from open()");
    return NULL;
  }
  return data;
}

bond_socket *bond_handle_arg(napi_env env, napi_callback_info info, const char *usage, size_t want,
                             napi_value *argv) {
  size_t argc = want;
  napi_status status = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (status != napi_ok) {
    bond_throw_napi(env, status, "napi_get_cb_info");
    return NULL;
  }
  if (argc < want) {
    char text[120];
    snprintf(text, sizeof text, "%s: takes %zu arguments, got %zu", usage, want, argc);
    bond_throw_argument(env, text);
    return NULL;
  }
  return unwrap(env, argv[0]);
}

/* ---- receive ---- */

/* Calls onReceive(value) in the socket's async context. Runs on the event loop, where no
   JavaScript frame can catch: an exception thrown by onReceive becomes an uncaught exception.
   `this` is the callback itself, not the global object: onReceive does not use `this`, and
   looking the global up (napi_get_global) cost about 0.7% of a sender's CPU, once per wake-up. */
static void call_js(bond_socket *s, int32_t value) {
  napi_env env = s->env;
  napi_handle_scope scope;
  /* Fails only while the environment is torn down, when there is no one left to call. */
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, argument, result;
  if (s->refs[0] != NULL && napi_get_reference_value(env, s->refs[0], &callback) == napi_ok &&
      callback != NULL && napi_create_int32(env, value, &argument) == napi_ok) {
    s->in_callback++;
    napi_status status =
        napi_make_callback(env, s->async_context, callback, callback, 1, &argument, &result);
    s->in_callback--;
    if (status == napi_pending_exception) {
      napi_value exception;
      /* Hands the exception to process 'uncaughtException'; it has no failure left to report. */
      if (napi_get_and_clear_last_exception(env, &exception) == napi_ok)
        napi_fatal_exception(env, exception);
    }
  }
  /* Fails only for a scope that is not the innermost, which this one is. */
  napi_close_handle_scope(env, scope);
}

void bond_fill_row(bond_socket *s, uint32_t out, uint32_t slot, size_t length) {
  uint32_t *row = s->receive_meta + (size_t)out * META_STRIDE;
  row[META_OFFSET] = slot * s->slot_size;
  row[META_LENGTH] = (uint32_t)length;
  write_source(row, &s->receive_names[slot]);
}

void bond_deliver(bond_socket *s, uint32_t count, double bytes) {
  if (count == 0) return;
  s->c[C_DATAGRAMS_RECEIVED] += count;
  s->c[C_BYTES_RECEIVED] += bytes;
  s->c[C_RECEIVE_BATCHES] += 1;
  call_js(s, (int32_t)count);
}

void bond_report_receive_error(bond_socket *s, int err) {
  if (err == 0 || err == EAGAIN || err == EWOULDBLOCK || err == EINTR || s->closed) return;
  s->c[C_RECEIVE_ERRORS] += 1;
  call_js(s, -err);
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
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
    if (s->watching && !s->closed) {
      int started = uv_poll_start(s->poll, UV_READABLE, on_poll);
      if (started < 0) {
        /* Not watched any more: say so, so that resume() can try again. */
        s->watching = 0;
        bond_report_receive_error(s, -started);
      }
    }
    bond_report_receive_error(s, err);
  } else if (events & UV_READABLE) {
    point_at_scratch(s, 1);
    bond_platform_receive(s);
  }
  s->in_callback--;
  if (s->in_callback > 0) return;
  if (s->context_pending_destroy) {
    s->context_pending_destroy = 0;
    /* The socket is closed and its last callback has returned: nothing is left to report to. */
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

/* A non-blocking, close-on-exec datagram socket, or -1 with errno set. */
static int open_descriptor(int family) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  return socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
  int fd = socket(family, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
#endif
}

/* Sets SO_RCVBUF or SO_SNDBUF. Where the kernel has the FORCE variants (Linux), they are tried first:
   with CAP_NET_ADMIN they take the size asked for above net.core.rmem_max / wmem_max; without it
   they fail with EPERM and the plain option applies, capped by the kernel (the runtime compares
   what was applied with what was asked and says what to raise). */
static int set_buffer_size(int fd, int option, int force_option, int32_t bytes) {
  if (force_option != 0 && setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) == 0)
    return 0;
  return setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

#ifdef SO_RCVBUFFORCE
#define BOND_RCVBUFFORCE SO_RCVBUFFORCE
#define BOND_SNDBUFFORCE SO_SNDBUFFORCE
#else
#define BOND_RCVBUFFORCE 0
#define BOND_SNDBUFFORCE 0
#endif

/* Creates, sizes and binds the descriptor; returns it, or -1 after throwing. */
static int bind_descriptor(napi_env env, int family, const struct sockaddr_storage *local,
                           socklen_t local_length, bool ipv6_only, bool reuse_port,
                           int32_t receive_buffer, int32_t send_buffer) {
  int fd = open_descriptor(family);
  if (fd < 0) {
    bond_throw_errno(env, errno, "socket");
    return -1;
  }
  const char *failed = NULL;
  int on = ipv6_only ? 1 : 0;
  int reuse = 1;
  if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
    failed = "setsockopt";
#ifdef SO_REUSEPORT
  else if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &reuse, sizeof reuse) != 0)
    failed = "setsockopt";
#else
  else if (reuse_port && (errno = ENOPROTOOPT) != 0)
    failed = "setsockopt";
#endif
  else if ((receive_buffer > 0 &&
            set_buffer_size(fd, SO_RCVBUF, BOND_RCVBUFFORCE, receive_buffer) != 0) ||
           (send_buffer > 0 && set_buffer_size(fd, SO_SNDBUF, BOND_SNDBUFFORCE, send_buffer) != 0))
    failed = "setsockopt";
  else if (bind(fd, (const struct sockaddr *)local, local_length) != 0)
    failed = "bind";
  if (failed == NULL) return fd;
  int err = errno;
  close(fd);
  bond_throw_errno(env, err, failed);
  return -1;
}

/* Undoes a partly opened socket: s->poll must be NULL or an initialised handle, and every other
   resource either set or still zero. */
static void discard_socket(napi_env env, bond_socket *s, int async_initialised) {
  /* Called while open() already fails: the first failure is the one reported. */
  close_descriptor(s);
  delete_references(env, s);
  if (async_initialised) napi_async_destroy(env, s->async_context);
  free_socket(s);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = OPEN_ARGUMENTS;
  napi_value argv[OPEN_ARGUMENTS];
  napi_status status = napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (status != napi_ok) return bond_throw_napi(env, status, "napi_get_cb_info");
  if (argc < OPEN_ARGUMENTS) return bond_throw_argument(env, "open() takes 14 arguments");
  /* The 15th, optional: SO_REUSEPORT. */
  bool reuse_port = false;
  napi_value reuse_argument;
  size_t all_arguments = OPEN_ARGUMENTS + 1;
  napi_value all[OPEN_ARGUMENTS + 1];
  if (napi_get_cb_info(env, info, &all_arguments, all, NULL, NULL) == napi_ok &&
      all_arguments > OPEN_ARGUMENTS) {
    reuse_argument = all[OPEN_ARGUMENTS];
    napi_valuetype reuse_type;
    if (napi_typeof(env, reuse_argument, &reuse_type) == napi_ok && reuse_type == napi_boolean &&
        napi_get_value_bool(env, reuse_argument, &reuse_port) != napi_ok)
      return bond_throw_argument(env, "open(): reusePort must be a boolean");
  }

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
    return bond_throw_argument(env, "open(): bad argument types");
  if (max_batch < 1 || max_batch > BOND_MAX_BATCH || slot_size < 1 || slot_size > 65535)
    return bond_throw_argument(env, "open(): maxBatch or slotSize out of range");

  void *receive_slab, *receive_meta, *send_slab, *send_meta, *counters;
  size_t receive_slab_length, receive_meta_length, send_slab_length, send_meta_length,
      counters_length;
  if (get_typed(env, argv[6], napi_uint8_array, &receive_slab, &receive_slab_length) ||
      get_typed(env, argv[7], napi_uint32_array, &receive_meta, &receive_meta_length) ||
      get_typed(env, argv[10], napi_uint8_array, &send_slab, &send_slab_length) ||
      get_typed(env, argv[11], napi_uint32_array, &send_meta, &send_meta_length) ||
      get_typed(env, argv[12], napi_float64_array, &counters, &counters_length))
    return bond_throw_argument(env, "open(): slabs, tables or counters have the wrong type");
  if (receive_slab_length < (size_t)max_batch * (size_t)slot_size ||
      receive_meta_length < (size_t)max_batch * META_STRIDE || counters_length < C_COUNT ||
      send_meta_length < META_STRIDE)
    return bond_throw_argument(env, "open(): slab, table or counters too small");
  napi_valuetype callback_type;
  if (napi_typeof(env, argv[13], &callback_type) != napi_ok || callback_type != napi_function)
    return bond_throw_argument(env, "open(): onReceive must be a function");

  int family = family_number == 6 ? AF_INET6 : AF_INET;
  struct sockaddr_storage local;
  socklen_t local_length;
  if (parse_sockaddr(&local, &local_length, family, address, (uint32_t)port) != 0)
    return bond_throw_errno(env, EINVAL, "bind");
  int fd = bind_descriptor(env, family, &local, local_length, ipv6_only, reuse_port,
                           receive_buffer, send_buffer);
  if (fd < 0) return NULL;

  bond_socket *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return bond_throw_errno(env, ENOMEM, "open");
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
  if (s->send_rows > BOND_MAX_BATCH) s->send_rows = BOND_MAX_BATCH;
  s->c = counters;

  uint32_t entries = s->max_batch > s->send_rows ? s->max_batch : s->send_rows;
  s->scratch = env_scratch(env);
  if (s->scratch == NULL ||
      bond_scratch_reserve(&s->scratch->core, entries, CORE_ENTRY_SIZE) != 0) {
    discard_socket(env, s, 0);
    return bond_throw_errno(env, ENOMEM, "open");
  }
  point_at_scratch(s, 0);
  int err = bond_platform_attach(s);
  if (err != 0) {
    discard_socket(env, s, 0);
    return bond_throw_errno(env, err, "open");
  }

  napi_value resource_name;
  status = napi_create_string_utf8(env, bond_platform_resource_name, NAPI_AUTO_LENGTH,
                                   &resource_name);
  if (status == napi_ok) status = napi_async_init(env, NULL, resource_name, &s->async_context);
  if (status != napi_ok) {
    bond_throw_napi(env, status, "napi_async_init");
    discard_socket(env, s, 0);
    return NULL;
  }
  for (int k = 0; k < BOND_REF_COUNT; k++) {
    status = napi_create_reference(env, argv[REF_ARGUMENTS[k]], 1, &s->refs[k]);
    if (status != napi_ok) {
      s->refs[k] = NULL;
      bond_throw_napi(env, status, "napi_create_reference");
      discard_socket(env, s, 1);
      return NULL;
    }
  }

  uv_loop_t *loop = NULL;
  status = napi_get_uv_event_loop(env, &loop);
  if (status != napi_ok) {
    bond_throw_napi(env, status, "napi_get_uv_event_loop");
    discard_socket(env, s, 1);
    return NULL;
  }
  uv_poll_t *poll = malloc(sizeof *poll);
  if (poll == NULL) {
    discard_socket(env, s, 1);
    return bond_throw_errno(env, ENOMEM, "open");
  }
  int uv_result = uv_poll_init_socket(loop, poll, fd);
  if (uv_result < 0) {
    free(poll); /* never initialised: not for uv_close */
    discard_socket(env, s, 1);
    return bond_throw_errno(env, -uv_result, "uv_poll_init_socket");
  }
  poll->data = s;
  s->poll = poll;
  uv_result = uv_poll_start(s->poll, UV_READABLE, on_poll);
  if (uv_result < 0) {
    discard_socket(env, s, 1);
    return bond_throw_errno(env, -uv_result, "uv_poll_start");
  }
  s->watching = 1;

  napi_value external;
  status = napi_create_external(env, s, finalize_socket, NULL, &external);
  if (status != napi_ok) {
    bond_throw_napi(env, status, "napi_create_external");
    discard_socket(env, s, 1);
    return NULL;
  }
  return external;
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  bond_socket *s = bond_handle_arg(env, info, "connect(handle, address, port)", 3, argv);
  if (s == NULL) return NULL;
  char address[INET6_ADDRSTRLEN + 1];
  size_t address_length;
  int32_t port;
  if (napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_length) !=
          napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok)
    return bond_throw_argument(env, "connect(handle, address, port)");
  if (s->closed) return bond_throw_errno(env, EBADF, "connect");
  struct sockaddr_storage remote;
  socklen_t length;
  if (parse_sockaddr(&remote, &length, s->family, address, (uint32_t)port) != 0)
    return bond_throw_errno(env, EINVAL, "connect");
  if (connect(s->fd, (struct sockaddr *)&remote, length) != 0)
    return bond_throw_errno(env, errno, "connect");
  s->connected = 1;
  return NULL;
}

static napi_value js_local_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bond_socket *s = bond_handle_arg(env, info, "localAddress(handle)", 1, argv);
  if (s == NULL) return NULL;
  if (s->closed) return bond_throw_errno(env, EBADF, "getsockname");
  struct sockaddr_storage name;
  socklen_t length = sizeof name;
  if (getsockname(s->fd, (struct sockaddr *)&name, &length) != 0)
    return bond_throw_errno(env, errno, "getsockname");
  char text[INET6_ADDRSTRLEN + 1];
  const char *written;
  int port;
  if (name.ss_family == AF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&name;
    written = inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    port = ntohs(sin6->sin6_port);
  } else {
    struct sockaddr_in *sin = (struct sockaddr_in *)&name;
    written = inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    port = ntohs(sin->sin_port);
  }
  if (written == NULL) return bond_throw_errno(env, errno, "inet_ntop");
  napi_value result, address_value, port_value;
  napi_status status = napi_create_array_with_length(env, 2, &result);
  if (status == napi_ok)
    status = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address_value);
  if (status == napi_ok) status = napi_create_int32(env, port, &port_value);
  if (status == napi_ok) status = napi_set_element(env, result, 0, address_value);
  if (status == napi_ok) status = napi_set_element(env, result, 1, port_value);
  if (status != napi_ok) return bond_throw_napi(env, status, "localAddress");
  return result;
}

static napi_value js_buffer_sizes(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bond_socket *s = bond_handle_arg(env, info, "bufferSizes(handle)", 1, argv);
  if (s == NULL) return NULL;
  if (s->closed) return bond_throw_errno(env, EBADF, "getsockopt");
  int sizes[2] = {0, 0};
  socklen_t length = sizeof sizes[0];
  if (getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sizes[0], &length) != 0)
    return bond_throw_errno(env, errno, "getsockopt");
  length = sizeof sizes[1];
  if (getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sizes[1], &length) != 0)
    return bond_throw_errno(env, errno, "getsockopt");
  napi_value result, value;
  napi_status status = napi_create_array_with_length(env, 2, &result);
  for (uint32_t k = 0; k < 2 && status == napi_ok; k++) {
    status = napi_create_int32(env, sizes[k], &value);
    if (status == napi_ok) status = napi_set_element(env, result, k, value);
  }
  if (status != napi_ok) return bond_throw_napi(env, status, "bufferSizes");
  return result;
}

static napi_value js_set_watching(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  bond_socket *s = bond_handle_arg(env, info, "setWatching(handle, on)", 2, argv);
  if (s == NULL) return NULL;
  bool on = false;
  if (napi_get_value_bool(env, argv[1], &on) != napi_ok)
    return bond_throw_argument(env, "setWatching(handle, on): on must be a boolean");
  if (s->closed || s->poll == NULL) return NULL;
  if (on && !s->watching) {
    int uv_result = uv_poll_start(s->poll, UV_READABLE, on_poll);
    if (uv_result < 0) return bond_throw_errno(env, -uv_result, "uv_poll_start");
  }
  if (!on && s->watching) {
    int uv_result = uv_poll_stop(s->poll);
    if (uv_result < 0) return bond_throw_errno(env, -uv_result, "uv_poll_stop");
  }
  s->watching = on;
  return NULL;
}

/* Throws unless every send row in [0, count) can be sent as written: its bytes inside the send
   slab, family 0 (the connected peer), 4, or 6 on an IPv6 socket, and a port of 1..65535 when the
   family names a destination. Returns 0 when all can. */
static int check_send_rows(napi_env env, bond_socket *s, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    const uint32_t *row = s->send_meta + (size_t)i * META_STRIDE;
    uint32_t offset = row[META_OFFSET], length = row[META_LENGTH];
    uint32_t family = row[META_FAMILY], port = row[META_PORT];
    const char *wrong = NULL;
    if ((size_t)offset + (size_t)length > s->send_slab_length)
      wrong = "its bytes end past the send slab";
    else if (family != 0 && family != 4 && family != 6)
      wrong = "its family is not 0, 4 or 6";
    else if (family == 6 && s->family != AF_INET6)
      wrong = "it names an IPv6 destination on an IPv4 socket";
    else if (family != 0 && (port < 1 || port > 65535))
      wrong = "its port is not 1..65535";
    if (wrong == NULL) continue;
    char text[240];
    snprintf(text, sizeof text,
             "send(): send row %u (offset %u, length %u, family %u, port %u) is corrupt: %s; "
             "nothing of this batch was sent",
             i, offset, length, family, port, wrong);
    napi_throw_range_error(env, "BOND_ERR_IO_ARGUMENT", text);
    return -1;
  }
  return 0;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  bond_socket *s = bond_handle_arg(env, info, "send(handle, count)", 2, argv);
  if (s == NULL) return NULL;
  uint32_t count = 0;
  if (napi_get_value_uint32(env, argv[1], &count) != napi_ok)
    return bond_throw_argument(env, "send(handle, count): count must be a number");
  if (s->closed) return bond_throw_errno(env, EBADF, bond_platform_send_call);
  if (count > s->send_rows) {
    char text[120];
    snprintf(text, sizeof text, "send(): count %u is more than the %u rows of the send table",
             count, s->send_rows);
    return bond_throw_argument(env, text);
  }
  if (check_send_rows(env, s, count) != 0) return NULL;
  uint32_t sent = 0;
  if (count > 0) {
    point_at_scratch(s, 0);
    sent = bond_platform_send(s, count);
    s->c[C_DATAGRAMS_SENT] += sent;
    s->c[C_SEND_BATCHES] += 1;
  }
  napi_value result;
  napi_status status = napi_create_uint32(env, sent, &result);
  if (status != napi_ok) return bond_throw_napi(env, status, "napi_create_uint32");
  return result;
}

int bond_send_failed(bond_socket *s, int err, uint32_t failed, uint32_t remaining) {
  if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
    /* The kernel send queue is full: drop the rest, as a full network queue would. */
    s->c[C_SEND_DROPPED] += remaining;
    return 1;
  }
  s->c[C_SEND_ERRORS] += failed;
  s->c[C_LAST_SEND_ERRNO] = err;
  return 0;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bond_socket *s = bond_handle_arg(env, info, "close(handle)", 1, argv);
  if (s == NULL || s->closed) return NULL;
  close_descriptor(s);
  napi_status status = delete_references(env, s);
  /* Inside a receive callback the context is still in use: destroy it when the callback unwinds. */
  if (s->in_callback) {
    s->context_pending_destroy = 1;
  } else {
    napi_status destroyed = napi_async_destroy(env, s->async_context);
    if (status == napi_ok) status = destroyed;
  }
  if (status != napi_ok) return bond_throw_napi(env, status, "close");
  return NULL;
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
  };
  napi_status status =
      napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  if (status == napi_ok) status = bond_platform_init(env, exports);
  if (status != napi_ok) return bond_throw_napi(env, status, "module init");
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
