// Barriers for memory shared with another domain (rings, grant entries, Xen's time records),
// spelled as xen/io/ring.h and Linux spell them. xen_rmb: earlier loads before later loads;
// xen_wmb: earlier stores before later stores; xen_mb: everything before everything, needed
// where a load must not pass a store (x86 lets it) or a store a load (as when reading indexes
// and then writing into the space they free, or reading data and then giving its space back).
// x86 keeps loads in order and stores in order, so rmb and wmb only stop the compiler; another
// CPU defines these three and the ring code stays as it is.
#pragma once

#define xen_mb() asm volatile("mfence" ::: "memory")
#define xen_rmb() asm volatile("" ::: "memory")
#define xen_wmb() asm volatile("" ::: "memory")
