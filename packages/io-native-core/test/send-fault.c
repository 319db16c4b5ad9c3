/*
 * A test double for send conditions loopback cannot produce, loaded with LD_PRELOAD into a child
 * process (send-burst.mjs): it wraps libc's sendmmsg and sendmsg according to BOND_TEST_SEND.
 *
 *   queue-full:N     the send queue takes N messages in all (over every call of either), then
 *                    every call fails with EAGAIN, as a full socket send buffer does.
 *   no-segmentation  a call whose first message carries UDP_SEGMENT fails with EINVAL, as on a
 *                    path that cannot segment; other calls pass through.
 *
 * Unset or empty, every call passes through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

/* -2: BOND_TEST_SEND not read yet; -1: no queue limit; else messages the queue still takes. */
static long budget = -2;
static int refuse_segmentation = 0;

static void read_mode(void) {
  if (budget != -2) return;
  budget = -1;
  const char *mode = getenv("BOND_TEST_SEND");
  if (mode == NULL) return;
  if (strncmp(mode, "queue-full:", 11) == 0) budget = strtol(mode + 11, NULL, 10);
  if (strcmp(mode, "no-segmentation") == 0) refuse_segmentation = 1;
}

static int carries_segment(const struct msghdr *header) {
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(header); cmsg != NULL;
       cmsg = CMSG_NXTHDR((struct msghdr *)header, cmsg)) {
    if (cmsg->cmsg_level == SOL_UDP && cmsg->cmsg_type == UDP_SEGMENT) return 1;
  }
  return 0;
}

int sendmmsg(int fd, struct mmsghdr *messages, unsigned int count, int flags) {
  static sendmmsg_fn real = NULL;
  if (real == NULL) real = (sendmmsg_fn)dlsym(RTLD_NEXT, "sendmmsg");
  read_mode();
  if (refuse_segmentation && count > 0 && carries_segment(&messages[0].msg_hdr)) {
    errno = EINVAL;
    return -1;
  }
  if (budget == 0) {
    errno = EAGAIN;
    return -1;
  }
  if (budget > 0 && count > (unsigned long)budget) count = (unsigned int)budget;
  int sent = real(fd, messages, count, flags);
  if (budget > 0 && sent > 0) budget -= sent;
  return sent;
}

ssize_t sendmsg(int fd, const struct msghdr *message, int flags) {
  static sendmsg_fn real = NULL;
  if (real == NULL) real = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
  read_mode();
  if ((refuse_segmentation && carries_segment(message)) || budget == 0) {
    errno = refuse_segmentation ? EINVAL : EAGAIN;
    return -1;
  }
  ssize_t sent = real(fd, message, flags);
  if (budget > 0 && sent >= 0) budget -= 1;
  return sent;
}
