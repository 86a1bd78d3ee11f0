/* Address conversions for xenos apps; see sys/socket.h. */
#ifndef _XENOS_ARPA_INET_H
#define _XENOS_ARPA_INET_H
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

int inet_pton(int family, const char* text, void* address);
const char* inet_ntop(int family, const void* address, char* text, socklen_t size);
in_addr_t inet_addr(const char* text);
int inet_aton(const char* text, struct in_addr* address);
char* inet_ntoa(struct in_addr address);

#ifdef __cplusplus
}
#endif
#endif
