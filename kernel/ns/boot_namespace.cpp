// Building the boot namespace (see boot_namespace.h).
#include "ns/boot_namespace.h"
#include "log.h"
#include "memory/memory.h"
#include "ns/dev_server.h"
#include "ns/ninep_server.h"

namespace ns {
namespace {
Namespace* the_namespace;
std::vector<FileServer*>* servers;  // live as long as the namespace may name them

std::string option(const std::vector<std::string>& options, const std::string& key, const std::string& fallback) {
  for (const std::string& o : options)
    if (o.compare(0, key.size() + 1, key + "=") == 0) return o.substr(key.size() + 1);
  return fallback;
}
}  // namespace

Namespace& root() {
  if (!the_namespace) {
    the_namespace = new Namespace;
    servers = new std::vector<FileServer*>;
  }
  return *the_namespace;
}

Result<void> mount_share(const std::string& tag, const std::string& point, int flags) {
  xenos::ninep::Options o;
  // Rings cost memory (order 9: 2 MiB each): keep a share's rings within a quarter of what is free.
  uint64_t budget = kernel::frames().free_frames() * kernel::kPageSize / 4;
  while (o.max_order > 4 && (uint64_t(1) << (o.max_order + 12)) * 8 > budget) --o.max_order;
  auto share = xenos::ninep::Share::open(tag, o);
  if (!share) return share.error();
  auto* server = new NinepServer(std::move(*share));
  servers->push_back(server);
  return root().mount(server, "/", point, flags);
}

void boot_namespace(const std::vector<std::string>& options) {
  Namespace& n = root();
  auto* dev = new DevServer;
  auto* env = new EnvServer;
  servers->push_back(dev);
  servers->push_back(env);
  (void)n.mount(dev, "/", "/dev", MREPL);
  (void)n.mount(env, "/", "/env", MREPL);
  if (option(options, "xenos.mounts", "auto") == "none") return;
  auto devices = xenos::ninep::devices();
  if (!devices) {
    kernel::log("namespace: cannot list 9pfs devices: %s\n", devices.error().message);
    return;
  }
  std::string fs_tag = option(options, "xenos.fs", devices->empty() ? "" : (*devices)[0].tag);
  for (const auto& d : *devices) {
    auto r = mount_share(d.tag, "/mnt/" + d.tag, MREPL | MCREATE);
    if (!r) {
      kernel::log("namespace: share \"%s\" not mounted: %s\n", d.tag.c_str(), r.error().message.c_str());
      continue;
    }
    if (d.tag == fs_tag) {
      (void)n.bind("/mnt/" + d.tag, "/fs", MREPL | MCREATE);
      (void)n.chdir("/fs");
    }
  }
}

}  // namespace ns
