/* Force-included in guest C++: undo the parts of the host c++config.h that assume glibc. */
#pragma once
#ifdef __cplusplus
#include <bits/c++config.h>
#undef _GLIBCXX_HAVE_LINUX_FUTEX
#undef _GLIBCXX_HAS_GTHREADS
#undef _GLIBCXX_USE_C99_MATH_TR1
#undef _GLIBCXX_HAVE_TIMESPEC_GET
#endif
