// A Xen 9pfs device's rings on plain memory (see ring_channel.h).
#include "ring_channel.h"
#include <bit>
#include <cerrno>
#include "common/flex_ring.h"
#include "p9/codec.h"

extern "C" {
#include <xen/io/9pfs.h>
}

namespace iohost {

p9::Result<std::unique_ptr<RingChannel>> RingChannel::over(xen_9pfs_data_intf& intf, std::span<std::byte> data,
                                                           uint32_t msize, std::function<void()> notify) {
  // The flex ring's index arithmetic masks with size - 1: anything else would copy out of bounds.
  if (data.size() < 2 || !std::has_single_bit(data.size()) || data.size() / 2 > UINT32_MAX)
    return p9::Error{EINVAL, "9pfs: a ring's data is not two halves of a power of two"};
  return std::unique_ptr<RingChannel>(new RingChannel(intf, data, msize, std::move(notify)));
}

RingChannel::RingChannel(xen_9pfs_data_intf& intf, std::span<std::byte> data, uint32_t msize,
                         std::function<void()> notify)
    : intf_(intf), in_(data.data()), out_(data.data() + data.size() / 2), ring_size_(uint32_t(data.size() / 2)),
      msize_(msize), notify_(std::move(notify)) {}

p9::Result<void> RingChannel::read_requests(const RequestHandler& handle) {
  const volatile std::byte* out = out_;
  bool consumed = false;
  // Back-pressure: while this ring's replies wait for room, its requests wait too. A guest
  // that sends without ever reading its replies stalls itself, not iohost's memory.
  while (waiting_.empty()) {
    uint32_t cons = __atomic_load_n(&intf_.out_cons, __ATOMIC_RELAXED);
    uint32_t prod = __atomic_load_n(&intf_.out_prod, __ATOMIC_ACQUIRE);  // the index before the data
    xen::NextMessage next = xen::next_message(out, ring_size_, cons, prod, msize_);
    if (next.state == xen::NextMessage::kHostile) return p9::Error{EPROTO, next.why};
    if (next.state != xen::NextMessage::kReady) break;  // nothing, or the rest is still coming
    std::vector<std::byte> request(next.size);
    xen::flex_read(out, ring_size_, cons, request);
    // The copy is ours: give the space back at once, so the guest can send more meanwhile.
    __atomic_store_n(&intf_.out_cons, cons + next.size, __ATOMIC_RELEASE);
    consumed = true;
    if (TRY(handle(request)) == AfterRequest::kStop) return {};  // this ring may be gone: touch nothing
  }
  if (consumed) notify_();
  return {};
}

p9::Result<void> RingChannel::send(std::vector<std::byte> reply) {
  // The session keeps replies within msize, half the smallest ring; one larger than the ring
  // could never be published and would stall the ring for good.
  if (reply.size() > ring_size_) return p9::Error{EMSGSIZE, "9pfs: a reply is larger than the ring"};
  waiting_.push_back(std::move(reply));
  return flush_replies();
}

p9::Result<void> RingChannel::flush_replies() {
  volatile std::byte* in = in_;
  bool wrote = false;
  size_t done = 0;
  for (; done < waiting_.size(); ++done) {
    const std::vector<std::byte>& reply = waiting_[done];
    uint32_t cons = __atomic_load_n(&intf_.in_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(&intf_.in_prod, __ATOMIC_RELAXED);
    auto queued = xen::flex_queued(prod, cons, ring_size_);
    if (!queued) return p9::Error{EPROTO, queued.error().message};
    if (ring_size_ - *queued < reply.size()) break;  // the guest makes room and notifies us
    xen::flex_write(in, ring_size_, prod, reply);
    __atomic_store_n(&intf_.in_prod, prod + uint32_t(reply.size()), __ATOMIC_RELEASE);  // published whole
    wrote = true;
  }
  waiting_.erase(waiting_.begin(), waiting_.begin() + long(done));
  if (wrote) notify_();
  return {};
}

void DeviceRings::add(std::unique_ptr<RingChannel> ring) {
  if (rings_.size() == kMaxRings) {
    if (broken_.empty()) broken_ = "more than " + std::to_string(kMaxRings) + " rings on one device";
    return;
  }
  rings_.push_back(std::move(ring));
}

p9::Result<void> DeviceRings::service(const RequestHandler& handle) {
  if (!broken_.empty()) return p9::Error{EIO, broken_};
  for (size_t i = 0; i < rings_.size(); ++i) {
    TRY_VOID(rings_[i]->flush_replies());
    bool stopped = false;
    TRY_VOID(rings_[i]->read_requests([&](std::span<const std::byte> request) -> p9::Result<AfterRequest> {
      // next_message framed it: at least a 9P header, so the tag is there. Noted before the
      // request is served: an inline reply is sent from inside `handle`.
      ring_of_tag_[p9::read_le16(request.data() + 5)] = uint8_t(i);
      AfterRequest after = TRY(handle(request));
      if (after == AfterRequest::kStop) {
        stopped = true;  // we may be gone too: touch nothing
        return after;
      }
      if (!broken_.empty()) return p9::Error{EIO, broken_};
      return after;
    }));
    if (stopped) return {};
  }
  return {};
}

void DeviceRings::send(std::vector<std::byte> reply, uint16_t lane) {
  if (rings_.empty()) return;
  size_t ring = ring_of_tag_[lane];  // 0 for a tag never seen
  if (auto sent = rings_[ring]->send(std::move(reply)); !sent && broken_.empty()) broken_ = sent.error().message;
}

}  // namespace iohost
