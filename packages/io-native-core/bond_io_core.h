/*
 * bond_io_core: what @bond/io's two N-API addons (@bond/io-linux, @bond/io-apple) share.
 *
 * JavaScript owns every buffer an addon touches: the receive slab and metadata table (the caller's
 * ReceiveBatch), a send slab and table, and a Float64Array of counters. `open` pins them with
 * references and keeps raw pointers; nothing is allocated per datagram. The descriptor is watched
 * by a uv_poll_t on Node's own loop; each readiness makes one receive pass of at most maxBatch
 * datagrams and calls JavaScript once. The watch is level-triggered, so what does not fit stays in
 * the kernel queue until the next loop turn: no loop here, so a flood cannot starve the event loop.
 *
 * The core holds the socket's lifetime, its N-API surface (open, connect, localAddress,
 * bufferSizes, setWatching, send, close), address conversion and the send-table check. Each addon
 * links one platform file that defines the bond_platform_* functions and the two names below: its
 * receive pass and its send loop, and whatever exports are its own.
 *
 * The metadata and counter layouts are @bond/io's (receive-batch.ts, counters.ts).
 *
 * The message headers, iovecs and addresses a receive pass or a send call builds live only during
 * that call, so they are not kept per socket: every socket of a Node environment (the main thread
 * or a worker) shares one scratch area (bond_env_scratch, the addon's instance data), sized for
 * the largest batch opened there and freed with the environment. A receiver with a thousand
 * upstream sockets keeps one set, not a thousand.
 */
#ifndef BOND_IO_CORE_H
#define BOND_IO_CORE_H

#include <netinet/in.h>
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <uv.h>

/* Metadata row, as in @bond/io receive-batch.ts. Send rows use the same layout; family 0 means
   "the connected peer". */
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

/* 1024: @bond/io's MAX_BATCH_LIMIT, and UIO_MAXIOV, the most messages one recvmmsg/sendmmsg takes. */
#define BOND_MAX_BATCH 1024

/* The references open() holds: callback, receive slab, receive meta, send slab, send meta,
   counters. */
#define BOND_REF_COUNT 6

/* Per-socket state of the platform file, defined there. */
typedef struct bond_platform_socket bond_platform_socket;

/* A scratch area: `entries` entries of its owner's layout (zeroed when allocated). */
typedef struct bond_scratch {
  void *data;
  uint32_t entries;
} bond_scratch;

/* The scratch areas of one Node environment (the addon's instance data): the core's and the
   platform file's. Freed when the environment is torn down. */
typedef struct bond_env_scratch {
  bond_scratch core;
  bond_scratch platform;
} bond_env_scratch;

typedef struct bond_socket {
  int fd;
  int family; /* AF_INET or AF_INET6 */
  int connected;
  int watching;
  int closed;
  int in_callback;
  int finalized;
  int context_pending_destroy;
  uv_poll_t *poll; /* NULL once closed */
  napi_env env;
  napi_async_context async_context;
  napi_ref refs[BOND_REF_COUNT];
  uint8_t *receive_slab;
  uint32_t *receive_meta;
  uint32_t max_batch;
  uint32_t slot_size;
  uint8_t *send_slab;
  size_t send_slab_length;
  uint32_t *send_meta;
  uint32_t send_rows; /* rows in the send table, at most BOND_MAX_BATCH */
  double *c;
  /* The environment's shared scratch, valid only inside a receive pass or a send call (the core
     points these at it, and the receive iovecs at this socket's slab, before calling the
     platform): max_batch of each: slot i's buffer (the slab at i * slot_size) and its source
     address. */
  struct iovec *receive_iov;
  struct sockaddr_storage *receive_names;
  /* send_rows of each, for the platform's send messages. */
  struct iovec *send_iov;
  struct sockaddr_storage *send_names;
  bond_platform_socket *platform;
  bond_env_scratch *scratch; /* its environment's, shared by every socket opened there */
} bond_socket;

