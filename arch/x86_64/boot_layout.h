/* Constants shared by the boot assembly and C++ (page-table bits, control registers, GDT). */
#pragma once

#define PTE_PRESENT_RW 0x3
#define PTE_PRESENT_RW_LARGE 0x83 /* present, writable, 2 MiB page */
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define BOOT_STACK_SIZE (64 * 1024)
#define IDENTITY_MAPPED_BYTES (4ULL << 30) /* what pvh_entry.S maps */
