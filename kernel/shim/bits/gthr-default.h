/* The guest has no POSIX threads for libstdc++: use the single-threaded gthreads model. */
#include <bits/gthr-single.h>
