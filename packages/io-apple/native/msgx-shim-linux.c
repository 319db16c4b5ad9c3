/*
 * A Linux stand-in for Apple's recvmsg_x / sendmsg_x, built on recvmmsg / sendmmsg, so the Apple
 * addon's code runs under @bond/io's contract suite on Linux. It keeps Apple's observable
 * behaviour where the addon depends on it: msg_datalen carries the length, and truncation is not
 * reported (MSG_TRUNC is cleared).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>

#include "msgx.h"

/* 1024: the most messages the addon passes in one call. */
#define SHIM_MAX 1024

static ssize_t shim_recvmsg_x(int fd, const struct bond_msghdr_x *messages, unsigned int count,
                              int flags) {
  struct mmsghdr headers[SHIM_MAX];
  if (count > SHIM_MAX) count = SHIM_MAX;
  struct bond_msghdr_x *x = (struct bond_msghdr_x *)messages;
  for (unsigned int i = 0; i < count; i++) {
    memset(&headers[i], 0, sizeof headers[i]);
    headers[i].msg_hdr.msg_name = x[i].msg_name;
    headers[i].msg_hdr.msg_namelen = x[i].msg_namelen;
    headers[i].msg_hdr.msg_iov = x[i].msg_iov;
    headers[i].msg_hdr.msg_iovlen = (size_t)x[i].msg_iovlen;
    headers[i].msg_hdr.msg_control = x[i].msg_control;
    headers[i].msg_hdr.msg_controllen = x[i].msg_controllen;
  }
  int got = recvmmsg(fd, headers, count, flags, NULL);
  for (int i = 0; i < got; i++) {
    x[i].msg_datalen = headers[i].msg_len;
    x[i].msg_namelen = headers[i].msg_hdr.msg_namelen;
    x[i].msg_flags = headers[i].msg_hdr.msg_flags & ~MSG_TRUNC;
  }
  return got;
}

static ssize_t shim_sendmsg_x(int fd, const struct bond_msghdr_x *messages, unsigned int count,
                              int flags) {
  struct mmsghdr headers[SHIM_MAX];
  if (count > SHIM_MAX) count = SHIM_MAX;
  for (unsigned int i = 0; i < count; i++) {
    memset(&headers[i], 0, sizeof headers[i]);
    headers[i].msg_hdr.msg_name = messages[i].msg_name;
    headers[i].msg_hdr.msg_namelen = messages[i].msg_namelen;
    headers[i].msg_hdr.msg_iov = messages[i].msg_iov;
    headers[i].msg_hdr.msg_iovlen = (size_t)messages[i].msg_iovlen;
  }
  return sendmmsg(fd, headers, count, flags);
}

void bond_resolve_msgx(bond_recvmsg_x_t *recv_fn, bond_sendmsg_x_t *send_fn) {
  *recv_fn = shim_recvmsg_x;
  *send_fn = shim_sendmsg_x;
}
