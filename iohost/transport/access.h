// Who may connect to iohost, and how many at once. iohost runs as root in dom0 and every
// client of an export acts as iohost's user there, so a connection is as good as that user's
// rights on every tree: unix sockets are the owner's only (mode 0600) unless --allow names
// others (checked with SO_PEERCRED and SO_PEERGROUPS at accept, refused with a log line), and
// a TCP listener on anything but a loopback address needs --allow-remote-tcp (TCP says nothing
// of who the peer is).
#pragma once
#include <sys/types.h>
#include <cstddef>
#include <string>
#include <vector>
#include "p9/error.h"

namespace iohost {

struct AccessPolicy {
  std::vector<uid_t> users;              // besides iohost's own user and root
  std::vector<gid_t> groups;             // a peer in any of them (primary or supplementary)
  bool remote_tcp = false;               // --allow-remote-tcp
  size_t max_connections = 256;          // per listener
  size_t max_connections_per_user = 64;  // per uid, over all unix listeners

  bool anyone_else() const { return !users.empty() || !groups.empty(); }
  // A peer of a unix socket: its uid and every group it is in.
  bool admits(uid_t uid, const std::vector<gid_t>& peer_groups) const;
  std::string describe() const;
};

// --allow USER, --allow UID, --allow @GROUP (names looked up once, at start).
p9::Result<void> parse_allow(const std::string& spec, AccessPolicy* policy);

// A TCP listen address ("127.0.0.1", "::1", "localhost") that only this host can reach.
bool is_loopback_host(const std::string& host);

}  // namespace iohost
