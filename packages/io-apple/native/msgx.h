/*
 * Apple's batch socket calls, which the SDK does not declare: the message header layout of
 * xnu's bsd/sys/socket_private.h, and the resolver that finds recvmsg_x / sendmsg_x at run time.
 */
#ifndef BOND_MSGX_H
#define BOND_MSGX_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* struct msghdr_x: a msghdr plus msg_datalen, the bytes received or to send for this message. */
struct bond_msghdr_x {
  void *msg_name;
  socklen_t msg_namelen;
  struct iovec *msg_iov;
  int msg_iovlen;
  void *msg_control;
  socklen_t msg_controllen;
  int msg_flags;
  size_t msg_datalen;
};

typedef ssize_t (*bond_recvmsg_x_t)(int, const struct bond_msghdr_x *, unsigned int, int);
typedef ssize_t (*bond_sendmsg_x_t)(int, const struct bond_msghdr_x *, unsigned int, int);

/* Sets both to the batch calls when this system has them and can use them safely; else NULL. */
void bond_resolve_msgx(bond_recvmsg_x_t *recv_fn, bond_sendmsg_x_t *send_fn);

#endif
