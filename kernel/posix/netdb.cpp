// Address conversions and name translation for sockets (arpa/inet.h, netdb.h). Numeric
// addresses are parsed here; names are translated by the I/O host's /net/cs (Plan 9's cs(8),
// the host's resolver behind it): write "tcp!NAME!SERVICE", read "/net/tcp/clone ADDR!PORT".
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netdb.h>
#include <string>
#include <vector>
#include "ns/boot_namespace.h"
#include "format.h"

extern "C" {

const struct in6_addr in6addr_any = IN6ADDR_ANY_INIT;
const struct in6_addr in6addr_loopback = IN6ADDR_LOOPBACK_INIT;

static int parse_v4(const char* s, uint8_t out[4]) {
  for (int i = 0; i < 4; ++i) {
    if (*s < '0' || *s > '9') return 0;
    unsigned v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
      v = v * 10 + unsigned(*s++ - '0');
      if (++digits > 3 || v > 255) return 0;
    }
    out[i] = uint8_t(v);
    if (i < 3 && *s++ != '.') return 0;
  }
  return *s == '\0';
}

static int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4291 text: groups of up to 4 hex digits, one "::", an optional dotted IPv4 tail.
static int parse_v6(const char* s, uint8_t out[16]) {
  uint16_t words[8] = {};
  int count = 0, gap = -1;
  if (s[0] == ':' && s[1] == ':') {
    gap = 0;
    s += 2;
  }
  while (*s) {
    if (count == 8) return 0;
    const char* start = s;
    unsigned v = 0;
    int digits = 0;
    while (hex(*s) >= 0 && digits < 5) v = v * 16 + unsigned(hex(*s++)), ++digits;
    if (*s == '.') {  // IPv4 tail
      uint8_t v4[4];
      if (count > 6 || !parse_v4(start, v4)) return 0;
      words[count++] = uint16_t(v4[0] << 8 | v4[1]);
      words[count++] = uint16_t(v4[2] << 8 | v4[3]);
      break;
    }
    if (digits == 0 || digits > 4) return 0;
    words[count++] = uint16_t(v);
    if (*s == '\0') break;
    if (*s++ != ':') return 0;
    if (*s == ':') {
      if (gap >= 0) return 0;
      gap = count;
      ++s;
    } else if (*s == '\0') {
      return 0;
    }
  }
  if (gap < 0 && count != 8) return 0;
  if (gap >= 0) {
    if (count == 8) return 0;
    int tail = count - gap;
    std::memmove(words + 8 - tail, words + gap, size_t(tail) * sizeof words[0]);
    for (int i = gap; i < 8 - tail; ++i) words[i] = 0;
  }
  for (int i = 0; i < 8; ++i) out[2 * i] = uint8_t(words[i] >> 8), out[2 * i + 1] = uint8_t(words[i]);
  return 1;
}

int inet_pton(int family, const char* text, void* address) {
  if (family == AF_INET) return parse_v4(text, static_cast<uint8_t*>(address));
  if (family == AF_INET6) return parse_v6(text, static_cast<uint8_t*>(address));
  errno = EAFNOSUPPORT;
  return -1;
}

const char* inet_ntop(int family, const void* address, char* text, socklen_t size) {
  char buf[INET6_ADDRSTRLEN];
  const auto* b = static_cast<const uint8_t*>(address);
  if (family == AF_INET) {
    kernel::format_to(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  } else if (family == AF_INET6) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0) {
      kernel::format_to(buf, sizeof buf, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    } else {
      int best = -1, best_len = 0;  // the longest run of zero words becomes "::"
      for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && b[2 * j] == 0 && b[2 * j + 1] == 0) ++j;
        if (j - i > best_len && j - i > 1) best = i, best_len = j - i;
        i = j == i ? i + 1 : j;
      }
      char* p = buf;
      for (int i = 0; i < 8; ++i) {
        if (i == best) {
          p += kernel::format_to(p, buf + sizeof buf - p, "::");
          i += best_len - 1;
          continue;
        }
        p += kernel::format_to(p, buf + sizeof buf - p, "%s%x", (i == 0 || i == best + best_len) ? "" : ":",
                               unsigned(b[2 * i] << 8 | b[2 * i + 1]));
      }
    }
  } else {
    errno = EAFNOSUPPORT;
    return nullptr;
  }
  if (std::strlen(buf) + 1 > size) {
    errno = ENOSPC;
    return nullptr;
  }
  std::strcpy(text, buf);
  return text;
}

