/* POSIX thread types for xenos. Shadows newlib's sys/_pthreadtypes.h (this folder is searched
 * first), whose types are handles into a table an RTOS keeps; ours hold their state in place,
 * so the static initializers need no allocation. Field names are private (__x): the layout is
 * the ABI between apps and kernel/posix/pthread.cpp (which checks it against the kernel's
 * wait queue). */
#ifndef _SYS__PTHREADTYPES_H_
#define _SYS__PTHREADTYPES_H_

#include <sys/sched.h>

typedef unsigned long pthread_t; /* the thread's record; 0 is no thread */

typedef struct {
  void* __head; /* a kernel wait queue: the threads blocked here, in order */
  void* __tail;
} __xenos_wait_queue;

typedef struct {
  int __detached;
  unsigned long __stack_size;
} pthread_attr_t;

typedef struct {
  int __kind;       /* PTHREAD_MUTEX_NORMAL, _RECURSIVE, _ERRORCHECK */
  unsigned __count; /* how often the owner holds it */
  void* __owner;    /* the holding kernel thread, or 0 */
  __xenos_wait_queue __waiters;
} pthread_mutex_t;

typedef struct {
  int __kind;
} pthread_mutexattr_t;

typedef struct {
  __xenos_wait_queue __waiters;
  int __clock; /* what a timed wait's deadline is measured on; 0 is CLOCK_REALTIME */
} pthread_cond_t;

typedef struct {
  int __clock;
} pthread_condattr_t;

typedef unsigned pthread_key_t;

typedef struct {
  int __state; /* 0 not run, 1 running, 2 done */
} pthread_once_t;

#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1

#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT PTHREAD_MUTEX_NORMAL

#define PTHREAD_PROCESS_PRIVATE 0
#define PTHREAD_PROCESS_SHARED 1

#define _PTHREAD_MUTEX_INITIALIZER {PTHREAD_MUTEX_NORMAL, 0, 0, {0, 0}}
#define _PTHREAD_COND_INITIALIZER {{0, 0}, 0 /* 0: CLOCK_REALTIME, the default */}
#define _PTHREAD_ONCE_INIT {0}

#endif
