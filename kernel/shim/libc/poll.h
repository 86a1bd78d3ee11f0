/* poll() for xenos apps: sockets (kernel/posix/sockets.cpp) and files. A socket is readable
 * once a read ahead of the app's (parked in the I/O host until data or a call comes) returned;
 * files are always ready. */
#ifndef _XENOS_POLL_H
#define _XENOS_POLL_H

#ifdef __cplusplus
extern "C" {
#endif

struct pollfd {
  int fd;
  short events;
  short revents;
};
typedef unsigned long nfds_t;

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

int poll(struct pollfd* fds, nfds_t count, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