int inet_aton(const char* text, struct in_addr* address) {
  return parse_v4(text, reinterpret_cast<uint8_t*>(address));
}

in_addr_t inet_addr(const char* text) {
  in_addr a;
  return parse_v4(text, reinterpret_cast<uint8_t*>(&a)) ? a.s_addr : INADDR_NONE;
}

char* inet_ntoa(struct in_addr address) {
  static char buf[INET_ADDRSTRLEN];
  return const_cast<char*>(inet_ntop(AF_INET, &address, buf, sizeof buf));
}

const char* gai_strerror(int code) {
  switch (code) {
    case 0: return "success";
    case EAI_BADFLAGS: return "bad flags";
    case EAI_NONAME: return "name or service not known";
    case EAI_AGAIN: return "temporary failure in name resolution";
    case EAI_FAIL: return "name resolution failed";
    case EAI_FAMILY: return "address family not supported";
    case EAI_SOCKTYPE: return "socket type not supported";
    case EAI_SERVICE: return "service not known";
    case EAI_MEMORY: return "out of memory";
    case EAI_SYSTEM: return "system error (see errno)";
  }
  return "unknown getaddrinfo error";
}

void freeaddrinfo(struct addrinfo* list) {
  while (list) {
    addrinfo* next = list->ai_next;
    std::free(list->ai_addr);
    std::free(list->ai_canonname);
    std::free(list);
    list = next;
  }
}

// One result: the address as the family wants it.
static addrinfo* make_entry(int family, const uint8_t* address, bool v6, unsigned port, int socktype) {
  auto* ai = static_cast<addrinfo*>(std::calloc(1, sizeof(addrinfo)));
  if (!ai) return nullptr;
  ai->ai_socktype = socktype;
  ai->ai_protocol = socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
  if (!v6 && family != AF_INET6) {
    auto* sa = static_cast<sockaddr_in*>(std::calloc(1, sizeof(sockaddr_in)));
    sa->sin_family = AF_INET;
    sa->sin_port = htons(uint16_t(port));
    std::memcpy(&sa->sin_addr, address, 4);
    ai->ai_family = AF_INET;
    ai->ai_addr = reinterpret_cast<sockaddr*>(sa);
    ai->ai_addrlen = sizeof *sa;
  } else {
    auto* sa = static_cast<sockaddr_in6*>(std::calloc(1, sizeof(sockaddr_in6)));
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(uint16_t(port));
    if (v6) {
      std::memcpy(&sa->sin6_addr, address, 16);
    } else {
      sa->sin6_addr.s6_addr[10] = sa->sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&sa->sin6_addr.s6_addr[12], address, 4);
    }
    ai->ai_family = AF_INET6;
    ai->ai_addr = reinterpret_cast<sockaddr*>(sa);
    ai->ai_addrlen = sizeof *sa;
  }
  return ai;
}

