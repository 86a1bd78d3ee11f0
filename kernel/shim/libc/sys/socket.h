/* BSD sockets for xenos apps. There is no network stack in the guest: a socket is a
 * conversation of the I/O host's /net (Plan 9's ip(3), served by iohost over 9P), and these
 * calls are kernel/posix/sockets.cpp. The layout is Linux's (sa_family_t is 16 bits). */
#ifndef _XENOS_SYS_SOCKET_H
#define _XENOS_SYS_SOCKET_H
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint32_t socklen_t;
typedef unsigned short sa_family_t;

struct sockaddr {
  sa_family_t sa_family;
  char sa_data[14];
};

struct sockaddr_storage {
  sa_family_t ss_family;
  char __ss_padding[118];
  unsigned long __ss_align;
};

#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_LOCAL AF_UNIX
#define AF_INET 2
#define AF_INET6 10
#define PF_UNSPEC AF_UNSPEC
#define PF_INET AF_INET
#define PF_INET6 AF_INET6

#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_NONBLOCK 04000
#define SOCK_CLOEXEC 02000000

#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21

#define MSG_OOB 0x1
#define MSG_PEEK 0x2
#define MSG_DONTROUTE 0x4
#define MSG_WAITALL 0x100
#define MSG_DONTWAIT 0x40
#define MSG_NOSIGNAL 0x4000

#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2

#define SOMAXCONN 4096

struct linger {
  int l_onoff;
  int l_linger;
};

int socket(int domain, int type, int protocol);
int bind(int fd, const struct sockaddr* address, socklen_t length);
int listen(int fd, int backlog);
int accept(int fd, struct sockaddr* address, socklen_t* length);
int accept4(int fd, struct sockaddr* address, socklen_t* length, int flags);
int connect(int fd, const struct sockaddr* address, socklen_t length);
ssize_t send(int fd, const void* buffer, size_t length, int flags);
ssize_t recv(int fd, void* buffer, size_t length, int flags);
ssize_t sendto(int fd, const void* buffer, size_t length, int flags, const struct sockaddr* to,
               socklen_t to_length);
ssize_t recvfrom(int fd, void* buffer, size_t length, int flags, struct sockaddr* from,
                 socklen_t* from_length);
int shutdown(int fd, int how);
int getsockname(int fd, struct sockaddr* address, socklen_t* length);
int getpeername(int fd, struct sockaddr* address, socklen_t* length);
int setsockopt(int fd, int level, int name, const void* value, socklen_t length);
int getsockopt(int fd, int level, int name, void* value, socklen_t* length);

#ifdef __cplusplus
}
#endif
#endif
