/* httpd: a small HTTP/1.1 server for the files under /fs, written against plain BSD sockets
 * (in a xenos guest they are conversations of the I/O host's /net). GET and HEAD, keep-alive,
 * a listing for directories without index.html, one connection at a time.
 *
 *   httpd [-p PORT] [-n CONNECTIONS]     (default port 8080; -n: exit after that many) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROOT "/fs"
#define MAX_HEAD 8192
#define IDLE_MS 5000

static int send_all(int fd, const void* p, size_t n) {
  const char* b = p;
  while (n > 0) {
    ssize_t w = send(fd, b, n, 0);
    if (w <= 0) return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

static const char* content_type(const char* path) {
  const char* dot = strrchr(path, '.');
  if (!dot) return "application/octet-stream";
  if (!strcmp(dot, ".html") || !strcmp(dot, ".htm")) return "text/html; charset=utf-8";
  if (!strcmp(dot, ".txt")) return "text/plain; charset=utf-8";
  if (!strcmp(dot, ".css")) return "text/css";
  if (!strcmp(dot, ".js")) return "text/javascript";
  if (!strcmp(dot, ".png")) return "image/png";
  if (!strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg")) return "image/jpeg";
  return "application/octet-stream";
}

static int respond_head(int fd, int status, const char* reason, const char* type, long long length,
                        int keep) {
  char head[512];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nServer: xenos-httpd\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
                   "Connection: %s\r\n\r\n",
                   status, reason, type, length, keep ? "keep-alive" : "close");
  return send_all(fd, head, (size_t)n);
}

static int respond_text(int fd, int status, const char* reason, const char* body, int keep, int head_only) {
  if (respond_head(fd, status, reason, "text/plain; charset=utf-8", (long long)strlen(body), keep) < 0)
    return -1;
  return head_only ? 0 : send_all(fd, body, strlen(body));
}

/* %XX decoding; refuses a path with a ".." element or a NUL. */
static int decode_path(const char* in, char* out, size_t size) {
  size_t o = 0;
  for (const char* p = in; *p && *p != '?' && *p != '#'; ++p) {
    char c = *p;
    if (c == '%' && p[1] && p[2]) {
      char hex[3] = {p[1], p[2], 0};
      c = (char)strtol(hex, NULL, 16);
      p += 2;
      if (c == 0) return -1;
    }
    if (o + 1 >= size) return -1;
    out[o++] = c;
  }
  out[o] = 0;
  if (out[0] != '/') return -1;
  for (const char* p = out; (p = strstr(p, "..")) != NULL; p += 2)
    if ((p == out || p[-1] == '/') && (p[2] == 0 || p[2] == '/')) return -1;
  return 0;
}

static int send_listing(int fd, const char* url, const char* dir, int keep, int head_only) {
  DIR* d = opendir(dir);
  if (!d)
    return respond_text(fd, 500, "Internal Server Error", "cannot list the directory\n", keep, head_only);
  size_t cap = 4096, len = 0;
  char* body = malloc(cap);
  len += (size_t)snprintf(body, cap,
                          "<!DOCTYPE html>\n<html><head><title>%s</title></head><body>\n<h1>%s</h1>\n<ul>\n",
                          url, url);
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    size_t need = len + 2 * strlen(e->d_name) + strlen(url) + 64;
    if (need > cap) {
      while (need > cap) cap *= 2;
      body = realloc(body, cap);
    }
    len += (size_t)snprintf(body + len, cap - len, "<li><a href=\"%s%s%s\">%s</a></li>\n", url,
                            url[strlen(url) - 1] == '/' ? "" : "/", e->d_name, e->d_name);
  }
  closedir(d);
  if (len + 32 > cap) body = realloc(body, cap = len + 32);
  len += (size_t)snprintf(body + len, cap - len, "</ul>\n</body></html>\n");
  int r = respond_head(fd, 200, "OK", "text/html; charset=utf-8", (long long)len, keep);
  if (r == 0 && !head_only) r = send_all(fd, body, len);
  free(body);
  return r;
}

