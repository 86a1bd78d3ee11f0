// Bitmap frame allocator (see frame_allocator.h). Pure logic; unit-tested on the host.
#include "frame_allocator.h"
#include "contract.h"

namespace kernel {

FrameAllocator::FrameAllocator(std::span<uint64_t> bitmap, uint64_t frame_count)
    : bitmap_(bitmap), frame_count_(frame_count) {
  Expects(bitmap.size() >= words_for(frame_count));
  for (uint64_t& word : bitmap_) word = ~uint64_t(0);
}

bool FrameAllocator::is_free(FrameNumber frame) const {
  return frame < frame_count_ && (bitmap_[frame / 64] & (uint64_t(1) << (frame % 64))) == 0;
}

void FrameAllocator::set(FrameNumber frame, bool used) {
  uint64_t bit = uint64_t(1) << (frame % 64);
  if (used)
    bitmap_[frame / 64] |= bit;
  else
    bitmap_[frame / 64] &= ~bit;
}

void FrameAllocator::release_range(FrameNumber first, uint64_t count) {
  for (FrameNumber f = first; f < first + count && f < frame_count_; ++f) {
    if (!is_free(f)) {
      set(f, false);
      ++free_frames_;
    }
  }
}

void FrameAllocator::reserve_range(FrameNumber first, uint64_t count) {
  for (FrameNumber f = first; f < first + count && f < frame_count_; ++f) {
    if (is_free(f)) {
      set(f, true);
      --free_frames_;
    }
  }
}

std::optional<FrameNumber> FrameAllocator::allocate(uint64_t count) {
  if (count == 0 || count > free_frames_) return std::nullopt;
  uint64_t run = 0;  // free frames seen so far, going down from `frame`
  for (FrameNumber frame = frame_count_; frame-- > 0;) {
    if (frame % 64 == 63 && bitmap_[frame / 64] == ~uint64_t(0)) {
      run = 0;  // a whole word in use: skip it
      frame -= 63;
      continue;
    }
    run = is_free(frame) ? run + 1 : 0;
    if (run == count) {
      for (FrameNumber f = frame; f < frame + count; ++f) set(f, true);
      free_frames_ -= count;
      return frame;
    }
  }
  return std::nullopt;
}

bool FrameAllocator::claim(FrameNumber first, uint64_t count) {
  if (first + count < first || first + count > frame_count_) return false;
  for (FrameNumber f = first; f < first + count; ++f)
    if (!is_free(f)) return false;
  for (FrameNumber f = first; f < first + count; ++f) set(f, true);
  free_frames_ -= count;
  return true;
}

void FrameAllocator::free(FrameNumber first, uint64_t count) {
  Expects(first + count >= first && first + count <= frame_count_);
  for (FrameNumber f = first; f < first + count; ++f) Expects(!is_free(f));
  for (FrameNumber f = first; f < first + count; ++f) set(f, false);
  free_frames_ += count;
}

}  // namespace kernel
