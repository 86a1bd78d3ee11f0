// --xen-guest NAME=TAG:TREE[,TAG:TREE...]: which 9pfs devices a guest gets, read from iohost's
// command line. Apart from the Xen backend so that what reads it is tested without libxen*.
#pragma once
#include <string>
#include <utility>
#include <vector>
#include "p9/error.h"

namespace iohost {

// The 9pfs devices guest NAME gets, in order.
struct XenGuestConfig {
  std::string name;
  std::vector<std::pair<std::string, std::string>> shares;  // tag, tree name
  unsigned first_device = 0;  // share i is device/9pfs/<first_device + i> (--xen-first-device)
};
p9::Result<XenGuestConfig> parse_xen_guest(const std::string& spec);

}  // namespace iohost
