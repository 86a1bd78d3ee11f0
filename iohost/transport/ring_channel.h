// The rings of one Xen 9pfs device as iohost serves them (xen/io/9pfs.h): requests come in on
// each ring's "out" half, replies go back on its "in" half. Pure logic on plain memory: the
// interface page and the data pages (mapped by the caller, or a test's buffers) and a notify
// callback, nothing of libxen*. Every index and size field is the guest's and may be hostile;
// the arithmetic is common/flex_ring.cpp's, which the guest's frontend uses too. The Xen glue
// (xenstore, grant mapping, event channels) is xen_backend.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include "p9/error.h"

struct xen_9pfs_data_intf;  // xen/io/9pfs.h: the indexes and ring_order

namespace iohost {

// What the caller's handler says after one request: read the next, or stop at once (the
// device went away under it: the ring may be gone).
enum class AfterRequest { kReadMore, kStop };
using RequestHandler = std::function<p9::Result<AfterRequest>(std::span<const std::byte> request)>;

// One ring. Requests are copied out whole and out_cons advanced at once, so the guest can queue
// more while they are served. Replies are published whole (in_prod moves only after all of a
// reply is written: Linux reads size[4] bytes as soon as a header is visible) and in the order
// they were sent; one that does not fit waits, and so do the ring's requests meanwhile.
class RingChannel {
 public:
  // `data`: the ring's data pages, the in half then the out half (XEN_FLEX_RING_SIZE bytes
  // each), so a power of two. `msize`: the largest request the session takes. `notify`: tell
  // the guest that this ring moved (its event channel).
  static p9::Result<std::unique_ptr<RingChannel>> over(xen_9pfs_data_intf& intf, std::span<std::byte> data,
                                                       uint32_t msize, std::function<void()> notify);

  // Hands every whole request to `handle`, in ring order, until the ring holds no whole one or
  // replies wait for room. Notifies once afterwards if any was taken. An Error: the ring broke
  // the protocol (or `handle` failed); the device is done.
  p9::Result<void> read_requests(const RequestHandler& handle);
  // Queues `reply` behind those waiting and publishes what fits.
  p9::Result<void> send(std::vector<std::byte> reply);
  // Publishes the waiting replies that fit, in order; notifies if it wrote any.
  p9::Result<void> flush_replies();

  size_t waiting_replies() const { return waiting_.size(); }
  uint32_t ring_size() const { return ring_size_; }

 private:
  RingChannel(xen_9pfs_data_intf& intf, std::span<std::byte> data, uint32_t msize, std::function<void()> notify);

  xen_9pfs_data_intf& intf_;
  std::byte* in_;   // replies
  std::byte* out_;  // requests
  uint32_t ring_size_;
  uint32_t msize_;
  std::function<void()> notify_;
  std::vector<std::vector<std::byte>> waiting_;  // replies waiting for room, oldest first
};

// A device's rings. 9pfs.h leaves the ring to the frontend: Linux and xenos send a request on
// ring tag % rings; iohost answers on the ring the request came on, whatever ring that was. The
// reply's tag is its lane (p9::ReplySink::send), so no reply is read to route it.
class DeviceRings {
 public:
  // At most kMaxRings: a ring's number is a byte in the tag table. One more marks the device
  // broken() (the next service() fails); the backend offers 8 (`max-rings`).
  static constexpr size_t kMaxRings = 256;
  void add(std::unique_ptr<RingChannel> ring);
  size_t size() const { return rings_.size(); }
  RingChannel& ring(size_t index) { return *rings_[index]; }

  // A notification: on each ring, publish waiting replies, then read requests. An Error
  // (a ring broke the protocol, a reply could not be published, `handle` failed): close the
  // device. Stops at once when `handle` says kStop.
  p9::Result<void> service(const RequestHandler& handle);
  // A reply, on the ring its request (tag `lane`) came on; ring 0 for a tag never seen. A ring
  // that cannot take it marks the device broken(): the next service() fails with that.
  void send(std::vector<std::byte> reply, uint16_t lane);
  // Why a reply could not be published ("" while none failed).
  const std::string& broken() const { return broken_; }

 private:
  std::vector<std::unique_ptr<RingChannel>> rings_;
  // The ring each tag last came on: a fixed table, 64 KiB a device whatever the guest does (a
  // map grew with every tag a guest cycled through, to ~3 MiB a device outside any budget).
  std::vector<uint8_t> ring_of_tag_ = std::vector<uint8_t>(size_t(1) << 16, 0);
  std::string broken_;
};

}  // namespace iohost
