// The namespace every program starts with: /dev (#c), /env (#e), each 9pfs share at
// /mnt/<tag>, and one share also at /fs (the working directory). Kernel options on the command
// line (words starting "xenos.") shape it: xenos.mounts=none leaves the shares alone (for apps
// that open them themselves), xenos.mounts=a,b mounts those tags, waiting for a backend that
// attaches after boot, xenos.fs=<tag> picks the share bound at /fs.
#pragma once
#include <string>
#include <vector>
#include "ns/namespace.h"

namespace ns {

Namespace& root();
// Builds it; `options` are the "xenos.*" words. Problems are logged, never fatal.
void boot_namespace(const std::vector<std::string>& options);
// Mounts a 9pfs share by tag at `point` (the C API's mount()), waiting up to `wait_ns` for a
// backend to offer the tag.
// `tags`: "tag", or "tag|fallback|..." (failover to the same tree from other backends).
Result<void> mount_share(const std::string& tags, const std::string& point, int flags, uint64_t wait_ns = 0);
// After an unmount: shares no mount point names any more are closed (rings, grants, session),
// at once or when their last open file closes, so the same tag can be mounted again.
void release_unmounted_shares();

}  // namespace ns
