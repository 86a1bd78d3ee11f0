// The dev tree: what a guest needs from its host as files. null, zero, random (getrandom),
// time (Plan 9 cons(3) style: seconds, nanoseconds, ticks and ticks per second since the
// epoch) and cons, a write-only log sink whose lines land in iohost's log with the client's
// name.
#pragma once
#include "p9/server.h"

namespace iohost {

class DevTree final : public p9::Tree {
 public:
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;
};

}  // namespace iohost
