// Grant table v1 for a PVH guest: GNTTABOP_query_size says how far the table may grow; each
// frame is placed in our physical space with XENMEM_add_to_physmap(XENMAPSPACE_grant_table),
// one more whenever the free refs run out, up to the domain's limit.
#include "grant_table.h"
#include <cerrno>
#include <vector>
#include "context.h"
#include "grant_refs.h"
#include "hypercalls.h"
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
  e.frame = uint32_t(frame);  // PVH: a guest frame number
  asm volatile("" ::: "memory");  // domid and frame are in place before the flags say so
  e.flags = GTF_permit_access | (access == GrantAccess::kReadOnly ? GTF_readonly : 0);
  return Grant(*ref);
}

Result<void> Grant::end() {
  if (ref_ == kNoRef) return {};
  grant_entry_v1_t& e = xen::entry(ref_);
  uint16_t flags = e.flags;
  do {  // grant_table.h: clear the flags only if the peer is not reading or writing
    if (flags & (GTF_reading | GTF_writing)) return Error{EBUSY, "grant: the peer still maps the page"};
  } while (!__atomic_compare_exchange_n(&e.flags, &flags, uint16_t(0), false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST));
  arch::InterruptGuard guard;
  xen::table->refs.give_back(ref_);
  ref_ = kNoRef;
  return {};
}

Grant& Grant::operator=(Grant&& other) {
  if (this != &other) {
    this->~Grant();
    ref_ = std::exchange(other.ref_, kNoRef);
  }
  return *this;
}

Grant::~Grant() {
  if (ref_ == kNoRef) return;
  if (Result<void> r = end(); !r)
    kernel::log("grant: ref %u still mapped by the peer at release; kept, not reused\n", ref_);
}

GrantTableInfo grant_table_info() {
  if (!xen::table) return {};
  return {uint32_t(xen::table->frames.size()), xen::table->max_frames, xen::table->refs.in_use(),
          xen::table->refs.free_count()};
}

}  // namespace xenos
