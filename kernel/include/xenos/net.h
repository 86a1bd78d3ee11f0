/* Plan 9's dial(2) for xenos apps: the network as the I/O host's /net files, without sockets.
 * Addresses are "tcp!HOST!PORT" (HOST a name, translated by /net/cs, or a number; "*" for
 * announce). Each call returns a descriptor or -1 with errno set; `dir` (NET_DIRLEN bytes, may
 * be NULL) receives the conversation's directory, e.g. "/net/tcp/4".
 *
 *   int fd = xenos_dial("tcp!localhost!80", NULL);           // a connected data descriptor
 *   int ctl = xenos_announce("tcp!*!8080", adir);             // then, for each call:
 *   int lcfd = xenos_listen(adir, ldir);                      //   waits for a call
 *   int dfd = xenos_accept(lcfd, ldir);                       //   its data descriptor
 */
#ifndef XENOS_NET_H
#define XENOS_NET_H

#ifdef __cplusplus
extern "C" {
#endif

#define NET_DIRLEN 40

int xenos_dial(const char* address, char* dir);
int xenos_announce(const char* address, char* dir);
int xenos_listen(const char* announce_dir, char* dir); /* returns the call's ctl descriptor */
int xenos_accept(int ctl, const char* dir);            /* returns the call's data descriptor */

#ifdef __cplusplus
}
#endif
#endif
