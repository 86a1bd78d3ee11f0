/* newlib's <sys/stat.h>, and what it declares only for other targets: lstat (and mknod), and
   the special times of futimens/utimensat. xenos has them (kernel/posix/files.cpp). */
#ifndef _XENOS_SYS_STAT_H
#define _XENOS_SYS_STAT_H
#include_next <sys/stat.h>

#ifndef UTIME_NOW
#define UTIME_NOW -2L
#define UTIME_OMIT -1L
#endif

#ifdef __cplusplus
extern "C" {
#endif
int lstat(const char *__restrict __path, struct stat *__restrict __buf);
int lchown(const char *__path, uid_t __owner, gid_t __group);
#ifdef __cplusplus
}
#endif

#endif
