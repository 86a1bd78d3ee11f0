// The text of the net tree that clients write and iohost parses, kept apart from sockets and
// parking so that it can be fuzzed alone (tests/fuzz/net_text_fuzz.cpp): addresses, ctl
// messages, cs queries, the policy and the --net flag.
#include <arpa/inet.h>
#include <cstring>
#include "net_conversation.h"
#include "common/decimal.h"

namespace iohost {
namespace net {

// Plan 9's address form, ADDRESS!PORT, for a socket address.
std::string plan9_address(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (ss.ss_family == AF_INET) {
    auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    port = ntohs(a.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    ::inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
    port = ntohs(a.sin6_port);
  }
  return std::string(ip) + "!" + std::to_string(port);
}

bool parse_port(std::string_view text, uint16_t* port) {
  std::optional<uint64_t> v = common::parse_decimal(text, 65535);
  if (!v) return false;
  *port = uint16_t(*v);
  return true;
}

// "ADDRESS!PORT" with a numeric address ("*" or none: any) into a socket address.
Result<sockaddr_storage> parse_address(const std::string& text, socklen_t* len, bool allow_any) {
  size_t bang = text.rfind('!');
  std::string host = bang == std::string::npos ? "*" : text.substr(0, bang);
  std::string port_text = bang == std::string::npos ? text : text.substr(bang + 1);
  uint16_t port = 0;
  if (!parse_port(port_text, &port)) return Error{EINVAL, "net: \"" + text + "\" is not ADDRESS!PORT"};
  sockaddr_storage ss{};
  if (host == "*" || host.empty()) {
    if (!allow_any) return Error{EINVAL, "net: connect needs an address, not \"" + text + "\""};
    auto& a = reinterpret_cast<sockaddr_in6&>(ss);  // dual-stack: IPv4 too
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_any;
    a.sin6_port = htons(port);
    *len = sizeof a;
    return ss;
  }
  auto& a4 = reinterpret_cast<sockaddr_in&>(ss);
  if (::inet_pton(AF_INET, host.c_str(), &a4.sin_addr) == 1) {
    a4.sin_family = AF_INET;
    a4.sin_port = htons(port);
    *len = sizeof a4;
    return ss;
  }
  auto& a6 = reinterpret_cast<sockaddr_in6&>(ss);
  if (::inet_pton(AF_INET6, host.c_str(), &a6.sin6_addr) == 1) {
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(port);
    *len = sizeof a6;
    return ss;
  }
  return Error{EINVAL, "net: \"" + host + "\" is not a numeric address (translate names with /net/cs)"};
}

std::vector<std::string> ctl_words(std::string_view message) {
  std::string_view line = message;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\0')) line.remove_suffix(1);
  std::vector<std::string> words;
  for (size_t at = 0; at < line.size();) {
    size_t end = line.find(' ', at);
    if (end == std::string_view::npos) end = line.size();
    if (end > at) words.emplace_back(line.substr(at, end - at));
    at = end + 1;
  }
  return words;
}

Result<CsQuery> parse_cs_query(std::string_view message) {
  CsQuery q;
  q.text = std::string(message);
  while (!q.text.empty() && (q.text.back() == '\n' || q.text.back() == '\0')) q.text.pop_back();
  size_t b1 = q.text.find('!'), b2 = q.text.rfind('!');
  if (b1 == std::string::npos || b1 == b2)
    return Error{EINVAL, "cs: want PROTO!HOST!PORT, not \"" + q.text + "\""};
  q.proto = q.text.substr(0, b1);
  q.host = q.text.substr(b1 + 1, b2 - b1 - 1);
  q.port = q.text.substr(b2 + 1);
  if (q.proto == "net") q.proto = "tcp";
  if (q.proto != "tcp" && q.proto != "udp") return Error{EINVAL, "cs: unknown protocol \"" + q.proto + "\""};
  uint16_t port;
  if (!parse_port(q.port, &port)) return Error{EINVAL, "cs: \"" + q.port + "\" is not a port number"};
  if (q.host == "*") q.host.clear();
  if (q.host.find('\0') != std::string::npos) return Error{EINVAL, "cs: a NUL in the host name"};
  return q;
}

}  // namespace net

using net::parse_port;
using p9::Error;
using p9::Result;

// ---- policy ---------------------------------------------------------------------------------

// One spelling per address, so a rule matches however the client writes it: IPv6 in its
// shortest form, and a v4-mapped address (::ffff:127.0.0.1) as the IPv4 address it is.
std::optional<std::string> canonical_address(const std::string& text) {
  char out[INET6_ADDRSTRLEN];
  in_addr v4;
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1)
    return std::string(::inet_ntop(AF_INET, &v4, out, sizeof out));
  in6_addr v6;
  if (::inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], 4);
    return std::string(::inet_ntop(AF_INET, &v4, out, sizeof out));
  }
  return std::string(::inet_ntop(AF_INET6, &v6, out, sizeof out));
}