/* ---- defined by each addon's platform file ---- */

/* The async resource name of receive callbacks, for example "bond:io-linux". */
extern const char bond_platform_resource_name[];
/* The send call named in errors, for example "sendmmsg". */
extern const char bond_platform_send_call[];

/* Called once by open() after the core's arrays are set up: allocates s->platform and anything the
   platform needs per socket. Returns 0, or an errno value (open then fails with it). */
int bond_platform_attach(bond_socket *s);
/* Frees what bond_platform_attach allocated; s->platform may be NULL. */
void bond_platform_detach(bond_socket *s);
/* One receive pass on readiness: at most s->max_batch datagrams into the slab, rows written with
   bond_fill_row, then bond_deliver once and bond_report_receive_error for a failed call. */
void bond_platform_receive(bond_socket *s);
/* Sends send rows [0, count), which bond_check_send_rows accepted; counts calls, bytes, drops and
   errors; returns how many datagrams the kernel took. */
uint32_t bond_platform_send(bond_socket *s, uint32_t count);
/* Adds the addon's own exports. Returns napi_ok, or a failure with an exception pending or not. */
napi_status bond_platform_init(napi_env env, napi_value exports);

/* ---- provided by the core ---- */

/* Makes `slot` hold at least `entries` entries of `entry_size` bytes, reallocating a smaller one
   (the contents are not kept: scratch lives within one call). Returns 0, or ENOMEM. */
int bond_scratch_reserve(bond_scratch *slot, uint32_t entries, size_t entry_size);

/* Throw an Error carrying `errno` (number) and `syscall`, @bond/io's NativeBinding error shape;
   return NULL for the caller to return. */
napi_value bond_throw_errno(napi_env env, int err, const char *syscall);
/* Throw a TypeError with code BOND_ERR_IO_ARGUMENT (the caller passed something unusable). */
napi_value bond_throw_argument(napi_env env, const char *message);
/* Throw for a failed N-API call: keeps a pending exception, else an Error naming `call` in its
   message and its `syscall`. */
napi_value bond_throw_napi(napi_env env, napi_status status, const char *call);

/* Returns `value` as a JavaScript boolean, or throws and returns NULL. */
napi_value bond_boolean(napi_env env, bool value);

/* Reads `want` arguments of a call whose first argument is a handle from open(); throws and
   returns NULL when there are fewer or the handle is not one. `usage` names the call in errors. */
bond_socket *bond_handle_arg(napi_env env, napi_callback_info info, const char *usage, size_t want,
                             napi_value *argv);

/* Fills a sockaddr for the socket's family from @bond/io's numeric form (family 4 or 6, port, four
   address words); IPv4 destinations of IPv6 sockets are mapped. Returns its length. */
socklen_t bond_fill_sockaddr(struct sockaddr_storage *out, int socket_family, uint32_t family,
                             uint32_t port, const uint32_t *words);

/* Writes receive row `out` for the datagram of `length` bytes in slot `slot`. */
void bond_fill_row(bond_socket *s, uint32_t out, uint32_t slot, size_t length);
/* Counts `count` received datagrams of `bytes` in all and calls JavaScript once; no call for 0. */
void bond_deliver(bond_socket *s, uint32_t count, double bytes);
/* Reports a failed receive call's errno to JavaScript (as -errno) and counts it, unless it only
   means "nothing more now" (EAGAIN, EWOULDBLOCK, EINTR) or the socket was closed meanwhile. */
void bond_report_receive_error(bond_socket *s, int err);
/* Counts a failed send of `failed` datagrams. A full kernel queue (EAGAIN, EWOULDBLOCK, ENOBUFS)
   drops `remaining` datagrams (the failed ones included) as a full network queue would, and
   returns 1: the caller must stop. Any other errno counts `failed` as send errors, records the
   errno, and returns 0: the caller goes on after the failed datagrams. */
int bond_send_failed(bond_socket *s, int err, uint32_t failed, uint32_t remaining);

#endif
