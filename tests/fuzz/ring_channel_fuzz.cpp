// libFuzzer target: iohost's Xen 9pfs rings (iohost/transport/ring_channel.cpp) against a guest
// that does anything the shared pages allow: requests honest or not, size fields below a
// header or above msize or the ring, out_prod far ahead or going backwards, in_cons anywhere,
// replies that do not fit, replies to tags never seen. Two rings, so the lane is exercised.
// Checked: every request handed on frames as 9P within msize and the ring and lay between the
// indexes; out_cons moves by exactly what was handed on; in_prod moves by whole replies and
// never over what the guest has not read; a guest reading honestly finds every reply on the
// ring its request came on, in the order sent. ASan checks every copy stays in the pages.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <vector>
#include "common/flex_ring.h"
#include "transport/ring_channel.h"

extern "C" {
#include <xen/io/9pfs.h>
}

namespace {

// The fuzzer's bytes, taken in order; zeros once they run out.
struct Input {
  const uint8_t* at;
  size_t left;
  bool done() const { return left == 0; }
  uint8_t u8() {
    if (left == 0) return 0;
    --left;
    return *at++;
  }
  uint16_t u16() {
    uint16_t low = u8();
    return uint16_t(low | u8() << 8);
  }
  uint32_t u32() {
    uint32_t low = u16();
    return low | uint32_t(u16()) << 16;
  }
};

uint32_t le32(const std::byte* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint16_t le16(const std::byte* p) { return uint16_t(uint16_t(p[0]) | uint16_t(p[1]) << 8); }

// A well-framed 9P message of `size` bytes (at least a header).
std::vector<std::byte> framed(uint16_t tag, size_t size, uint8_t type) {
  std::vector<std::byte> m(size < 7 ? 7 : size, std::byte(0xa5));
  uint32_t n = uint32_t(m.size());
  for (int i = 0; i < 4; ++i) m[size_t(i)] = std::byte(n >> (8 * i));
  m[4] = std::byte(type);
  m[5] = std::byte(tag & 0xff);
  m[6] = std::byte(tag >> 8);
  return m;
}

// One ring's shared memory and what the guest expects of it.
struct Ring {
  explicit Ring(uint32_t size) : size(size), data(2 * size_t(size)) {}
  uint32_t size;
  std::unique_ptr<xen_9pfs_data_intf> intf = std::make_unique<xen_9pfs_data_intf>();
  std::vector<std::byte> data;  // exactly the pages: ASan sees any copy outside them
  bool in_cons_honest = true;   // the guest has only ever read whole replies
  std::deque<uint16_t> expected;  // tags of replies sent here, oldest first
  uint32_t cons_seen = 0;         // out_cons as iohost last left it
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  Input in{bytes, size};
  uint32_t ring_size = 1u << (6 + in.u8() % 6);  // 64 B .. 2 KiB: every op reaches the wrap
  uint32_t msize = (in.u8() & 1) ? 2 * ring_size : ring_size / 2;  // also past the ring
  std::vector<std::unique_ptr<Ring>> rings;
  iohost::DeviceRings device;
  for (int i = 0; i < 2; ++i) {
    auto& r = *rings.emplace_back(std::make_unique<Ring>(ring_size));
    r.intf->out_cons = r.intf->out_prod = in.u32();
    r.intf->in_cons = r.intf->in_prod = in.u32();
    r.cons_seen = r.intf->out_cons;
    auto channel = iohost::RingChannel::over(*r.intf, r.data, msize, [] {});
    if (!channel) std::abort();
    device.add(std::move(*channel));
  }
  std::map<uint16_t, size_t> ring_of_tag;  // what the lane must do, kept independently

  // iohost sends a reply: it lands behind the others of its request's ring (or ring 0).
  auto send = [&](uint16_t tag, size_t length) {
    auto it = ring_of_tag.find(tag);
    Ring& r = *rings[it == ring_of_tag.end() ? 0 : it->second];
    uint32_t prod = r.intf->in_prod;
    std::vector<std::byte> m = framed(tag, length, 101);
    bool fits_the_ring = m.size() <= r.size;
    device.send(std::move(m), tag);
    if (r.intf->in_prod != prod && uint32_t(r.intf->in_prod - r.intf->in_cons) > r.size) std::abort();
    if (fits_the_ring) r.expected.push_back(tag);
  };

  // DeviceRings::service hands on each request with the ring it came from already consumed:
  // the one ring whose out_cons moved since iohost last left it.
  auto handle = [&](std::span<const std::byte> request) -> p9::Result<iohost::AfterRequest> {
    size_t index = rings.size();
    for (size_t i = 0; i < rings.size(); ++i)
      if (rings[i]->intf->out_cons != rings[i]->cons_seen) {
        if (index != rings.size()) std::abort();  // two rings consumed for one request
        index = i;
      }
    if (index == rings.size()) std::abort();  // handed on without being consumed
    Ring& r = *rings[index];
    uint32_t cons_before = r.cons_seen;
    if (request.size() < 7 || request.size() > msize || request.size() > r.size) std::abort();
    if (le32(request.data()) != request.size()) std::abort();                       // frames as 9P
    if (r.intf->out_cons != cons_before + uint32_t(request.size())) std::abort();   // consumed exactly it
    if (uint32_t(r.intf->out_prod - cons_before) < request.size()) std::abort();    // lay between the indexes
    if (uint32_t(r.intf->out_prod - cons_before) > r.size) std::abort();            // ...which were believable
    r.cons_seen = r.intf->out_cons;
    uint16_t tag = le16(request.data() + 5);
    ring_of_tag[tag] = index;
    if (uint8_t(request[4]) & 1) send(tag, 7 + uint8_t(request[4]) % 64);  // answered inline
    return iohost::AfterRequest::kReadMore;
  };

  for (int ops = 0; ops < 512 && !in.done(); ++ops) {
    uint8_t op = in.u8();
    Ring& r = *rings[op >> 7];
    switch (op % 8) {
      case 0: {  // the guest sends bytes (a request, part of one, or garbage) and publishes them
        size_t n = in.u8() % (r.size + 1);
        std::vector<std::byte> chunk(n);
        for (auto& b : chunk) b = std::byte(in.u8());
        if (n >= 4 && (op & 0x40)) {  // a size field that frames it honestly
          for (int i = 0; i < 4; ++i) chunk[size_t(i)] = std::byte(uint32_t(n) >> (8 * i));
        }
        if (uint32_t(r.intf->out_prod - r.intf->out_cons) + n > r.size) break;  // an honest guest waits
        xen::flex_write(r.data.data() + r.size, r.size, r.intf->out_prod, chunk);
        r.intf->out_prod += uint32_t(n);
        break;
      }
      case 1:  // out_prod anywhere: far ahead, backwards, a little
        r.intf->out_prod = (op & 0x40) ? in.u32() : r.intf->out_prod + uint32_t(int8_t(in.u8()));
        break;
      case 2:  // in_cons anywhere
        r.intf->in_cons = (op & 0x40) ? in.u32() : r.intf->in_cons + uint32_t(int8_t(in.u8()));
        r.in_cons_honest = false;
        break;
      case 3: {  // the guest reads its replies honestly
        for (;;) {
          xen::NextMessage next =
              xen::next_message(r.data.data(), r.size, r.intf->in_cons, r.intf->in_prod, r.size);
          if (next.state != xen::NextMessage::kReady) {
            // Replies are published whole and framed: an honest reader never sees part of one.
            if (next.state != xen::NextMessage::kNone && r.in_cons_honest) std::abort();
            break;
          }
          std::vector<std::byte> m(next.size);
          xen::flex_read(r.data.data(), r.size, r.intf->in_cons, m);
          r.intf->in_cons += next.size;
          if (r.in_cons_honest) {  // on its lane, in the order sent
            if (r.expected.empty() || r.expected.front() != le16(m.data() + 5)) std::abort();
            r.expected.pop_front();
          }
        }
        break;
      }
      case 4:
      case 5:  // a notification: replies that now fit, then requests; an Error closes the device
        if (!device.service(handle)) return 0;
        break;
      case 6: {  // a reply from the worker pool, later: any tag, seen or not, any size
        uint16_t tag = in.u16();
        send(tag, size_t(in.u8()) * 5);
        break;
      }
      case 7: {  // the guest sends a well-formed request with a chosen tag, if it has room
        size_t n = 7 + in.u8() % r.size;
        uint16_t tag = in.u16();
        std::vector<std::byte> request = framed(tag, n, in.u8());
        if (uint32_t(r.intf->out_prod - r.intf->out_cons) + request.size() > r.size) break;
        xen::flex_write(r.data.data() + r.size, r.size, r.intf->out_prod, request);
        r.intf->out_prod += uint32_t(request.size());
        break;
      }
    }
    if (!device.broken().empty()) return 0;
  }
  return 0;
}
