// The Xen 9pfs backend (see xen_backend.h). xenstore, grant mapping and event channels come
// from Debian's libxenstore, libxengnttab and libxenevtchn; what happens on the mapped rings is
// ring_channel.cpp's (pure, unit-tested and fuzzed on the host).
#include "xen_backend.h"
#include "common/decimal.h"
#include <sys/mman.h>
#include <cerrno>
#include <cstring>
#include "guarded.h"
#include "ring_channel.h"
#include "../log.h"

extern "C" {
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/9pfs.h>
#include <xen/io/xenbus.h>  // enum xenbus_state
}

namespace iohost {
namespace {

p9::Error connect_error(const std::string& why) { return p9::Error{EPROTO, why}; }

constexpr size_t kPageSize = 4096;

std::string xs_get(xs_handle* xs, const std::string& path) {
  unsigned len = 0;
  char* v = static_cast<char*>(::xs_read(xs, XBT_NULL, path.c_str(), &len));
  if (v == nullptr) return "";
  std::string out(v, len);
  ::free(v);
  return out;
}

// A xenstore number the guest wrote: digits only, bounded.
bool xs_number(xs_handle* xs, const std::string& path, unsigned* out, unsigned max = 0xffffffffu) {
  std::optional<uint64_t> v = common::parse_decimal(xs_get(xs, path), max);
  if (!v) return false;
  *out = unsigned(*v);
  return true;
}

}  // namespace

struct XenBackend::Handles {
  xs_handle* xs = nullptr;
  xengnttab_handle* gnt = nullptr;
  xenevtchn_handle* evtchn = nullptr;
  ~Handles() {
    if (evtchn) ::xenevtchn_close(evtchn);
    if (gnt) ::xengnttab_close(gnt);
    if (xs) ::xs_close(xs);
  }
};

// One 9pfs device of one guest: its rings' mappings and event channels, and its 9P session.
class XenDevice final : public p9::ReplySink {
 public:
  XenDevice(XenBackend::Handles& h, unsigned domid, std::string guest, std::string tag, std::string fe,
            std::string be, std::shared_ptr<p9::Tree> tree, p9::Executor& executor,
            const p9::Server::Limits& limits, std::shared_ptr<p9::Budget> shared_budget)
      : h_(h), domid_(domid), guest_(std::move(guest)), tag_(std::move(tag)), fe_(std::move(fe)),
        be_(std::move(be)), executor_(executor), server_(limits) {  // the same budgets as a socket client
    server_.add(tag_, std::move(tree));  // this device's one tree: the guest sees nothing else
    server_.share_budget(std::move(shared_budget));
  }
  ~XenDevice() override { disconnect(); }

  const std::string& fe() const { return fe_; }
  const std::string& be() const { return be_; }
  bool connected() const { return !maps_.empty(); }
  std::string name() const {
    return "guest " + guest_ + " (domain " + std::to_string(domid_) + ") share " + tag_;
  }

