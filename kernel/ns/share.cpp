// A share's 9P session on its rings (xenos/ninep.h): the Xen frontend hands over connected
// rings (ShareRings), and this layer builds lib9p's client on them, negotiates the version and
// attaches. The frontend knows nothing of 9P; this file knows nothing of rings.
#include "xenos/ninep.h"
#include "xenos/thread.h"
#include "xenos/time.h"

namespace xenos::ninep {
namespace {

// lib9p's monitor in the kernel: one CPU and no preemption inside the client's critical
// sections (threads switch only when they wait), so lock and unlock have nothing to do.
class KernelSync final : public p9::Sync {
 public:
  void lock() override {}
  void unlock() override {}
  void wait() override { waiters_.wait(); }
  bool wait_until(uint64_t deadline_ns) override { return waiters_.wait_until(deadline_ns); }
  void wake_all() override { waiters_.wake_all(); }
  uint64_t now_ns() override { return monotonic_ns(); }

 private:
  WaitQueue waiters_;
};

}  // namespace

p9::Result<Owned<Share>> Share::open(const std::string& tag, const Options& options) {
  Owned<Share> share(new Share);
  share->transport_ = TRY(ShareRings::connect(tag, options));
  share->sync_ = Owned<p9::Sync>(new KernelSync);
  share->client_ = Owned<p9::Client>(new p9::Client(*share->transport_, *share->sync_));
  p9::MountOptions mount = options.mount;
  if (mount.msize == 0 || mount.msize > share->transport_->max_message_size())
    mount.msize = share->transport_->max_message_size();
  TRY_VOID(share->client_->mount(mount));
  return share;
}

Share::~Share() {
  client_ = {};  // clunks the root fid while the rings are still up
}

Stats Share::stats() const {
  Stats s = transport_->stats();
  s.recoveries = client_->recoveries();
  return s;
}

}  // namespace xenos::ninep
