/* newlib has no <sys/mman.h> for a bare target; this is xenos's (kernel/posix/memory_map.cpp).
   All of a guest's memory is one address space, mapped once: mmap hands out zeroed pages
   (anonymous) or a private copy of a file's bytes (MAP_PRIVATE); a file cannot be mapped
   shared (9P has no coherent shared mappings): that is ENODEV. */
#ifndef _SYS_MMAN_H
#define _SYS_MMAN_H
#include <sys/types.h>

#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_ANON MAP_ANONYMOUS
#define MAP_FAILED ((void *)-1)

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

#ifdef __cplusplus
extern "C" {
#endif
void *mmap(void *__addr, size_t __length, int __prot, int __flags, int __fd, off_t __offset);
int munmap(void *__addr, size_t __length);
int msync(void *__addr, size_t __length, int __flags);
#ifdef __cplusplus
}
#endif

#endif