  // 9pfs.h: the frontend has written version, num-rings, ring-ref<N>, event-channel-<N>.
  p9::Result<void> connect(unsigned max_rings, unsigned max_order) {
    unsigned version = 0, count = 0;
    if (!xs_number(h_.xs, fe_ + "/version", &version) || version != 1)
      return p9::Error{EPROTO, "the frontend's version is not 1"};
    if (!xs_number(h_.xs, fe_ + "/num-rings", &count) || count < 1 || count > max_rings)
      return p9::Error{EPROTO, "num-rings is not between 1 and " + std::to_string(max_rings)};
    for (unsigned i = 0; i < count; ++i) {
      unsigned ref = 0, port = 0;
      std::string n = std::to_string(i);
      if (!xs_number(h_.xs, fe_ + "/ring-ref" + n, &ref) ||
          !xs_number(h_.xs, fe_ + "/event-channel-" + n, &port))
        return connect_error("ring-ref" + n + " or event-channel-" + n + " is missing or not a number");
      auto* intf = static_cast<xen_9pfs_data_intf*>(
          ::xengnttab_map_grant_ref(h_.gnt, domid_, ref, PROT_READ | PROT_WRITE));
      if (intf == nullptr) return connect_error("cannot map ring-ref" + n + ": " + std::strerror(errno));
      RingMap& m = maps_.emplace_back();  // from here on, disconnect() gives back what it holds
      m.intf = intf;
      unsigned order = m.intf->ring_order;  // read once: the guest may change it under us
      if (order < 1 || order > max_order) return connect_error("ring " + n + " has order " + std::to_string(order));
      m.order = order;
      uint32_t pages = 1u << order;
      std::vector<uint32_t> refs(pages);
      for (uint32_t p = 0; p < pages; ++p) refs[p] = m.intf->ref[p];
      m.data = static_cast<std::byte*>(
          ::xengnttab_map_domain_grant_refs(h_.gnt, pages, domid_, refs.data(), PROT_READ | PROT_WRITE));
      if (m.data == nullptr) return connect_error("cannot map ring " + n + "'s data pages: " + std::strerror(errno));
      int local = ::xenevtchn_bind_interdomain(h_.evtchn, domid_, port);
      if (local < 0) return connect_error("cannot bind event-channel-" + n + ": " + std::strerror(errno));
      m.port = local;
    }
    // The guest's messages are at most half a ring (as Linux and our frontend assume).
    uint32_t smallest = UINT32_MAX;
    for (const RingMap& m : maps_) smallest = std::min(smallest, uint32_t(XEN_FLEX_RING_SIZE(m.order)));
    uint32_t msize_limit = smallest / 2;
    rings_ = std::make_unique<DeviceRings>();
    for (const RingMap& m : maps_) {
      std::span<std::byte> data(m.data, size_t(1u << m.order) * kPageSize);  // in, then out
      auto port = evtchn_port_t(m.port);
      rings_->add(TRY(RingChannel::over(*m.intf, data, msize_limit,
                                        [this, port] { ::xenevtchn_notify(h_.evtchn, port); })));
    }
    session_ = std::make_unique<p9::Session>(server_, *this, &executor_, name(), msize_limit);
    session_->budget()->on_exhausted(
        [this](const std::string& what) { refusals_(name() + ": at its limit of " + what + ": refused"); });
    return {};
  }

  void disconnect() {
    session_.reset();  // first: its replies have nowhere to go now
    rings_.reset();    // before the memory it works on is unmapped
    for (RingMap& m : maps_) {
      if (m.port >= 0) ::xenevtchn_unbind(h_.evtchn, evtchn_port_t(m.port));
      if (m.data) ::xengnttab_unmap(h_.gnt, m.data, 1u << m.order);
      if (m.intf) ::xengnttab_unmap(h_.gnt, m.intf, 1);
    }
    maps_.clear();
  }

  // "guest G (domain D) share T: N fids, H host descriptors, R rings" or "...: not connected".
  std::string status() const {
    if (!session_) return name() + ": not connected";
    return name() + ": " + std::to_string(session_->fid_count()) + " fids, " +
           std::to_string(session_->budget()->descriptors()) + " host descriptors, " +
           std::to_string(maps_.size()) + (maps_.size() == 1 ? " ring" : " rings");
  }

  bool owns_port(int port) const {
    for (const RingMap& m : maps_)
      if (m.port == port) return true;
    return false;
  }

  // A notification: requests to read, or room for replies. Error: close the device.
  p9::Result<void> service() {
    if (!rings_) return {};
    return rings_->service([this](std::span<const std::byte> request) -> p9::Result<AfterRequest> {
      TRY_VOID(receive_guarded(*session_, request));
      return connected() ? AfterRequest::kReadMore : AfterRequest::kStop;
    });
  }

