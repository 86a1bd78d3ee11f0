// A mounted client with the transport and sync it runs on, owned as one: what the guest's
// namespace holds for a 9P mount, whatever carries the messages (Xen 9pfs rings today; a
// socket or a second backend as well). Destroying it ends the session and closes the transport.
#pragma once
#include <string>
#include "p9/client.h"

namespace p9 {

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Client& client() = 0;
  virtual std::string name() const = 0;  // for labels and messages: a share's tag, an address
};

}  // namespace p9
