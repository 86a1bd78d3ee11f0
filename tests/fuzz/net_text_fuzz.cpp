// libFuzzer target: the text a guest writes to iohost's /net: ctl messages, cs queries and the
// addresses in them, and the policy's matching of what it names. None may crash, hang or read
// out of bounds; what they accept must be well-formed.
#include <cstddef>
#include <cstdint>
#include <string>
#include "trees/net/net_conversation.h"

using namespace iohost;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> words = net::ctl_words(text);
  for (const std::string& w : words)
    if (w.empty() || w.find(' ') != std::string::npos) __builtin_trap();
  if (words.size() >= 2) {
    socklen_t len = 0;
    auto a = net::parse_address(words[1], &len, true);
    if (a && (len == 0 || len > sizeof(sockaddr_storage))) __builtin_trap();
  }
  auto q = net::parse_cs_query(text);
  if (q && q->proto != "tcp" && q->proto != "udp") __builtin_trap();
  static const NetPolicy policy = [] {
    NetPolicy p;
    p.connect_to = {"127.0.0.1", "::1"};
    p.announce_on = {{8000, 8100}};
    return p;
  }();
  std::string address(text.substr(0, text.find('!')));
  bool allowed = policy.may_connect(address);
  auto canonical = canonical_address(address);
  if (allowed && (!canonical || (*canonical != "127.0.0.1" && *canonical != "::1"))) __builtin_trap();
  return 0;
}

// net_conversation.h's stack serial, from net_conversation.cpp (sockets and parking: not linked).
uint64_t iohost::net::first_stack_serial() { return 1; }
