// PV boot: pv_entry.S calls pv_main(start_info) in 64-bit mode on Xen's initial page tables,
// which map the image and Xen's boot data (p2m list, start_info, the page tables themselves)
// at their pseudo-physical addresses. This file brings up the console ring first (it exists
// from the first instruction), registers traps, maps the rest of memory at its pseudo-physical
// address through validated page-table updates, and hands over to kernel_main: from there on
// PV and PVH run the same code.
#include <cstring>
#include "boot/boot.h"
#include "context.h"
#include "log.h"
#include "memory/memory.h"
#include "panic.h"
#include "trap.h"
#include "traps.h"
#include "xen/console_ring.h"
#include "xen/hypercalls.h"
#include "xen/hypervisor.h"
#include "xen/pv.h"
#include "xen/shared_info.h"

extern "C" char __image_start[], __image_end[];

namespace kernel {
namespace {

constexpr uint64_t kPteAddress = 0x000ffffffffff000ull;
constexpr uint64_t kPresent = 0x1, kWritable = 0x2;
constexpr uint64_t kPageRw = 0x67;  // present, writable, user (the PV kernel is in ring 3), accessed, dirty
constexpr uint64_t kPageRo = 0x65;  // the same, read-only: how page-table pages must be mapped
constexpr uint64_t kTwoMiB = 2ull << 20;

alignas(4096) char console_window[4096];      // the console ring, mapped before the allocator exists
alignas(4096) char shared_info_window[4096];  // shared_info, likewise (events are masked through it)
char command_line[MAX_GUEST_CMDLINE + 1];
FirmwareMemoryEntry ram[1];
MemoryRange ram_ranges[2];
constinit MemoryMap memory_map{ram_ranges};

const start_info* si;
const xen_pfn_t* p2m;

long map_page(uint64_t va, uint64_t mfn, uint64_t flags) {
  return arch::hypercall(__HYPERVISOR_update_va_mapping, va, (mfn << 12) | flags, UVMF_INVLPG);
}

// Page-table pages are Xen's to write; we read them through their identity mapping, found
// from the machine frame with the M2P table Xen maps read-only for every PV guest.
uint64_t* table_of(uint64_t entry) {
  uint64_t mfn = (entry & kPteAddress) >> 12;
  uint64_t pfn = reinterpret_cast<const uint64_t*>(MACH2PHYS_VIRT_START)[mfn];
  return reinterpret_cast<uint64_t*>(pfn << 12);
}

constexpr uint64_t kOneGiB = 1ull << 30;

// Xen's page-table pages are read-only to us: every change goes through mmu_update, which is
// when Xen validates the table being hooked in.
void set_table_entry(uint64_t table_mfn, unsigned slot, uint64_t entry, const char* what, uint64_t va) {
  mmu_update_t update{(table_mfn << 12) + slot * 8 /* | MMU_NORMAL_PT_UPDATE */, entry};
  if (arch::hypercall(__HYPERVISOR_mmu_update, reinterpret_cast<uint64_t>(&update), 1, 0, DOMID_SELF) != 0)
    panic("PV: Xen refused %s for 0x%lx", what, va);
}

// A new page-table page from the mapped free pages at `*next` (below `va`, which is not mapped
// yet): zeroed, filled by `fill`, then made read-only, as Xen requires before it is used.
template <typename Fill>
uint64_t new_table(uint64_t* next, uint64_t va, Fill&& fill) {
  uint64_t pfn = (*next)++;
  if (pfn * kPageSize >= va) panic("PV: no mapped page left for a page table at 0x%lx", va);
  auto* table = reinterpret_cast<uint64_t*>(pfn * kPageSize);
  std::memset(table, 0, kPageSize);
  fill(table);
  if (map_page(pfn * kPageSize, p2m[pfn], kPageRo) != 0) panic("PV: cannot make a page table read-only");
  return p2m[pfn];
}

// Maps pseudo-physical pages [mapped_end, end) at their own addresses, a GiB (one L2 table) at a
// time. Xen's initial tables cover the image and boot data only. New tables come from the
// mapped free pages at `*next` (and then from the memory they map). One L3 table: 512 GiB.
uint64_t extend_identity_map(uint64_t* l3, uint64_t l3_mfn, uint64_t mapped_end, uint64_t end,
                             uint64_t* next) {
  uint64_t va = mapped_end;
  while (va < end) {
    unsigned gib = unsigned(va / kOneGiB);
    if (!(l3[gib] & kPresent)) {
      uint64_t mfn = new_table(next, va, [](uint64_t*) {});
      set_table_entry(l3_mfn, gib, (mfn << 12) | kPageRw, "an L2 table", va);
    }
    uint64_t l2_mfn = (l3[gib] & kPteAddress) >> 12;
    const uint64_t* l2 = table_of(l3[gib]);
    uint64_t gib_end = std::min((uint64_t(gib) + 1) * kOneGiB, end);
    while (va < gib_end) {
      unsigned slot = unsigned(va / kTwoMiB) % 512;
      uint64_t chunk_end = std::min((va / kTwoMiB + 1) * kTwoMiB, gib_end);
      if (l2[slot] & kPresent) {  // Xen's L1 covers this 2 MiB: fill in its missing pages
        for (; va < chunk_end; va += kPageSize)
          if (map_page(va, p2m[va / kPageSize], kPageRw) != 0) panic("PV: cannot map 0x%lx", va);
        continue;
      }
      uint64_t l1_mfn = new_table(next, va, [&](uint64_t* l1) {
        for (uint64_t a = va; a < chunk_end; a += kPageSize)
          l1[(a / kPageSize) % 512] = (p2m[a / kPageSize] << 12) | kPageRw;
      });
      set_table_entry(l2_mfn, slot, (l1_mfn << 12) | kPageRw, "an L1 table", va);
      va = chunk_end;
    }
  }
  return va;
}

// The first page past what Xen's initial tables map, starting from the image.
uint64_t initial_mapping_end(const uint64_t* l3) {
  uint64_t va = reinterpret_cast<uint64_t>(__image_start);
  for (;;) {
    uint64_t l3e = l3[(va / kOneGiB) % 512];
    if (!(l3e & kPresent)) break;
    uint64_t l2e = table_of(l3e)[(va / kTwoMiB) % 512];
    if (!(l2e & kPresent) || !(table_of(l2e)[(va / kPageSize) % 512] & kPresent)) break;
    va += kPageSize;
  }
  return va;
}

}  // namespace

extern "C" [[noreturn]] void pv_main(const start_info* start) {
  boot_entry_tsc = arch::rdtsc();
  si = start;
  xen::set_pv_start_info(si);
  p2m = reinterpret_cast<const xen_pfn_t*>(si->mfn_list);
  // Output first: the console ring is there from the first instruction (I/O ports are not).
  map_page(reinterpret_cast<uint64_t>(console_window), si->console.domU.mfn, kPageRw);
  xen::console_ring_early(reinterpret_cast<xencons_interface*>(console_window), si->console.domU.evtchn);
  map_page(reinterpret_cast<uint64_t>(shared_info_window), si->shared_info >> 12, kPageRw);
  auto* shared = reinterpret_cast<shared_info*>(shared_info_window);
  arch::pv_vcpu_event_bytes = reinterpret_cast<volatile uint8_t*>(&shared->vcpu_info[0]);
  arch::pv_cr2 = &shared->vcpu_info[0].arch.cr2;
  arch::disable_interrupts();
  xen::set_shared_info(shared);
  const xen::Hypervisor& xen = xen::mark_hypervisor_pv();
  if (long rc = arch::install_pv_trap_table(kernel::report_trap); rc != 0)
    panic("PV: set_trap_table failed: %ld", rc);
  log("xenos: PV guest on Xen %u.%u (%s)\n", xen.major, xen.minor, si->magic);

  // Memory: all nr_pages pseudo-physical frames are RAM; map those past the initial mapping.
  uint64_t* l4 = reinterpret_cast<uint64_t*>(si->pt_base);
  if (!(l4[0] & kPresent)) panic("PV: no initial L3 table");
  uint64_t l3_mfn = (l4[0] & kPteAddress) >> 12;
  uint64_t* l3 = table_of(l4[0]);
  uint64_t boot_data_end = (si->pt_base + si->nr_pt_frames * kPageSize + kPageSize - 1) & ~(kPageSize - 1);
  uint64_t mapped_end = initial_mapping_end(l3);
  uint64_t ram_end = si->nr_pages * kPageSize;
  uint64_t limit = std::min(ram_end, 512 * kOneGiB);  // what one L3 table maps
  uint64_t next_free = boot_data_end / kPageSize + 4;  // Xen's boot stack follows the tables
  uint64_t mapped = extend_identity_map(l3, l3_mfn, mapped_end, limit, &next_free);
  ram[0] = {0, mapped, kMemoryTypeRam};
  if (memory_map.build(ram, mapped) != MemoryMap::Outcome::kBuilt) panic("PV: no usable RAM");
  if (ram_end > mapped)
    log("memory: %lu MiB above 512 GiB not mapped (PV maps one L3 table)\n", (ram_end - mapped) >> 20);

  size_t length = strnlen(reinterpret_cast<const char*>(si->cmd_line), MAX_GUEST_CMDLINE);
  std::memcpy(command_line, si->cmd_line, length);
  command_line[length] = '\0';
  memory_init(memory_map, next_free * kPageSize);
  kernel_main(BootInfo{{command_line, length}, "xen-pv", memory_map.total_bytes()});
}

}  // namespace kernel

extern "C" [[noreturn]] void arch_pv_failsafe() {
  kernel::panic("PV: Xen's failsafe callback (a bad segment on return)");
}
