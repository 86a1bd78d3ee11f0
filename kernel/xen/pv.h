// What differs when the guest is PV rather than PVH, for the Xen services that care: where
// start_info is, how a frame of ours is named to Xen and peers (an MFN through the p2m list,
// instead of the guest frame number), and how a foreign machine page is put in our space.
#pragma once
#include <cstdint>
#include "xen_headers.h"

namespace xen {

// Non-null when booted as PV (set by boot/pv_boot.cpp before anything else runs).
const start_info* pv_start_info();
void set_pv_start_info(const start_info* si);

// The frame number Xen and other domains know our frame `pfn` by: the pfn itself for PVH (a
// guest frame number), its MFN for PV.
uint64_t gfn_of(uint64_t pfn);

// PV: maps machine frame `mfn` at the virtual address of a frame taken from the allocator for
// the purpose (its RAM stays ours, unused), returns that address; 0 on failure.
void* pv_map_machine_frame(uint64_t mfn);

}  // namespace xen
