/* Name translation for xenos apps: getaddrinfo asks the I/O host's /net/cs (Plan 9's cs(8)),
 * which resolves with the host's resolver; numeric addresses are translated in the guest. */
#ifndef _XENOS_NETDB_H
#define _XENOS_NETDB_H
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

struct addrinfo {
  int ai_flags;
  int ai_family;
  int ai_socktype;
  int ai_protocol;
  socklen_t ai_addrlen;
  struct sockaddr* ai_addr;
  char* ai_canonname;
  struct addrinfo* ai_next;
};

#define AI_PASSIVE 0x0001
#define AI_CANONNAME 0x0002
#define AI_NUMERICHOST 0x0004
#define AI_V4MAPPED 0x0008
#define AI_ALL 0x0010
#define AI_ADDRCONFIG 0x0020
#define AI_NUMERICSERV 0x0400

#define EAI_BADFLAGS -1
#define EAI_NONAME -2
#define EAI_AGAIN -3
#define EAI_FAIL -4
#define EAI_FAMILY -6
#define EAI_SOCKTYPE -7
#define EAI_SERVICE -8
#define EAI_MEMORY -10
#define EAI_SYSTEM -11

#define NI_MAXHOST 1025
#define NI_MAXSERV 32
#define NI_NUMERICHOST 1
#define NI_NUMERICSERV 2

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                struct addrinfo** result);
void freeaddrinfo(struct addrinfo* list);
const char* gai_strerror(int code);
int getnameinfo(const struct sockaddr* address, socklen_t length, char* host, socklen_t host_length,
                char* service, socklen_t service_length, int flags);

#ifdef __cplusplus
}
#endif
#endif
