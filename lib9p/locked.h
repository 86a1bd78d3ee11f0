// RAII for the p9::Sync monitor (lib9p-internal).
#pragma once
#include "p9/transport.h"

namespace p9 {

class Locked {
 public:
  explicit Locked(Sync& s) : s_(s) { s_.lock(); }
  ~Locked() { s_.unlock(); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;

 private:
  Sync& s_;
};

}  // namespace p9
