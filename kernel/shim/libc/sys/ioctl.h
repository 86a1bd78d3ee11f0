/* newlib has no <sys/ioctl.h> for a bare target; this is xenos's (kernel/posix/process.cpp).
   No device here takes an ioctl: every request fails with ENOTTY, as Linux answers a request
   a file does not know. */
#ifndef _SYS_IOCTL_H
#define _SYS_IOCTL_H

#ifdef __cplusplus
extern "C" {
#endif
int ioctl(int __fd, unsigned long __request, ...);
#ifdef __cplusplus
}
#endif

#endif
