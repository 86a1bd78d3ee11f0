/* TCP options for xenos apps; see sys/socket.h. */
#ifndef _XENOS_NETINET_TCP_H
#define _XENOS_NETINET_TCP_H
#define TCP_NODELAY 1
#endif