  // ReplySink: the reply goes back on the ring its request came on, whole.
  void send(std::vector<std::byte> reply, uint16_t lane) override {
    if (rings_) rings_->send(std::move(reply), lane);
  }
  // Why a reply could not be published since connect ("" while none failed).
  std::string broken() const { return rings_ ? rings_->broken() : std::string(); }

 private:
  // What connect() mapped and bound for one ring, for disconnect() to give back.
  struct RingMap {
    xen_9pfs_data_intf* intf = nullptr;
    std::byte* data = nullptr;  // 2^order pages: in (replies) then out (requests)
    unsigned order = 0;
    int port = -1;
  };

  XenBackend::Handles& h_;
  unsigned domid_;
  std::string guest_, tag_, fe_, be_;
  p9::Executor& executor_;
  p9::Server server_;
  std::vector<RingMap> maps_;
  std::unique_ptr<DeviceRings> rings_;  // on maps_' memory; made once all of it is mapped
  std::unique_ptr<p9::Session> session_;
  RateLimitedLog refusals_;
};

XenBackend::XenBackend(const p9::Server& trees, std::vector<XenGuestConfig> guests, p9::Executor& executor,
                       unsigned max_rings, unsigned max_order)
    : trees_(trees), guests_(std::move(guests)), executor_(executor), max_rings_(max_rings),
      max_order_(max_order), h_(std::make_unique<Handles>()) {}

XenBackend::~XenBackend() {
  std::vector<unsigned> domids;
  for (auto& [domid, name] : attached_) domids.push_back(domid);
  for (unsigned d : domids) detach(d, "iohost is stopping");
}

p9::Result<std::unique_ptr<XenBackend>> XenBackend::start(const p9::Server& trees,
                                                          std::vector<XenGuestConfig> guests,
                                                          p9::Executor& executor, unsigned max_rings,
                                                          unsigned max_order) {
  for (const XenGuestConfig& g : guests)
    for (auto& [tag, tree] : g.shares) {
      std::vector<std::string> rest;
      if (trees.find(tree, &rest) == nullptr || !rest.empty())
        return p9::Error{EINVAL, "--xen-guest " + g.name + ": no tree \"" + tree + "\""};
    }
  std::unique_ptr<XenBackend> b(new XenBackend(trees, std::move(guests), executor, max_rings, max_order));
  b->h_->xs = ::xs_open(0);
  if (!b->h_->xs) return p9::Error{errno, std::string("xen: cannot reach xenstore: ") + std::strerror(errno)};
  b->h_->gnt = ::xengnttab_open(nullptr, 0);
  if (!b->h_->gnt)
    return p9::Error{errno, std::string("xen: cannot open /dev/xen/gntdev: ") + std::strerror(errno)};
  b->h_->evtchn = ::xenevtchn_open(nullptr, 0);
  if (!b->h_->evtchn)
    return p9::Error{errno, std::string("xen: cannot open /dev/xen/evtchn: ") + std::strerror(errno)};
  // Our own domain id, from xenstore, never assumed 0 (iohost may run in a driver domain).
  if (!xs_number(b->h_->xs, "domid", &b->own_domid_, 0x7fef))
    return p9::Error{EIO, "xen: cannot read this domain's id from xenstore (\"domid\")"};
  if (!::xs_watch(b->h_->xs, "@introduceDomain", "introduce") ||
      !::xs_watch(b->h_->xs, "@releaseDomain", "release"))
    return p9::Error{errno, std::string("xen: cannot watch domains: ") + std::strerror(errno)};
  b->scan_domains();
  return b;
}

int XenBackend::xenstore_fd() const { return ::xs_fileno(h_->xs); }
int XenBackend::event_fd() const { return ::xenevtchn_fd(h_->evtchn); }

void XenBackend::scan_domains() {
  unsigned n = 0;
  char** ids = ::xs_directory(h_->xs, XBT_NULL, "/local/domain", &n);
  if (ids == nullptr) return;
  for (unsigned i = 0; i < n; ++i) {
    std::optional<uint64_t> id = common::parse_decimal(ids[i], DOMID_FIRST_RESERVED - 1);
    if (!id) continue;
    unsigned domid = unsigned(*id);
    if (domid == own_domid_ || attached_.count(domid)) continue;
    std::string name = xs_get(h_->xs, "/local/domain/" + std::string(ids[i]) + "/name");
    for (const XenGuestConfig& g : guests_)
      if (g.name == name) attach(unsigned(domid), g);
  }
  ::free(ids);
}

void XenBackend::attach(unsigned domid, const XenGuestConfig& config) {
  attached_[domid] = config.name;
  std::string d = std::to_string(domid), own = std::to_string(own_domid_);
  for (size_t i = 0; i < config.shares.size(); ++i) {
    const auto& [tag, tree_name] = config.shares[i];
    std::string devid = std::to_string(config.first_device + i);
    std::string be = "/local/domain/" + own + "/backend/xen_9pfs/" + d + "/" + devid;
    std::string fe = "/local/domain/" + d + "/device/9pfs/" + devid;
    // Both halves in one transaction, with libxl's permissions: the backend's directory is
    // ours and readable by the guest; the frontend's is the guest's and readable by us.
    for (int attempt = 0; attempt < 10; ++attempt) {
      xs_transaction_t t = ::xs_transaction_start(h_->xs);
      auto put = [&](const std::string& path, const std::string& value) {
        ::xs_write(h_->xs, t, path.c_str(), value.data(), unsigned(value.size()));
      };
      // A node takes its parent's permissions when it is made: set the directories' first.
      xs_permissions be_perms[2] = {{own_domid_, XS_PERM_NONE}, {domid, XS_PERM_READ}};
      xs_permissions fe_perms[2] = {{domid, XS_PERM_NONE}, {own_domid_, XS_PERM_READ}};
      ::xs_mkdir(h_->xs, t, be.c_str());
      ::xs_set_permissions(h_->xs, t, be.c_str(), be_perms, 2);
      ::xs_mkdir(h_->xs, t, fe.c_str());
      ::xs_set_permissions(h_->xs, t, fe.c_str(), fe_perms, 2);
      put(be + "/frontend", fe);
      put(be + "/frontend-id", d);
      put(be + "/online", "1");
      put(be + "/versions", "1");
      put(be + "/max-rings", std::to_string(max_rings_));
      put(be + "/max-ring-page-order", std::to_string(max_order_));
      put(be + "/state", std::to_string(XenbusStateInitWait));
      put(fe + "/backend", be);
      put(fe + "/backend-id", own);
      put(fe + "/tag", tag);
      put(fe + "/state", std::to_string(XenbusStateInitialising));
      if (::xs_transaction_end(h_->xs, t, false)) break;
      if (errno != EAGAIN) {
        log_line("xen: guest " + config.name + ": cannot write the nodes of share " + tag + ": " +
                 std::strerror(errno));
        break;
      }
    }
    std::vector<std::string> rest;
    auto* tree = trees_.find(tree_name, &rest);
    // Tree lives in trees_; the device's own Server holds it by a non-owning shared_ptr.
    std::shared_ptr<p9::Tree> view(std::shared_ptr<p9::Tree>{}, tree);
    devices_[fe] = std::make_unique<XenDevice>(*h_, domid, config.name, tag, fe, be, view, executor_,
                                               trees_.limits(), trees_.shared_budget());
    ::xs_watch(h_->xs, (fe + "/state").c_str(), fe.c_str());
    log_line("xen: guest " + config.name + " (domain " + d + "): share " + tag + " is tree " + tree_name);
  }
}

void XenBackend::detach(unsigned domid, const std::string& why) {
  std::string prefix = "/local/domain/" + std::to_string(domid) + "/device/9pfs/";
  for (auto it = devices_.begin(); it != devices_.end();) {
    if (it->first.rfind(prefix, 0) == 0) {
      ::xs_unwatch(h_->xs, (it->first + "/state").c_str(), it->first.c_str());
      it = devices_.erase(it);  // unmaps every grant, unbinds every channel
    } else {
      ++it;
    }
  }
  std::string be =
      "/local/domain/" + std::to_string(own_domid_) + "/backend/xen_9pfs/" + std::to_string(domid);
  ::xs_rm(h_->xs, XBT_NULL, be.c_str());
  log_line("xen: guest " + attached_[domid] + " (domain " + std::to_string(domid) + ") detached: " + why);
  attached_.erase(domid);
}

void XenBackend::frontend_changed(const std::string& fe) {
  auto it = devices_.find(fe);
  if (it == devices_.end()) return;
  XenDevice& dev = *it->second;
  unsigned state = 0, be_state = 0;
  if (!xs_number(h_->xs, fe + "/state", &state)) return;  // gone: the domain is going away
  xs_number(h_->xs, dev.be() + "/state", &be_state);
  auto set_state = [&](unsigned s) {
    std::string v = std::to_string(s);
    ::xs_write(h_->xs, XBT_NULL, (dev.be() + "/state").c_str(), v.data(), unsigned(v.size()));
  };
  if (state == XenbusStateInitialised && be_state == XenbusStateInitWait && !dev.connected()) {
    auto c = dev.connect(max_rings_, max_order_);
    if (!c) {
      log_line("xen: " + dev.name() + ": cannot connect: " + c.error().message);
      dev.disconnect();
      set_state(XenbusStateClosing);
      return;
    }
    set_state(XenbusStateConnected);
    if (verbose()) log_line("xen: " + dev.name() + ": connected");
  } else if ((state == XenbusStateClosing || state == XenbusStateClosed) && be_state != XenbusStateClosed) {
    dev.disconnect();
    set_state(XenbusStateClosed);
  } else if (state == XenbusStateInitialising && be_state == XenbusStateClosed) {
    set_state(XenbusStateInitWait);  // the frontend starts again: so do we
  }
}

void XenBackend::on_xenstore() {
  for (;;) {
    char** w = ::xs_check_watch(h_->xs);
    if (w == nullptr) return;
    std::string path = w[XS_WATCH_PATH], token = w[XS_WATCH_TOKEN];
    ::free(w);
    if (token == "introduce") {
      scan_domains();
    } else if (token == "release") {
      std::vector<unsigned> gone;
      for (auto& [domid, name] : attached_)
        if (!::xs_is_domain_introduced(h_->xs, domid)) gone.push_back(domid);
      for (unsigned d : gone) detach(d, "the domain is gone");
    } else {
      frontend_changed(token);
    }
  }
}

std::vector<std::string> XenBackend::status() const {
  std::vector<std::string> lines{"xen: " + std::to_string(attached_.size()) + " guests attached, " +
                                 std::to_string(devices_.size()) + " devices"};
  for (const auto& [fe, dev] : devices_) lines.push_back("xen: " + dev->status());
  return lines;
}

void XenBackend::on_event() {
  int port = ::xenevtchn_pending(h_->evtchn);
  if (port < 0) return;
  ::xenevtchn_unmask(h_->evtchn, evtchn_port_t(port));
  for (auto& [fe, dev] : devices_) {
    if (!dev->owns_port(port)) continue;
    auto r = dev->service();
    if (r && dev->broken().empty()) return;
    std::string why = r ? dev->broken() : r.error().message;
    log_line("xen: " + dev->name() + ": closed: " + why);
    dev->disconnect();
    std::string v = std::to_string(XenbusStateClosing);
    ::xs_write(h_->xs, XBT_NULL, (dev->be() + "/state").c_str(), v.data(), unsigned(v.size()));
    return;
  }
}

}  // namespace iohost
