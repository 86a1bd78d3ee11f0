// iohost as the guests' Xen 9pfs backend (xen/io/9pfs.h): for each guest named in its
// configuration it writes the device's backend and frontend xenstore nodes itself (Xen 4.17's
// xl has no p9 type other than QEMU's), follows the frontend through the xenbus states, maps
// the rings once, and serves the device's one 9P session on lib9p's server with the trees the
// configuration gives that guest and no others. The rings themselves (many requests in flight
// per ring, each reply published whole on the ring its request came on, back-pressure) are
// ring_channel.h's, on the memory mapped here. A guest that breaks the ring protocol loses its
// device (logged); a guest that dies loses everything: grants unmapped, channels unbound,
// nodes removed.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>
#include "p9/server.h"
#include "xen_guest_config.h"

namespace iohost {

class XenDevice;

class XenBackend {
 public:
  static p9::Result<std::unique_ptr<XenBackend>> start(const p9::Server& trees,
                                                       std::vector<XenGuestConfig> guests,
                                                       p9::Executor& executor, unsigned max_rings = 8,
                                                       unsigned max_order = 9);
  ~XenBackend();
  int xenstore_fd() const;
  int event_fd() const;
  void on_xenstore();  // xenstore_fd() is readable: watches fired
  void on_event();     // event_fd() is readable: a guest notified a ring
  // A line for each device of each attached guest: its session's fids, or not connected.
  std::vector<std::string> status() const;

  struct Handles;  // the xenstore, grant and event channel handles

 private:
  XenBackend(const p9::Server& trees, std::vector<XenGuestConfig> guests, p9::Executor& executor,
             unsigned max_rings, unsigned max_order);
  void scan_domains();
  void attach(unsigned domid, const XenGuestConfig& config);
  void detach(unsigned domid, const std::string& why);
  void frontend_changed(const std::string& path);

  const p9::Server& trees_;
  std::vector<XenGuestConfig> guests_;
  p9::Executor& executor_;
  unsigned max_rings_, max_order_;
  std::unique_ptr<Handles> h_;
  unsigned own_domid_ = 0;
  std::map<std::string, std::unique_ptr<XenDevice>> devices_;  // by frontend path
  std::map<unsigned, std::string> attached_;                   // domid -> guest name
};

}  // namespace iohost
