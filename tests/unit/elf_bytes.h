// Reading a built image's ELF in host tests (image_test.cpp, symbol_table_test.cpp): a field of
// type T at a byte offset, refused past the end instead of read out of bounds.
#pragma once
#include <cstring>
#include <stdexcept>
#include <vector>

namespace p9test {

template <typename T>
T elf_at(const std::vector<char>& bytes, size_t offset) {
  T value;
  if (offset + sizeof(T) > bytes.size()) throw std::out_of_range("ELF read past the end");
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace p9test
