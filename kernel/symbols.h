// The kernel's own symbol table (.ksyms, generated from the first link pass) for backtraces.
#pragma once
#include <cstdint>
#include "symbol_table.h"

namespace kernel {

SymbolLookup symbolize(uint64_t address);

// Prints "  #n 0x... name+0x..." for each frame of the rbp chain starting at `frame_pointer`.
void print_backtrace(uint64_t rip, uint64_t frame_pointer);

}  // namespace kernel
