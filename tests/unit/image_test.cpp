// Checks the built image the way loaders will read it: the Xen notes sit in their own
// 4-byte-aligned PT_NOTE (QEMU rejects an 8-aligned one) and the PVH entry note names the
// 32-bit entry point. The image path comes from $XENOS_IMAGE (make check sets it).
#include <elf.h>
#include <gtest/gtest.h>
#include "elf_bytes.h"
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>
#include <xen/elfnote.h>

namespace {
std::vector<char> read_image() {
  const char* path = std::getenv("XENOS_IMAGE");
  if (path == nullptr) return {};
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

template <typename T>
T at(const std::vector<char>& image, size_t offset) {
  return p9test::elf_at<T>(image, offset);
}
}  // namespace

TEST(Image, XenNotesHaveTheirOwnFourByteAlignedSegmentWithThePvhAndPvEntries) {
  std::vector<char> image = read_image();
  if (image.empty()) GTEST_SKIP() << "XENOS_IMAGE not set";
  auto ehdr = at<Elf64_Ehdr>(image, 0);
  ASSERT_EQ(std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG), 0);
  ASSERT_EQ(ehdr.e_machine, EM_X86_64);
  int note_segments = 0;
  bool found_entry = false, found_pv_entry = false, found_hypercall_page = false;
  for (unsigned i = 0; i < ehdr.e_phnum; ++i) {
    auto ph = at<Elf64_Phdr>(image, ehdr.e_phoff + i * ehdr.e_phentsize);
    if (ph.p_type != PT_NOTE) continue;
    ++note_segments;
    EXPECT_EQ(ph.p_align, 4u);
    for (size_t off = ph.p_offset; off + sizeof(Elf64_Nhdr) <= ph.p_offset + ph.p_filesz;) {
      auto nh = at<Elf64_Nhdr>(image, off);
      size_t name_off = off + sizeof nh, desc_off = name_off + ((nh.n_namesz + 3) & ~3u);
      EXPECT_EQ(std::string(image.data() + name_off), "Xen");
      if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY) {
        found_entry = true;
        EXPECT_EQ(nh.n_descsz, 4u);
        EXPECT_EQ(at<uint32_t>(image, desc_off), ehdr.e_entry);
      }
      if (nh.n_type == XEN_ELFNOTE_ENTRY) {  // PV: a 64-bit address inside the image
        found_pv_entry = true;
        uint64_t entry = at<uint64_t>(image, desc_off);
        EXPECT_GT(entry, 0x100000u);
        EXPECT_LT(entry, 0x100000u + image.size());
      }
      if (nh.n_type == XEN_ELFNOTE_HYPERCALL_PAGE) {
        found_hypercall_page = true;
        EXPECT_EQ(at<uint64_t>(image, desc_off) % 4096, 0u);
      }
      off = desc_off + ((nh.n_descsz + 3) & ~3u);
    }
  }
  EXPECT_EQ(note_segments, 1);
  EXPECT_TRUE(found_entry);
  EXPECT_TRUE(found_pv_entry);  // the same image boots PV
  EXPECT_TRUE(found_hypercall_page);
  EXPECT_EQ(ehdr.e_entry, 0x100000u);  // the 32-bit entry is the first byte of the image
}
