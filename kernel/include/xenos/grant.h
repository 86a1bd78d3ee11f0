// Grant tables (v1): let another domain map or copy one of our frames. A Grant owns its
// reference: access ends when it goes out of scope. Ending fails with EBUSY while the peer
// still has the page mapped; a Grant destroyed in that state keeps the reference (and the
// caller must keep the frame) rather than let the peer write into reused memory.
#pragma once
#include <cstdint>
#include <utility>
#include "xenos/event_channel.h"
#include "xenos/result.h"

namespace xenos {

enum class GrantAccess { kReadOnly, kReadWrite };

class Grant {
 public:
  static Result<Grant> share(DomainId peer, uint64_t frame, GrantAccess access);

  Grant() = default;
  Grant(Grant&& other) : ref_(std::exchange(other.ref_, kNoRef)) {}
  Grant& operator=(Grant&& other);
  Grant(const Grant&) = delete;
  Grant& operator=(const Grant&) = delete;
  ~Grant();

  uint32_t ref() const { return ref_; }
  bool valid() const { return ref_ != kNoRef; }
  Result<void> end();  // EBUSY while mapped by the peer; then the grant stays valid

 private:
  static constexpr uint32_t kNoRef = ~0u;
  explicit Grant(uint32_t ref) : ref_(ref) {}
  void release();  // end() if it is ours, for the destructor and move-assignment
  uint32_t ref_ = kNoRef;
};

// Copies `length` bytes at `offset` of the page another domain granted us (GNTTABOP_copy; no
// mapping). `out` must not cross a page boundary. Fails once the granter has ended the grant.
Result<void> copy_from_grant(DomainId granter, uint32_t ref, uint16_t offset, void* out, uint16_t length);

struct GrantTableInfo {
  uint32_t frames, max_frames, refs_in_use, refs_free;
};
GrantTableInfo grant_table_info();

}  // namespace xenos
