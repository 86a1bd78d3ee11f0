// The kv tree: an in-memory key-value store whose keys are files, written with lib9p's server
// API as an example of an application interface served as files (about 100 lines). Creating
// a file makes a key, writing it sets the value, reading it gets the value, removing it
// deletes the key, renaming it renames the key. Every client sees the same store.
#pragma once
#include "p9/server.h"

namespace iohost {

class KvTree final : public p9::Tree {
 public:
  KvTree();
  p9::Result<std::shared_ptr<p9::Node>> attach(const p9::Caller& caller) override;

 private:
  std::shared_ptr<p9::Node> root_;
};

}  // namespace iohost
