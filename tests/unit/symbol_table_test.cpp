// The backtrace table in a built image (tools/ksyms.py wrote it, kernel/symbol_table.cpp reads
// it): every function the image's symbol table has is found at its own address, C names come
// back exactly, C++ ones as demangled without parameters. The image comes from $XENOS_IMAGE.
#include "symbol_table.h"
#include <elf.h>
#include <gtest/gtest.h>
#include "elf_bytes.h"
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

struct Image {
  std::vector<char> bytes;
  std::multimap<uint64_t, std::string> functions;  // symbols in .text, by address
  kernel::SymbolTable table;
};

template <typename T>
T at(const std::vector<char>& bytes, size_t offset) {
  return p9test::elf_at<T>(bytes, offset);
}

bool load(Image& image) {
  const char* path = std::getenv("XENOS_IMAGE");
  if (path == nullptr) return false;
  std::ifstream in(path, std::ios::binary);
  image.bytes.assign(std::istreambuf_iterator<char>(in), {});
  const auto& b = image.bytes;
  auto ehdr = at<Elf64_Ehdr>(b, 0);
  auto section = [&](unsigned i) { return at<Elf64_Shdr>(b, ehdr.e_shoff + i * ehdr.e_shentsize); };
  auto names = section(ehdr.e_shstrndx);
  unsigned text = 0, ksyms = 0, symtab = 0;
  for (unsigned i = 0; i < ehdr.e_shnum; ++i) {
    std::string name = b.data() + names.sh_offset + section(i).sh_name;
    if (name == ".text") text = i;
    if (name == ".ksyms") ksyms = i;
    if (section(i).sh_type == SHT_SYMTAB) symtab = i;
  }
  if (!text || !ksyms || !symtab) throw std::runtime_error("no .text, .ksyms or symbol table");
  auto ks = section(ksyms), st = section(symtab), strings = section(st.sh_link);
  auto in_ksyms = [&](uint64_t address) { return b.data() + ks.sh_offset + (address - ks.sh_addr); };
  for (size_t off = st.sh_offset; off + sizeof(Elf64_Sym) <= st.sh_offset + st.sh_size;
       off += sizeof(Elf64_Sym)) {
    auto sym = at<Elf64_Sym>(b, off);
    std::string name = b.data() + strings.sh_offset + sym.st_name;
    if (name == "ksyms_count") std::memcpy(&image.table.count, in_ksyms(sym.st_value), 8);
    if (name == "ksyms_stream")
      image.table.stream = reinterpret_cast<const unsigned char*>(in_ksyms(sym.st_value));
    if (name == "ksyms_tokens") image.table.tokens = in_ksyms(sym.st_value);
    int type = ELF64_ST_TYPE(sym.st_info);
    if (sym.st_shndx == text && !name.empty() && (type == STT_FUNC || type == STT_NOTYPE))
      image.functions.emplace(sym.st_value, name);
  }
  return true;
}

TEST(SymbolTable, FindsEveryFunctionOfTheImageAtItsAddressAndByItsName) {
  Image image;
  if (!load(image)) GTEST_SKIP() << "XENOS_IMAGE not set";
  ASSERT_GT(image.table.count, 500u);
  ASSERT_NE(image.table.stream, nullptr);
  ASSERT_NE(image.table.tokens, nullptr);
  size_t c_names = 0;
  for (auto it = image.functions.begin(); it != image.functions.end(); ++it) {
    auto [address, name] = *it;
    kernel::SymbolLookup s = kernel::look_up(image.table, address);
    ASSERT_TRUE(s.found) << name;
    EXPECT_EQ(s.offset, 0u) << name;
    auto next = image.functions.upper_bound(address);
    if (next == image.functions.end() || next->first >= address + 4) {
      EXPECT_EQ(kernel::look_up(image.table, address + 3).offset, 3u) << name;
    }
    if (image.functions.count(address) == 1 && name.compare(0, 2, "_Z") != 0) {
      EXPECT_STREQ(s.name, name.c_str());
      ++c_names;
    }
  }
  EXPECT_GT(c_names, 50u);  // newlib's functions, the entry points
  // C++ names: demangled, without the parameters.
  size_t cxx_names = 0;
  for (auto [address, name] : image.functions) {
    if (name.rfind("_ZN6kernel11kernel_main", 0) == 0 || name.rfind("_ZN2p96Client7recover", 0) == 0) {
      std::string want = name.rfind("_ZN6", 0) == 0 ? "kernel::kernel_main" : "p9::Client::recover";
      EXPECT_STREQ(kernel::look_up(image.table, address).name, want.c_str());
      ++cxx_names;
    }
  }
  EXPECT_EQ(cxx_names, 2u);
  EXPECT_FALSE(kernel::look_up(image.table, 0x1000).found);  // below the image
}

}  // namespace
