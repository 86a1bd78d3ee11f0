// The kernel's own symbol table (.ksyms, generated from the first link pass) for backtraces.
#pragma once
#include <cstdint>

namespace kernel {

struct SymbolLookup {
  bool found = false;   // false when the address is outside every known function
  uint64_t offset = 0;  // address - symbol start
  char name[192] = {};  // demangled, cut to fit
};

SymbolLookup symbolize(uint64_t address);

// Prints "  #n 0x... name+0x..." for each frame of the rbp chain starting at `frame_pointer`.
void print_backtrace(uint64_t rip, uint64_t frame_pointer);

}  // namespace kernel
