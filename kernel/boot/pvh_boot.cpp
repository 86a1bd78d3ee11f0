// PVH boot: pvh_entry.S calls pvh_main(start_info) in long mode on the boot stack. This file
// turns hvm_start_info into the memory map and command line, then hands over to kernel_main.
#include <cstring>
#include "boot/boot.h"
#include "log.h"
#include "memory/memory.h"
#include "panic.h"
#include "traps.h"
#include "xen/hypercalls.h"
#include "xen/hypervisor.h"
#include "boot_layout.h"
#include "cpu.h"

extern "C" char __image_end[];

namespace kernel {
namespace {

constexpr size_t kMaxFirmwareEntries = 256;  // Xen's E820MAX is 128; QEMU gives < 10
FirmwareMemoryEntry firmware_entries[kMaxFirmwareEntries];
MemoryRange ram_ranges[kMaxFirmwareEntries];
char command_line[4096];
constinit MemoryMap memory_map{ram_ranges};  // constinit: used before constructors run

// hvm_start_info v1 carries the map; older starts get Xen's E820 through XENMEM_memory_map.
size_t read_firmware_map(const hvm_start_info& si) {
  if (si.version >= 1 && si.memmap_paddr != 0 && si.memmap_entries != 0) {
    if (si.memmap_entries > kMaxFirmwareEntries)
      panic("start_info memmap has %u entries, more than the %zu we can hold", si.memmap_entries,
            kMaxFirmwareEntries);
    auto* table = reinterpret_cast<const hvm_memmap_table_entry*>(si.memmap_paddr);
    for (uint32_t i = 0; i < si.memmap_entries; ++i)
      firmware_entries[i] = {table[i].addr, table[i].size, table[i].type};
    return si.memmap_entries;
  }
  if (!xen::hypervisor().present)
    panic("no memory map: start_info v%u has none and Xen is absent", si.version);
  struct [[gnu::packed]] E820Entry {
    uint64_t addr, size;
    uint32_t type;
  };
  static E820Entry e820[kMaxFirmwareEntries];
  xen_memory_map request{};
  request.nr_entries = kMaxFirmwareEntries;
  set_xen_guest_handle(request.buffer, e820);
  long rc = xen::memory_op(XENMEM_memory_map, &request);
  if (rc != 0) panic("XENMEM_memory_map failed: %ld", rc);
  for (uint32_t i = 0; i < request.nr_entries; ++i)
    firmware_entries[i] = {e820[i].addr, e820[i].size, e820[i].type};
  return request.nr_entries;
}

}  // namespace

extern "C" [[noreturn]] void pvh_main(uint64_t start_info_paddr) {
  boot_entry_tsc = arch::rdtsc();
  traps_init();
  const xen::Hypervisor& xen = xen::detect_hypervisor();
  if (xen.present)
    log("xenos: PVH guest on Xen %u.%u\n", xen.major, xen.minor);
  else
    log("xenos: PVH boot without Xen (bare QEMU)\n");

  auto* si = reinterpret_cast<const hvm_start_info*>(start_info_paddr);
  if (si == nullptr || si->magic != XEN_HVM_START_MAGIC_VALUE)
    panic("bad hvm_start_info at 0x%lx (magic 0x%x)", start_info_paddr, si ? si->magic : 0);

  size_t entries = read_firmware_map(*si);
  MemoryMap::Outcome error = memory_map.build({firmware_entries, entries}, IDENTITY_MAPPED_BYTES);
  if (error == MemoryMap::Outcome::kNoRam) panic("memory map lists no usable RAM");
  if (error == MemoryMap::Outcome::kTooManyRanges) panic("memory map has too many RAM ranges");

  // The loader puts start_info, the memmap and the command line in RAM right after the image,
  // where the frame bitmap and heap go. The map is already copied; copy the command line too,
  // and from then on the boot data's pages are free RAM like any other.
  const char* cmdline = si->cmdline_paddr ? reinterpret_cast<const char*>(si->cmdline_paddr) : "";
  size_t cmdline_length = strnlen(cmdline, sizeof command_line);
  if (cmdline_length == sizeof command_line)
    panic("command line longer than %zu bytes (Xen allows %d)", sizeof command_line - 1, MAX_GUEST_CMDLINE);
  std::memcpy(command_line, cmdline, cmdline_length + 1);

  memory_init(memory_map, reinterpret_cast<uint64_t>(__image_end));
  kernel_main(BootInfo{
      {command_line, cmdline_length}, xen.present ? "xen-pvh" : "pvh-no-xen", memory_map.total_bytes()});
}

}  // namespace kernel
