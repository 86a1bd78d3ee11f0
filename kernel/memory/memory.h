// The guest's physical memory after boot: the frame allocator over all RAM and the heap that
// newlib's malloc grows through sbrk.
#pragma once
#include <cstdint>
#include <span>
#include "frame_allocator.h"
#include "memory_map.h"

namespace kernel {

// Builds the frame allocator (its bitmap goes in the first RAM at or after `first_free`, which
// is the image's end for PVH and the end of Xen's boot data for PV) and starts the heap right
// above it. Everything below `first_free` stays reserved; boot data above it must have been
// copied out before.
void memory_init(const MemoryMap& map, uint64_t first_free);

FrameAllocator& frames();
uint64_t ram_bytes();  // the RAM the memory map gave, used or not

// Whole pages (thread stacks), identity-mapped; nullptr when no run of `count` frames is free.
void* allocate_pages(uint64_t count);
void free_pages(void* first, uint64_t count);

// sbrk for newlib: grows or shrinks the heap; nullptr when the frames above it are taken.
void* heap_grow(intptr_t increment);
uint64_t heap_bytes();

}  // namespace kernel
