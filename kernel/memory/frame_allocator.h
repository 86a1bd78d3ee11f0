// Physical frame allocator: one bit per 4 KiB frame (set = in use). Frames are handed out from
// the top of memory down, so the heap, which grows up from the image by claiming the frames
// right above it, and everything else meet in the middle and neither fragments the other.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace kernel {

using FrameNumber = uint64_t;

class FrameAllocator {
 public:
  static constexpr size_t words_for(uint64_t frame_count) { return (frame_count + 63) / 64; }

  FrameAllocator() = default;
  // Every frame starts in use; release_range() makes RAM available.
  FrameAllocator(std::span<uint64_t> bitmap, uint64_t frame_count);

  void release_range(FrameNumber first, uint64_t count);  // mark free (boot: usable RAM)
  void reserve_range(FrameNumber first, uint64_t count);  // mark used (boot: image, tables)

  // `count` contiguous frames, the highest such run; nullopt when none is free.
  std::optional<FrameNumber> allocate(uint64_t count = 1);
  // Takes exactly [first, first+count) if every frame there is free (the heap grows this way).
  bool claim(FrameNumber first, uint64_t count);
  // Gives frames back. Freeing a frame that is not in use is a contract violation.
  void free(FrameNumber first, uint64_t count = 1);

  uint64_t free_frames() const { return free_frames_; }
  uint64_t frame_count() const { return frame_count_; }
  bool is_free(FrameNumber frame) const;

 private:
  void set(FrameNumber frame, bool used);

  std::span<uint64_t> bitmap_;
  uint64_t frame_count_ = 0;
  uint64_t free_frames_ = 0;
};

}  // namespace kernel
