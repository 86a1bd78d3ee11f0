// --xen-guest's argument (see xen_guest_config.h).
#include "xen_guest_config.h"
#include <cerrno>

namespace iohost {

p9::Result<XenGuestConfig> parse_xen_guest(const std::string& spec) {
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    return p9::Error{EINVAL, "--xen-guest wants NAME=TAG:TREE[,TAG:TREE...], not \"" + spec + "\""};
  XenGuestConfig c;
  c.name = spec.substr(0, eq);
  std::string rest = spec.substr(eq + 1);
  size_t at = 0;
  while (at <= rest.size()) {
    size_t comma = rest.find(',', at);
    std::string share = rest.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    size_t colon = share.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == share.size())
      return p9::Error{EINVAL, "--xen-guest " + c.name + ": \"" + share + "\" is not TAG:TREE"};
    c.shares.emplace_back(share.substr(0, colon), share.substr(colon + 1));
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return c;
}

}  // namespace iohost
