/*
 * recvmsg_x / sendmsg_x on Apple platforms: private libSystem symbols, looked up with dlsym so the
 * addon loads where they are missing, and used only from macOS 15.6 on (earlier versions can wedge
 * a socket under load). Elsewhere the addon uses plain recvmsg / sendmsg.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/sysctl.h>

#include "msgx.h"

const int BOND_MSGX_SHIM_VALUE = 0;

/* Whether kern.osproductversion is at least major.minor. */
static int os_at_least(int major, int minor) {
  char version[32];
  size_t length = sizeof version;
  if (sysctlbyname("kern.osproductversion", version, &length, NULL, 0) != 0) return 0;
  int have_major = 0, have_minor = 0;
  if (sscanf(version, "%d.%d", &have_major, &have_minor) < 1) return 0;
  return have_major > major || (have_major == major && have_minor >= minor);
}

void bond_resolve_msgx(bond_recvmsg_x_t *recv_fn, bond_sendmsg_x_t *send_fn) {
  *recv_fn = NULL;
  *send_fn = NULL;
  /* 15.6: the first release where the batch calls do not wedge (see the package README). */
  if (!os_at_least(15, 6)) return;
  bond_recvmsg_x_t r = (bond_recvmsg_x_t)dlsym(RTLD_DEFAULT, "recvmsg_x");
  bond_sendmsg_x_t s = (bond_sendmsg_x_t)dlsym(RTLD_DEFAULT, "sendmsg_x");
  if (r != NULL && s != NULL) {
    *recv_fn = r;
    *send_fn = s;
  }
}
