// Who may connect (see access.h).
#include "access.h"
#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <cerrno>
#include <optional>
#include "common/decimal.h"

namespace iohost {

bool AccessPolicy::admits(uid_t uid, const std::vector<gid_t>& peer_groups) const {
  if (uid == 0 || uid == ::geteuid()) return true;
  for (uid_t u : users)
    if (u == uid) return true;
  for (gid_t g : groups)
    for (gid_t pg : peer_groups)
      if (g == pg) return true;
  return false;
}

std::string AccessPolicy::describe() const {
  std::string s = "root and uid " + std::to_string(::geteuid());
  for (uid_t u : users) s += ", uid " + std::to_string(u);
  for (gid_t g : groups) s += ", group " + std::to_string(g);
  return s;
}

p9::Result<void> parse_allow(const std::string& spec, AccessPolicy* policy) {
  bool is_group = !spec.empty() && spec[0] == '@';
  std::string name = is_group ? spec.substr(1) : spec;
  if (name.empty()) return p9::Error{EINVAL, "--allow wants USER, UID or @GROUP"};
  std::optional<uint64_t> number = common::parse_decimal(name, 0xfffffffeu);
  if (is_group) {
    gid_t gid;
    if (number) {
      gid = gid_t(*number);
    } else {
      struct group* g = ::getgrnam(name.c_str());
      if (g == nullptr) return p9::Error{ENOENT, "--allow: no group \"" + name + "\""};
      gid = g->gr_gid;
    }
    policy->groups.push_back(gid);
  } else {
    uid_t uid;
    if (number) {
      uid = uid_t(*number);
    } else {
      struct passwd* p = ::getpwnam(name.c_str());
      if (p == nullptr) return p9::Error{ENOENT, "--allow: no user \"" + name + "\""};
      uid = p->pw_uid;
    }
    policy->users.push_back(uid);
  }
  return {};
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace iohost
