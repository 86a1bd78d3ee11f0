// The guest's physical memory after boot: the frame allocator over all RAM and the heap that
// newlib's malloc grows through sbrk.
#pragma once
#include <cstdint>
#include <span>
#include "frame_allocator.h"
#include "memory_map.h"

namespace kernel {

// Builds the frame allocator (its bitmap goes in the first RAM after the image) and starts the
// heap right above it. Boot data the loader left in RAM must have been copied out before.
void memory_init(const MemoryMap& map);

FrameAllocator& frames();

// sbrk for newlib: grows or shrinks the heap; nullptr when the frames above it are taken.
void* heap_grow(intptr_t increment);
uint64_t heap_bytes();

}  // namespace kernel
