/* What an application may ask the kernel directly (the rest goes through libc).
 * C and C++; this is the kernel's only public header for apps. */
#ifndef XENOS_SYSTEM_H
#define XENOS_SYSTEM_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xenos_memory_info {
  uint64_t ram_bytes;  /* usable RAM the domain was given */
  uint64_t free_bytes; /* frames not yet handed out */
  uint64_t heap_bytes; /* current size of the malloc heap */
};
void xenos_memory_info(struct xenos_memory_info* info);

/* Every 9pfs share's traffic since boot, summed over its rings: a benchmark reads it before
 * and after its calls to count their round trips and notifications. */
struct xenos_9p_traffic {
  uint64_t requests;      /* 9P requests put on a ring */
  uint64_t replies;       /* replies taken off a ring */
  uint64_t notifications; /* event-channel notifications sent to backends */
  uint64_t events;        /* ring events received from backends */
};
void xenos_9p_traffic(struct xenos_9p_traffic* traffic);

/* "xen-pvh" on Xen, "pvh-no-xen" when booted directly by QEMU -kernel. */
const char* xenos_platform(void);

/* Xen's version as (major << 16) | minor, from the XENVER_version hypercall; 0 without Xen. */
uint32_t xenos_xen_version(void);

/* Asks Xen to reboot the domain (xl's on_reboot decides what happens); does not return.
 * Without Xen it exits with status 0. */
void xenos_reboot(void) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
#endif
