/* fetch: downloads an http:// URL into a file under the working directory (/fs), written
 * against plain BSD sockets and getaddrinfo (in a xenos guest: the I/O host's /net and cs).
 *
 *   fetch URL [FILE]     (FILE: default the URL's last path element, or index.html) */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int send_all(int fd, const char* b, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, b, n, 0);
    if (w <= 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || strncmp(argv[1], "http://", 7) != 0) {
    fprintf(stderr, "usage: fetch http://HOST[:PORT]/PATH [FILE]\n");
    return 2;
  }
  char host[256], port[8] = "80";
  const char *rest = argv[1] + 7, *slash = strchr(rest, '/');
  const char* path = slash ? slash : "/";
  size_t hostlen = slash ? (size_t)(slash - rest) : strlen(rest);
  if (hostlen == 0 || hostlen >= sizeof host) {
    fprintf(stderr, "fetch: bad host in %s\n", argv[1]);
    return 2;
  }
  memcpy(host, rest, hostlen);
  host[hostlen] = 0;
  char* colon = strrchr(host, ':');
  if (colon) {
    snprintf(port, sizeof port, "%s", colon + 1);
    *colon = 0;
  }
  const char* out = argc == 3 ? argv[2] : strrchr(path, '/') + 1;
  if (!*out) out = "index.html";

  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  int e = getaddrinfo(host, port, &hints, &res);
  if (e != 0) {
    fprintf(stderr, "fetch: %s: %s\n", host, gai_strerror(e));
    return 1;
  }
  struct timespec started;
  clock_gettime(CLOCK_MONOTONIC, &started);
  int fd = -1;
  for (struct addrinfo* r = res; r && fd < 0; r = r->ai_next) {
    fd = socket(r->ai_family, r->ai_socktype, r->ai_protocol);
    if (fd >= 0 && connect(fd, r->ai_addr, r->ai_addrlen) < 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    fprintf(stderr, "fetch: cannot connect to %s:%s: %s\n", host, port, strerror(errno));
    return 1;
  }
  char request[2048];
  int n = snprintf(request, sizeof request,
                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: xenos-fetch\r\nConnection: close\r\n\r\n",
                   path, host);
  if (n >= (int)sizeof request || send_all(fd, request, (size_t)n) < 0) {
    fprintf(stderr, "fetch: cannot send the request\n");
    return 1;
  }
  /* The head, then the body: Content-Length if given, else until the server closes. */
  static char buf[64 * 1024];
  size_t used = 0;
  char* end = NULL;
  while (!end) {
    if (used == sizeof buf - 1) {
      fprintf(stderr, "fetch: response head too large\n");
      return 1;
    }
    ssize_t got = recv(fd, buf + used, sizeof buf - 1 - used, 0);
    if (got <= 0) {
      fprintf(stderr, "fetch: the connection ended before the response head\n");
      return 1;
    }
    used += (size_t)got;
    buf[used] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  int status = 0;
  if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1) {
    fprintf(stderr, "fetch: not an HTTP response\n");
    return 1;
  }
  long long length = -1;
  for (char* line = strstr(buf, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
    if (!strncasecmp(line + 2, "Content-Length:", 15)) length = atoll(line + 17);
    if (!strncasecmp(line + 2, "Transfer-Encoding:", 18) && strstr(line, "chunked")) {
      fprintf(stderr, "fetch: chunked responses are not supported\n");
      return 1;
    }
  }
  if (status != 200) {
    fprintf(stderr, "fetch: %s: HTTP status %d\n", argv[1], status);
    return 1;
  }
  int file = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (file < 0) {
    fprintf(stderr, "fetch: %s: %s\n", out, strerror(errno));
    return 1;
  }
  size_t body = used - (size_t)(end + 4 - buf);
  long long total = 0;
  if (body > 0 && write(file, end + 4, body) != (ssize_t)body) return 1;
  total += (long long)body;
  while (length < 0 || total < length) {
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    if (got < 0) {
      fprintf(stderr, "fetch: %s\n", strerror(errno));
      return 1;
    }
    if (got == 0) break;
    if (write(file, buf, (size_t)got) != got) {
      fprintf(stderr, "fetch: %s: %s\n", out, strerror(errno));
      return 1;
    }
    total += got;
  }
  close(file);
  close(fd);
  if (length >= 0 && total != length) {
    fprintf(stderr, "fetch: got %lld of %lld bytes\n", total, length);
    return 1;
  }
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double seconds = (double)(now.tv_sec - started.tv_sec) + (double)(now.tv_nsec - started.tv_nsec) / 1e9;
  printf("fetch: %s -> %s: %lld bytes in %.3f s (%.1f MiB/s)\n", argv[1], out, total, seconds,
         seconds > 0 ? (double)total / 1048576.0 / seconds : 0.0);
  return 0;
}
