/* The kernel itself is built against the host's C++ headers and has no use for libstdc++'s threads
 * (its own are kernel/sched): the single-threaded gthreads model. Apps get POSIX gthreads. */
#include <bits/gthr-single.h>