bool NetPolicy::may_connect(const std::string& address) const {
  if (connect_to.empty()) return true;
  std::optional<std::string> canonical = canonical_address(address);
  if (!canonical) return false;
  for (const std::string& a : connect_to)
    if (canonical_address(a) == canonical) return true;
  return false;
}

bool NetPolicy::may_announce(uint16_t port) const {
  for (auto [lo, hi] : announce_on)
    if (port >= lo && port <= hi) return true;
  return false;
}

std::string NetPolicy::describe() const {
  std::string s = "connect: ";
  if (connect_to.empty()) s += "anywhere";
  for (size_t i = 0; i < connect_to.size(); ++i) s += (i ? "," : "") + connect_to[i];
  s += "; announce: ";
  if (announce_on.empty()) s += "no port";
  for (size_t i = 0; i < announce_on.size(); ++i) {
    s += (i ? "," : "") + std::to_string(announce_on[i].first);
    if (announce_on[i].second != announce_on[i].first) s += "-" + std::to_string(announce_on[i].second);
  }
  return s;
}

Result<NetConfig> parse_net(const std::string& spec) {
  NetConfig c;
  size_t comma = spec.find(',');
  c.name = spec.substr(0, comma);
  if (c.name.empty() || c.name.find('=') != std::string::npos)
    return Error{EINVAL, "--net wants NAME[,announce=PORT[-PORT]][,connect=ADDRESS], not \"" + spec + "\""};
  while (comma != std::string::npos) {
    size_t next = spec.find(',', comma + 1);
    std::string option =
        spec.substr(comma + 1, next == std::string::npos ? std::string::npos : next - comma - 1);
    comma = next;
    if (option.rfind("announce=", 0) == 0) {
      std::string range = option.substr(9);
      size_t dash = range.find('-');
      uint16_t lo = 0, hi = 0;
      if (!parse_port(range.substr(0, dash), &lo) ||
          !parse_port(dash == std::string::npos ? range : range.substr(dash + 1), &hi) || hi < lo || lo == 0)
        return Error{EINVAL,
                     "--net " + c.name + ": \"" + option + "\" is not announce=PORT or announce=PORT-PORT"};
      c.policy.announce_on.emplace_back(lo, hi);
    } else if (option.rfind("connect=", 0) == 0) {
      std::string address = option.substr(8);
      in6_addr scratch;
      if (::inet_pton(AF_INET, address.c_str(), &scratch) != 1 &&
          ::inet_pton(AF_INET6, address.c_str(), &scratch) != 1)
        return Error{EINVAL,
                     "--net " + c.name + ": connect= wants a numeric address, not \"" + address + "\""};
      c.policy.connect_to.push_back(address);
    } else {
      return Error{EINVAL, "--net " + c.name + ": unknown option \"" + option + "\""};
    }
  }
  return c;
}

}  // namespace iohost
