/* newlib has no <sys/dirent.h> for a bare target; this is xenos's (kernel/posix/dirent.cpp). */
#ifndef _SYS_DIRENT_H
#define _SYS_DIRENT_H
#include <sys/types.h>

typedef struct __xenos_dir DIR;

#define DT_UNKNOWN 0
#define DT_CHR 2
#define DT_DIR 4
#define DT_REG 8
#define MAXNAMLEN 255

struct dirent {
  ino_t d_ino;
  unsigned char d_type;
  char d_name[MAXNAMLEN + 1];
};

#endif
