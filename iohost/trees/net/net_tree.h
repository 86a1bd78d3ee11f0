// The host's network as Plan 9's /net (ip(3)): a guest with no network driver dials, announces,
// listens and moves data through files, and iohost's Linux stack does the networking.
//
//   tcp/ udp/            clone: opening it makes conversation N and reads as "N"
//     N/ctl              connect ADDR!PORT, announce [ADDR!]PORT, hangup, keepalive, headers (udp)
//     N/data             the byte stream (tcp) or one datagram per read and write (udp)
//     N/listen           (tcp, announced) an open waits for a call: the new conversation's ctl
//     N/local N/remote   ADDR!PORT
//     N/status N/err     the conversation's state; the last error
//   cs                   write "tcp!HOST!PORT", read "/net/tcp/clone ADDR!PORT" lines (getaddrinfo)
//
// A connect, a listen's open and a data read or write park their request (no thread waits;
// the Reactor wakes them) and Tflush cancels them. Each attach gets its own conversations: a
// guest never sees another's. What a tree's users may do is its policy: connect anywhere by
// default (or only to the listed addresses), announce only on the listed ports.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include "p9/server.h"
#include "../../reactor.h"

namespace iohost {

// The address's one spelling (v4-mapped IPv6 as IPv4, IPv6 shortest); nothing if not numeric.
std::optional<std::string> canonical_address(const std::string& text);

struct NetPolicy {
  std::vector<std::string> connect_to;                     // numeric addresses; empty: anywhere
  std::vector<std::pair<uint16_t, uint16_t>> announce_on;  // port ranges; empty: nowhere
  bool may_connect(const std::string& address) const;
  bool may_announce(uint16_t port) const;
  std::string describe() const;
};

// --net NAME[,announce=PORT[-PORT]]...[,connect=ADDRESS]...
struct NetConfig {
  std::string name;
  NetPolicy policy;
};
p9::Result<NetConfig> parse_net(const std::string& spec);

class NetTree final : public p9::Tree {
 public:
  NetTree(Reactor& reactor, NetPolicy policy) : reactor_(reactor), policy_(std::move(policy)) {}
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;

 private:
  Reactor& reactor_;
  NetPolicy policy_;
};

}  // namespace iohost
