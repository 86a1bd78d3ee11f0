/* The host's libstdc++ os_defines.h asks glibc's features.h for __GLIBC_PREREQ; newlib has none. */
#pragma once
#define __GLIBC_PREREQ(major, minor) 0
