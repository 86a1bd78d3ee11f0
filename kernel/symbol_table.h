// Reading the backtrace symbol table (.ksyms) that tools/ksyms.py writes. Pure: the kernel reads
// its own table (symbols.cpp), the host tests read an image's.
#pragma once
#include <cstdint>

namespace kernel {

struct SymbolLookup {
  bool found = false;   // false when the address is outside every known function
  uint64_t offset = 0;  // address - symbol start
  char name[192] = {};  // demangled, cut to fit (tools/ksyms.py cuts names to this already)
};

// The table as tools/ksyms.py lays it out: `count` records in `stream`, then the 255 texts of
// the bytes 1 to 255 in `tokens`.
struct SymbolTable {
  uint64_t count = 0;
  const unsigned char* stream = nullptr;
  const char* tokens = nullptr;
};

// The function `address` is in: the last record at or below it.
SymbolLookup look_up(const SymbolTable& table, uint64_t address);

}  // namespace kernel
