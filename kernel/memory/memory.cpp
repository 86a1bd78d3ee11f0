// Memory bring-up and the heap (see memory.h).
#include "memory.h"
#include "log.h"
#include "panic.h"

extern "C" char __image_start[], __image_end[];

namespace kernel {
namespace {

constinit FrameAllocator frame_allocator;
uint64_t heap_start, heap_top;  // heap_top is the sbrk break; frames below its page end are ours
uint64_t ram_bytes_;

uint64_t page_up(uint64_t a) { return (a + kPageSize - 1) & ~(kPageSize - 1); }
uint64_t page_down(uint64_t a) { return a & ~(kPageSize - 1); }

}  // namespace

void memory_init(const MemoryMap& map, uint64_t first_free) {
  uint64_t frame_count = map.end_address() / kPageSize;
  uint64_t bitmap_bytes = FrameAllocator::words_for(frame_count) * sizeof(uint64_t);
  uint64_t bitmap_base = page_up(first_free);
  uint64_t bitmap_end = page_up(bitmap_base + bitmap_bytes);
  bool bitmap_in_ram = false;
  for (const MemoryRange& r : map.ranges()) bitmap_in_ram |= r.base <= bitmap_base && bitmap_end <= r.end;
  if (!bitmap_in_ram) panic("no RAM right after the image for the frame bitmap (%lu bytes)", bitmap_bytes);

  auto* bitmap = reinterpret_cast<uint64_t*>(bitmap_base);
  frame_allocator = FrameAllocator({bitmap, FrameAllocator::words_for(frame_count)}, frame_count);
  for (const MemoryRange& r : map.ranges())
    frame_allocator.release_range(r.base / kPageSize, r.size() / kPageSize);
  // The first MiB holds firmware tables on bare QEMU; the image, the bitmap and boot data are ours.
  frame_allocator.reserve_range(0, 0x100000 / kPageSize);
  uint64_t image_base = page_down(reinterpret_cast<uint64_t>(__image_start));
  frame_allocator.reserve_range(image_base / kPageSize, (bitmap_end - image_base) / kPageSize);
  heap_start = heap_top = bitmap_end;
  ram_bytes_ = map.total_bytes();
  log("memory: %lu KiB RAM, %lu KiB free, image %lu KiB", map.total_bytes() / 1024,
      frame_allocator.free_frames() * 4,
      (page_up(reinterpret_cast<uint64_t>(__image_end)) - image_base) / 1024);
  if (map.ignored_bytes() != 0) log(", %lu KiB above the identity map not used", map.ignored_bytes() / 1024);
  log("\n");
}

FrameAllocator& frames() { return frame_allocator; }
uint64_t ram_bytes() { return ram_bytes_; }

void* allocate_pages(uint64_t count) {
  auto first = frame_allocator.allocate(count);
  return first ? reinterpret_cast<void*>(*first * kPageSize) : nullptr;
}

void free_pages(void* first, uint64_t count) {
  frame_allocator.free(reinterpret_cast<uint64_t>(first) / kPageSize, count);
}

void* heap_grow(intptr_t increment) {
  uint64_t old_top = heap_top;
  if (increment > 0) {
    uint64_t new_top = old_top + uint64_t(increment);
    uint64_t first = page_up(old_top) / kPageSize, last = page_up(new_top) / kPageSize;
    if (last > first && !frame_allocator.claim(first, last - first)) return nullptr;
    heap_top = new_top;
  } else if (increment < 0) {
    uint64_t shrink = uint64_t(-increment);
    if (shrink > old_top - heap_start) return nullptr;
    uint64_t new_top = old_top - shrink;
    uint64_t first = page_up(new_top) / kPageSize, last = page_up(old_top) / kPageSize;
    if (last > first) frame_allocator.free(first, last - first);
    heap_top = new_top;
  }
  return reinterpret_cast<void*>(old_top);
}

uint64_t heap_bytes() { return heap_top - heap_start; }

}  // namespace kernel
