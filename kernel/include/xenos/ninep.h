// 9P shares from dom0 over Xen 9pfs (xen/io/9pfs.h): the devices `xl`'s p9=[...] gave this
// domain, their rings as a lib9p transport (ShareRings), and a lib9p client session on them
// (Share).
//
//   auto share = TRY(xenos::ninep::Share::open("share"));      // rings up, Tversion, Tattach
//   p9::File f = TRY(share->client().open("hello.txt", p9::kRead));
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "p9/client.h"
#include "p9/connection.h"
#include "xenos/owned.h"
#include "xenos/result.h"

namespace xenos::ninep {

struct Device {
  std::string path;     // device/9pfs/<id>
  std::string tag;      // the share's name, from xl's p9=['tag=...']
  std::string backend;  // the backend's xenstore path
  uint16_t backend_id;  // the backend's domain (read, never assumed 0)
};

// Every 9pfs device in this domain's xenstore area.
Result<std::vector<Device>> devices();

// What a share's rings may take unless told otherwise: a quarter of the memory free now.
uint64_t default_ring_budget();

struct Options {
  unsigned max_rings = 0;  // 0: as many as the backend offers
  unsigned max_order = 9;  // ring order cap (2^order pages per ring; QEMU allows 9)
  // The most memory the rings may take (the caller's budget: the namespace gives each share
  // it mounts a quarter of what is free then); never more than a quarter of what is free when
  // they are first set up; 0: that quarter. A lower order, then fewer rings, rather than no
  // share (kernel/xen/ring_budget.h). A reconnect sets up what the first connect did.
  uint64_t ring_budget_bytes = 0;
  p9::MountOptions mount;  // msize 0 here means: the largest the rings carry
  // How long open() waits for a backend to offer the tag (a backend that attaches to a running
  // domain, as iohost may); 0: the device must be there already.
  uint64_t device_wait_ns = 0;
  // Failover: devices serving the same tree (a second iohost, or iohost and QEMU), tried in
  // turn when the session must reconnect (mount.recover_within_ns) and the current backend
  // has not come back within failover_after_ns.
  std::vector<std::string> fallback_tags;
  uint64_t failover_after_ns = 3'000'000'000ull;
};

struct Stats {
  unsigned rings, order;
  size_t ring_bytes;  // per direction
  uint64_t messages_sent, messages_received;
  uint64_t recoveries;  // 9P sessions re-established after the backend broke (lib9p)
  uint64_t reconnects;  // rings set up again
  unsigned device;      // which device the rings are on: 0 the share's own, 1... its fallbacks
};

class Share;
namespace testing {  // xenos/ninep_testing.h
enum class RingAbuse;
Result<void> abuse_ring(Share&, RingAbuse);
}  // namespace testing

// The rings of one share, connected (the xenbus handshake done, both ends Connected), as
// lib9p's Transport: what a 9P session is built on. The Xen frontend (kernel/xen/
// ninep_front.cpp) knows devices, grants, event channels and rings, and nothing of 9P but a
// message's size[4]. Destroying it takes the rings down (Closing, Closed, grants ended).
class ShareRings : public p9::Transport {
 public:
  // The device tagged `tag` (waiting for it up to options.device_wait_ns), then its fallbacks
  // (options.fallback_tags), each open at most once in this domain (EBUSY).
  static p9::Result<Owned<ShareRings>> connect(const std::string& tag, const Options& options = {});
  virtual const Device& device() const = 0;  // the share's own device (not a fallback)
  virtual Stats stats() const = 0;           // recoveries: 0 (that is the session's count)
};

// One connected share: its rings and the 9P session on them (kernel/ns/share.cpp). Closing it
// (or destroying it) ends the session, then takes the rings down. The namespace mounts it as
// any p9::Connection.
class Share final : public p9::Connection {
 public:
  static p9::Result<Owned<Share>> open(const std::string& tag, const Options& options = {});
  ~Share() override;
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;

  p9::Client& client() override { return *client_; }
  std::string name() const override { return device().tag; }
  const Device& device() const { return transport_->device(); }
  Stats stats() const;

 private:
  friend Result<void> testing::abuse_ring(Share&, testing::RingAbuse);  // xenos/ninep_testing.h
  Share() = default;
  // Destroyed in reverse: the client clunks its root fid while the rings are still up, then the
  // rings close (Closing, Closed, grants ended).
  Owned<ShareRings> transport_;
  Owned<p9::Sync> sync_;
  Owned<p9::Client> client_;
};

}  // namespace xenos::ninep