static int send_file(int fd, const char* path, long long size, int keep, int head_only) {
  int in = open(path, O_RDONLY);
  if (in < 0) return respond_text(fd, 403, "Forbidden", "cannot open the file\n", keep, head_only);
  int r = respond_head(fd, 200, "OK", content_type(path), size, keep);
  static char buf[64 * 1024];
  for (long long left = head_only ? 0 : size; r == 0 && left > 0;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n <= 0) {
      r = -1; /* the file shrank under us: the length promised cannot be kept; drop the connection */
      break;
    }
    r = send_all(fd, buf, (size_t)n);
    left -= n;
  }
  close(in);
  return r;
}

/* One request; returns 1 to keep the connection, 0 to close it. */
static int serve_one(int fd, char* head) {
  char method[8], target[2048], version[16];
  if (sscanf(head, "%7s %2047s %15s", method, target, version) != 3) {
    respond_text(fd, 400, "Bad Request", "bad request line\n", 0, 0);
    return 0;
  }
  int keep = strcmp(version, "HTTP/1.1") == 0;
  for (char* line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
    if (!strncasecmp(line + 2, "Connection:", 11)) {
      const char* v = line + 13;
      while (*v == ' ') ++v;
      if (!strncasecmp(v, "close", 5)) keep = 0;
      if (!strncasecmp(v, "keep-alive", 10)) keep = 1;
    }
  }
  int head_only = strcmp(method, "HEAD") == 0;
  if (!head_only && strcmp(method, "GET") != 0) {
    respond_text(fd, 501, "Not Implemented", "only GET and HEAD\n", keep, 0);
    printf("httpd: %s %s 501\n", method, target);
    return keep;
  }
  char url[2048], path[2200];
  if (decode_path(target, url, sizeof url) < 0) {
    respond_text(fd, 400, "Bad Request", "bad path\n", keep, head_only);
    printf("httpd: %s %s 400\n", method, target);
    return keep;
  }
  snprintf(path, sizeof path, "%s%s", ROOT, url);
  struct stat st;
  int status = 200, r;
  if (stat(path, &st) < 0) {
    status = 404;
    r = respond_text(fd, 404, "Not Found", "no such file\n", keep, head_only);
  } else if (S_ISDIR(st.st_mode)) {
    char index[2300];
    struct stat ist;
    snprintf(index, sizeof index, "%s%sindex.html", path, path[strlen(path) - 1] == '/' ? "" : "/");
    if (stat(index, &ist) == 0 && S_ISREG(ist.st_mode))
      r = send_file(fd, index, (long long)ist.st_size, keep, head_only);
    else
      r = send_listing(fd, url, path, keep, head_only);
  } else {
    r = send_file(fd, path, (long long)st.st_size, keep, head_only);
  }
  printf("httpd: %s %s %d\n", method, url, status);
  return r == 0 && keep;
}

static void serve_connection(int fd) {
  char head[MAX_HEAD + 1];
  size_t used = 0;
  for (;;) {
    char* end;
    while ((end = (head[used] = 0, strstr(head, "\r\n\r\n"))) == NULL) {
      if (used == MAX_HEAD) {
        respond_text(fd, 431, "Request Header Fields Too Large", "header too large\n", 0, 0);
        return;
      }
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, IDLE_MS) <= 0) return; /* an idle keep-alive connection ends */
      ssize_t n = recv(fd, head + used, MAX_HEAD - used, 0);
      if (n <= 0) return;
      used += (size_t)n;
    }
    end[2] = 0;
    size_t consumed = (size_t)(end + 4 - head);
    if (!serve_one(fd, head)) return;
    memmove(head, head + consumed, used - consumed); /* a pipelined next request */
    used -= consumed;
  }
}

int main(int argc, char** argv) {
  int port = 8080, limit = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "-p") && i + 1 < argc)
      port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-n") && i + 1 < argc)
      limit = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: httpd [-p PORT] [-n CONNECTIONS]\n");
      return 2;
    }
  }
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) {
    perror("httpd: socket");
    return 1;
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(l, (struct sockaddr*)&a, sizeof a) < 0 || listen(l, 16) < 0) {
    perror("httpd: bind/listen");
    return 1;
  }
  printf("httpd: serving %s on port %d\n", ROOT, port);
  fflush(stdout);
  for (int served = 0; limit == 0 || served < limit; ++served) {
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int c = accept(l, (struct sockaddr*)&peer, &len);
    if (c < 0) {
      perror("httpd: accept");
      return 1;
    }
    serve_connection(c);
    close(c);
    fflush(stdout);
  }
  close(l);
  printf("httpd: %d connections served, exiting\n", limit);
  return 0;
}
