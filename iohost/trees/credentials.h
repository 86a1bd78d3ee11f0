// Whose file-system credentials a call on a host file runs with. Linux checks permission and
// picks a new file's owner by the calling *thread's* fsuid, fsgid and supplementary groups, so
// an export in the passthrough model (or squashed to one user) switches them around each call
// on the thread that makes it: the event loop or a worker. Never glibc's setgroups(), which
// changes every thread of the process: the raw system call changes this thread only.
#pragma once
#include <sys/types.h>
#include <memory>
#include <string>
#include <vector>
#include "p9/error.h"

namespace iohost {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups

  bool operator==(const Identity&) const = default;

  // The host's idea of user `uid`: its primary group and groups from the host's passwd and
  // group files. A uid the host does not know gets the group 65534 ("nogroup") and no others:
  // a client's supplementary groups are not in 9P2000.L, so nothing better is known.
  static Identity of_user(uid_t uid);
  // The user named `name` on the host; ENOENT if the host has no such user.
  static p9::Result<Identity> of_name(const std::string& name);
  // The credentials iohost itself runs with (its effective uid, gid and groups).
  static const Identity& process();
};

// For its lifetime, the calling thread's file-system credentials are `who` (with `gid` as the
// file-system group when not -1: the group a new file gets). Nothing happens, not even a
// system call, when the thread has them already. Restores the previous ones at the end (so
// one may nest inside another: the inner one's end gives back the outer one's).
class ActingAs {
 public:
  explicit ActingAs(const Identity* who, gid_t gid = gid_t(-1));
  ~ActingAs();
  ActingAs(const ActingAs&) = delete;
  ActingAs& operator=(const ActingAs&) = delete;
  // False if the kernel did not take them (iohost lacks CAP_SETUID/CAP_SETGID): the caller
  // must then not go on, or it would act with iohost's own power.
  bool ok() const { return ok_; }

 private:
  bool switched_ = false;
  bool ok_ = true;
  const Identity* previous_ = nullptr;  // what the thread had: null is the process's own
  gid_t previous_fsgid_ = gid_t(-1);
};

}  // namespace iohost