int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                struct addrinfo** result) {
  int family = hints ? hints->ai_family : AF_UNSPEC;
  int flags = hints ? hints->ai_flags : 0;
  int socktype = hints && hints->ai_socktype ? hints->ai_socktype : SOCK_STREAM;
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) return EAI_FAMILY;
  if (socktype != SOCK_STREAM && socktype != SOCK_DGRAM) return EAI_SOCKTYPE;
  if (!node && !service) return EAI_NONAME;
  *result = nullptr;
  unsigned port = 0;
  bool numeric_port = true;
  if (service) {
    char* end = nullptr;
    unsigned long v = std::strtoul(service, &end, 10);
    numeric_port = *service && *end == '\0';
    if (numeric_port && v > 65535) return EAI_SERVICE;
    if (!numeric_port && (flags & AI_NUMERICSERV)) return EAI_NONAME;
    port = unsigned(v);
  }
  std::vector<std::pair<std::vector<uint8_t>, unsigned>> found;  // address bytes, port
  uint8_t a[16];
  if (!node) {  // the any-address for a server, loopback for a client
    bool passive = flags & AI_PASSIVE;
    uint8_t v4[4] = {0, 0, 0, 0};
    if (!passive) v4[0] = 127, v4[3] = 1;
    found.push_back({{v4, v4 + 4}, port});
  } else if (numeric_port && parse_v4(node, a)) {
    found.push_back({{a, a + 4}, port});
  } else if (numeric_port && parse_v6(node, a)) {
    found.push_back({{a, a + 16}, port});
  } else if (flags & AI_NUMERICHOST) {
    return EAI_NONAME;
  } else {  // ask cs
    auto cs = ns::root().open("/net/cs", ns::kReadWrite, 0);
    if (!cs) {
      errno = cs.error().code;
      return EAI_FAIL;
    }
    std::string query =
        std::string(socktype == SOCK_STREAM ? "tcp" : "udp") + "!" + node + "!" + (service ? service : "0");
    auto w = (*cs)->write({reinterpret_cast<const std::byte*>(query.data()), query.size()}, 0);
    if (!w) return w.error().code == ENOENT ? EAI_NONAME : (errno = w.error().code, EAI_SYSTEM);
    char answer[2048];
    auto n = (*cs)->read({reinterpret_cast<std::byte*>(answer), sizeof answer - 1}, 0);
    if (!n) return errno = n.error().code, EAI_SYSTEM;
    answer[*n] = '\0';
    for (char* line = answer; line && *line;) {  // "/net/tcp/clone ADDR!PORT\n" each
      char* next = std::strchr(line, '\n');
      if (next) *next++ = '\0';
      char* space = std::strchr(line, ' ');
      char* bang = space ? std::strrchr(space, '!') : nullptr;
      if (bang) {
        *bang = '\0';
        unsigned p = unsigned(std::strtoul(bang + 1, nullptr, 10));
        if (parse_v4(space + 1, a))
          found.push_back({{a, a + 4}, p});
        else if (parse_v6(space + 1, a))
          found.push_back({{a, a + 16}, p});
      }
      line = next;
    }
    if (found.empty()) return EAI_NONAME;
  }
  addrinfo** tail = result;
  for (auto& [bytes, p] : found) {
    bool v6 = bytes.size() == 16;
    if (family == AF_INET && v6) continue;
    addrinfo* ai = make_entry(family, bytes.data(), v6, p, socktype);
    if (!ai) {
      freeaddrinfo(*result);
      *result = nullptr;
      return EAI_MEMORY;
    }
    *tail = ai;
    tail = &ai->ai_next;
  }
  return *result ? 0 : EAI_NONAME;
}

int getnameinfo(const struct sockaddr* address, socklen_t length, char* host, socklen_t host_length,
                char* service, socklen_t service_length,
                int) {  // numeric only: there is no reverse lookup in cs
  const void* bytes;
  unsigned port;
  int family = address->sa_family;
  if (family == AF_INET && length >= sizeof(sockaddr_in)) {
    auto* a = reinterpret_cast<const sockaddr_in*>(address);
    bytes = &a->sin_addr;
    port = ntohs(a->sin_port);
  } else if (family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(address);
    bytes = &a->sin6_addr;
    port = ntohs(a->sin6_port);
  } else {
    return EAI_FAMILY;
  }
  if (host && host_length && !inet_ntop(family, bytes, host, host_length)) return EAI_MEMORY;
  if (service && service_length && kernel::format_to(service, service_length, "%u", port) >= service_length)
    return EAI_MEMORY;
  return 0;
}

}  // extern "C"
