// Grant table v1 for a PVH guest: GNTTABOP_query_size says how far the table may grow; each
// frame is placed in our physical space with XENMEM_add_to_physmap(XENMAPSPACE_grant_table),
// one more whenever the free refs run out, up to the domain's limit.
#include "grant_table.h"
#include <cerrno>
#include <vector>
#include "context.h"
#include "grant_end.h"
#include "grant_refs.h"
#include "hypercalls.h"
#include "pv.h"
#include "log.h"
#include "memory/memory.h"
#include "xenos/grant.h"

namespace xen {
namespace {

struct Table {
  GrantRefs refs;
  std::vector<grant_entry_v1_t*> frames;
  uint32_t max_frames = 0;
};
Table* table;

xenos::Result<void> grow() {
  uint32_t index = uint32_t(table->frames.size());
  if (index >= table->max_frames) return xenos::Error{ENOSPC, "grant table: at the domain's limit"};
  if (pv_start_info()) {
    // PV: GNTTABOP_setup_table grows the table and lists its frames by MFN; map the new one.
    std::vector<xen_pfn_t> list(index + 1);
    gnttab_setup_table_t setup{};
    setup.dom = DOMID_SELF;
    setup.nr_frames = index + 1;
    set_xen_guest_handle(setup.frame_list, list.data());
    if (grant_table_op(GNTTABOP_setup_table, &setup, 1) != 0 || setup.status != GNTST_okay)
      return xenos::Error{ENOSPC, "grant table: GNTTABOP_setup_table refused to grow"};
    void* mapped = pv_map_machine_frame(list[index]);
    if (!mapped) return xenos::Error{ENOMEM, "grant table: cannot map a frame (PV)"};
    table->frames.push_back(static_cast<grant_entry_v1_t*>(mapped));
    table->refs.add_frame();
    return {};
  }
  auto frame = kernel::frames().allocate();
  if (!frame) return xenos::Error{ENOMEM, "grant table: no frame to grow into"};
  long rc = add_to_physmap(XENMAPSPACE_grant_table, index, *frame);
  if (rc != 0) {
    kernel::frames().free(*frame);
    return xenos::Error{int(-rc), "grant table: XENMAPSPACE_grant_table refused"};
  }
  table->frames.push_back(reinterpret_cast<grant_entry_v1_t*>(*frame * kernel::kPageSize));
  table->refs.add_frame();
  return {};
}

grant_entry_v1_t& entry(uint32_t ref) {
  return table->frames[ref / GrantRefs::kEntriesPerFrame][ref % GrantRefs::kEntriesPerFrame];
}

}  // namespace

xenos::Result<void> grant_table_init() {
  gnttab_query_size_t q{};
  q.dom = DOMID_SELF;
  long rc = grant_table_op(GNTTABOP_query_size, &q, 1);
  if (rc != 0 || q.status != GNTST_okay) return xenos::Error{EIO, "grant table: GNTTABOP_query_size failed"};
  table = new Table;
  table->max_frames = q.max_nr_frames;
  // Map the frames Xen already set up for us, at least one.
  for (uint32_t i = 0; i < (q.nr_frames ? q.nr_frames : 1); ++i) TRY_VOID(grow());
  return {};
}

}  // namespace xen

namespace xenos {

Result<Grant> Grant::share(DomainId peer, uint64_t frame, GrantAccess access) {
  std::optional<uint32_t> ref;
  {
    arch::InterruptGuard guard;
    ref = xen::table->refs.take();
  }
  if (!ref) {
    TRY_VOID(xen::grow());
    arch::InterruptGuard guard;
    ref = xen::table->refs.take();
    if (!ref) return Error{ENOSPC, "grant table: no free reference"};
  }
  grant_entry_v1_t& e = xen::entry(*ref);
  e.domid = peer;
  e.frame = uint32_t(xen::gfn_of(frame));  // PVH: our guest frame number; PV: its MFN
  xen_wmb();                               // domid and frame are in place before the flags say so
  e.flags = GTF_permit_access | (access == GrantAccess::kReadOnly ? GTF_readonly : 0);
  return Grant(*ref);
}

Result<void> Grant::end() {
  if (ref_ == kNoRef) return {};
  if (!xen::try_end_access(&xen::entry(ref_).flags))
    return Error{EBUSY, "grant: the peer still maps the page"};
  arch::InterruptGuard guard;
  xen::table->refs.give_back(ref_);
  ref_ = kNoRef;
  return {};
}

Grant& Grant::operator=(Grant&& other) {
  if (this != &other) {
    release();
    ref_ = std::exchange(other.ref_, kNoRef);
  }
  return *this;
}

Grant::~Grant() { release(); }

void Grant::release() {
  if (ref_ == kNoRef) return;
  if (Result<void> r = end(); !r) {
    kernel::log("grant: ref %u still mapped by the peer at release; kept, not reused\n", ref_);
    ref_ = kNoRef;  // the entry stays granted and out of the free list; this object lets go
  }
}

Result<void> copy_from_grant(DomainId granter, uint32_t ref, uint16_t offset, void* out, uint16_t length) {
  uint64_t address = reinterpret_cast<uint64_t>(out);
  if (offset + length > kernel::kPageSize || (address % kernel::kPageSize) + length > kernel::kPageSize)
    return Error{EINVAL, "grant copy: range crosses a page"};
  gnttab_copy_t op{};
  op.source.u.ref = ref;
  op.source.domid = granter;
  op.source.offset = offset;
  op.dest.u.gmfn = xen::gfn_of(address / kernel::kPageSize);
  op.dest.domid = DOMID_SELF;
  op.dest.offset = uint16_t(address % kernel::kPageSize);
  op.len = length;
  op.flags = GNTCOPY_source_gref;
  long rc = xen::grant_table_op(GNTTABOP_copy, &op, 1);
  if (rc != 0) return Error{EIO, "grant copy: GNTTABOP_copy failed"};
  if (op.status == GNTST_permission_denied || op.status == GNTST_bad_gntref)
    return Error{EPERM, "grant copy: the grant does not allow it"};
  if (op.status != GNTST_okay) return Error{EIO, "grant copy: refused"};
  return {};
}

GrantTableInfo grant_table_info() {
  if (!xen::table) return {};
  return {uint32_t(xen::table->frames.size()), xen::table->max_frames, xen::table->refs.in_use(),
          xen::table->refs.free_count()};
}

}  // namespace xenos
