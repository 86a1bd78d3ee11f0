// Building the boot namespace (see boot_namespace.h).
#include "ns/boot_namespace.h"
#include "common/decimal.h"
#include "format.h"
#include "log.h"
#include "memory/memory.h"
#include "ns/dev_server.h"
#include "ns/ninep_server.h"
#include "p9/client.h"
#include "xenos/ninep.h"

namespace ns {
namespace {
Namespace* the_namespace;
std::vector<FileServer*>* servers;  // live as long as the namespace may name them
std::vector<NinepServer*>* shares;  // live while mounted somewhere (or a file of one is open)
// How long a share's 9P session waits for its backend to come back when it breaks (lib9p's
// recovery: MountOptions::recover_within_ns); xenos.recover=SECONDS, 0 turns recovery off.
uint64_t recover_within_ns = 30'000'000'000ull;
// How long a request waits with nothing from the backend before a probe, and the probe after
// it, before the backend is taken to be hung (MountOptions::hang_after_ns); xenos.hang=SECONDS.
uint64_t hang_after_ns = 10'000'000'000ull;

std::string option(const std::vector<std::string>& options, const std::string& key,
                   const std::string& fallback) {
  for (const std::string& o : options)
    if (o.compare(0, key.size() + 1, key + "=") == 0) return o.substr(key.size() + 1);
  return fallback;
}
// A number of seconds from the command line (at most a day), into *ns; a bad one is logged
// and the default kept.
void seconds_option(const std::vector<std::string>& options, const char* key, uint64_t* ns) {
  std::string text = option(options, key, "");
  if (text.empty()) return;  // not given: the default stands
  auto seconds = common::parse_decimal(text, 86400);
  if (!seconds) {
    kernel::log("namespace: %s=%s is not a number of seconds (0..86400); keeping %llu\n", key, text.c_str(),
                (unsigned long long)(*ns / 1'000'000'000ull));
    return;
  }
  *ns = *seconds * 1'000'000'000ull;
}
}  // namespace

Namespace& root() {
  if (!the_namespace) {
    the_namespace = new Namespace;
    servers = new std::vector<FileServer*>;
    shares = new std::vector<NinepServer*>;
  }
  return *the_namespace;
}

Result<void> mount_share(const std::string& tags, const std::string& point, int flags, uint64_t wait_ns) {
  // "fs|fs-b": the share fs, failing over to fs-b (the same tree from another backend).
  std::vector<std::string> names = p9::split_on(tags, '|');
  for (const std::string& n : names)
    if (n.empty()) return Error{EINVAL, "mount: an empty tag in \"" + tags + "\""};
  const std::string& tag = names.front();
  xenos::ninep::Options o;
  o.fallback_tags.assign(names.begin() + 1, names.end());
  o.device_wait_ns = wait_ns;
  o.mount.recover_within_ns = recover_within_ns;
  o.mount.hang_after_ns = hang_after_ns;
  // Rings cost memory (order 9: 2 MiB each): each share the namespace mounts gets a quarter of
  // what is free then, and the frontend fits its rings and their order within it.
  o.ring_budget_bytes = xenos::ninep::default_ring_budget();
  auto share = xenos::ninep::Share::open(tag, o);
  if (!share) return share.error();
  auto* server = new NinepServer(std::move(*share));
  shares->push_back(server);
  auto mounted = root().mount(server, "/", point, flags);
  if (!mounted) release_unmounted_shares();
  return mounted;
}

void release_unmounted_shares() {
  if (!shares) return;
  for (size_t i = 0; i < shares->size();) {
    NinepServer* s = (*shares)[i];
    if (root().uses(s)) {
      ++i;
      continue;
    }
    shares->erase(shares->begin() + long(i));
    NinepServer::retire(s);
  }
}

// xenos.mounts: "auto" mounts the 9pfs devices the domain has at boot (xl p9=, or a backend
// that attached while the domain was paused); "none" mounts nothing; "a,b" mounts those tags,
// waiting for a backend that attaches after boot (iohost attaching to a running domain);
// "a|a2" mounts a with a2 to fail over to (the same tree from a second backend).
void boot_namespace(const std::vector<std::string>& options) {
  constexpr uint64_t kLateShareWaitNs = 30'000'000'000ull;
  Namespace& n = root();
  auto* dev = new DevServer;
  auto* env = new EnvServer;
  servers->push_back(dev);
  servers->push_back(env);
  (void)n.mount(dev, "/", "/dev", MREPL);
  (void)n.mount(env, "/", "/env", MREPL);
  seconds_option(options, "xenos.recover", &recover_within_ns);
  seconds_option(options, "xenos.hang", &hang_after_ns);
  std::string mounts = option(options, "xenos.mounts", "auto");
  if (mounts == "none") return;
  std::vector<std::string> tags;
  uint64_t wait_ns = 0;
  if (mounts == "auto") {
    auto devices = xenos::ninep::devices();
    if (!devices) {
      kernel::log("namespace: cannot list 9pfs devices: %s\n", devices.error().message.c_str());
      return;
    }
    for (const auto& d : *devices) tags.push_back(d.tag);
  } else {
    for (std::string& tag : p9::split_on(mounts, ','))
      if (!tag.empty()) tags.push_back(std::move(tag));
    wait_ns = kLateShareWaitNs;
  }
  std::string first_folder;
  for (const std::string& tag : tags)
    if (tag != "net" && first_folder.empty()) first_folder = tag.substr(0, tag.find('|'));
  std::string fs_tag = option(options, "xenos.fs", first_folder);
  for (const std::string& spec : tags) {
    std::string tag = spec.substr(0, spec.find('|'));  // "fs|fs-b": fs, failing over to fs-b
    // A share tagged "net" is the I/O host's network (iohost --net): Plan 9 puts it at /net,
    // where the socket calls look for it.
    std::string point = tag == "net" ? "/net" : "/mnt/" + tag;
    auto r = mount_share(spec, point, MREPL | MCREATE, wait_ns);
    if (!r) {
      kernel::log("namespace: share \"%s\" not mounted: %s\n", tag.c_str(), r.error().message.c_str());
      continue;
    }
    if (tag == fs_tag) {
      (void)n.bind(point, "/fs", MREPL | MCREATE);
      (void)n.chdir("/fs");
    }
  }
}

}  // namespace ns
