// Per-thread file-system credentials (see credentials.h).
#include "credentials.h"
#include <grp.h>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>

namespace iohost {
namespace {

constexpr gid_t kNoGroup = 65534;

// The groups of the host user `name` with primary group `gid`; at most 256 (NGROUPS is 65536,
// but a longer list is an administrator's mistake, not a reason to allocate without end).
std::vector<gid_t> groups_of(const char* name, gid_t gid) {
  std::vector<gid_t> groups(256);
  int n = int(groups.size());
  if (::getgrouplist(name, gid, groups.data(), &n) < 0) n = int(groups.size());
  groups.resize(size_t(n));
  return groups;
}

// What this thread has now: null is the process's own credentials.
thread_local const Identity* t_current = nullptr;
thread_local gid_t t_fsgid = gid_t(-1);

// Moves this thread from `from` (file-system group `from_fsgid`) to `to`, changing only what
// differs: under a PV dom0 every system call is a trip through Xen, and setgroups() also makes
// new credentials, so a call whose client is iohost's own user costs nothing.
bool apply(const Identity& from, gid_t from_fsgid, const Identity& to, gid_t to_fsgid) {
  // Groups first, while the fsuid may still be root's; the raw call: this thread only.
  if (from.groups != to.groups && syscall(SYS_setgroups, to.groups.size(), to.groups.data()) < 0)
    return false;
  if (from_fsgid != to_fsgid) {
    ::setfsgid(to_fsgid);
    // setfsuid/setfsgid return the previous id whatever happened: read back what holds now.
    if (gid_t(::setfsgid(gid_t(-1))) != to_fsgid) return false;
  }
  if (from.uid != to.uid) {
    ::setfsuid(to.uid);
    if (uid_t(::setfsuid(uid_t(-1))) != to.uid) return false;
  }
  return true;
}

}  // namespace

Identity Identity::of_user(uid_t uid) {
  if (uid == process().uid) return process();  // iohost's own user: exactly its credentials
  Identity id{uid, kNoGroup, {}};
  std::vector<char> buffer(16384);
  struct passwd pw, *found = nullptr;
  if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) == 0 && found) {
    id.gid = pw.pw_gid;
    id.groups = groups_of(pw.pw_name, pw.pw_gid);
  }
  return id;
}

p9::Result<Identity> Identity::of_name(const std::string& name) {
  std::vector<char> buffer(16384);
  struct passwd pw, *found = nullptr;
  if (::getpwnam_r(name.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 || !found)
    return p9::Error{ENOENT, "no user \"" + name + "\" on this host"};
  return Identity{pw.pw_uid, pw.pw_gid, groups_of(pw.pw_name, pw.pw_gid)};
}

const Identity& Identity::process() {
  static const Identity self = [] {
    Identity id{::geteuid(), ::getegid(), {}};
    int n = ::getgroups(0, nullptr);
    if (n > 0) {
      id.groups.resize(size_t(n));
      n = ::getgroups(n, id.groups.data());
      id.groups.resize(size_t(n > 0 ? n : 0));
    }
    return id;
  }();
  return self;
}

ActingAs::ActingAs(const Identity* who, gid_t gid) {
  const Identity& self = Identity::process();
  if (!who) who = &self;
  gid_t fsgid = gid == gid_t(-1) ? who->gid : gid;
  previous_ = t_current;
  previous_fsgid_ = t_fsgid;
  const Identity& now = t_current ? *t_current : self;
  gid_t now_fsgid = t_current ? t_fsgid : self.gid;
  if (now == *who && now_fsgid == fsgid) return;
  ok_ = apply(now, now_fsgid, *who, fsgid);
  t_current = who;
  t_fsgid = fsgid;
  switched_ = true;
}

ActingAs::~ActingAs() {
  if (!switched_) return;
  const Identity& self = Identity::process();
  const Identity& back = previous_ ? *previous_ : self;
  gid_t back_fsgid = previous_ ? previous_fsgid_ : self.gid;
  if (ok_) {
    apply(*t_current, t_fsgid, back, back_fsgid);
  } else {  // a switch that stopped halfway: back in full
    ::syscall(SYS_setgroups, back.groups.size(), back.groups.data());
    ::setfsgid(back_fsgid);
    ::setfsuid(back.uid);
  }
  t_current = previous_;
  t_fsgid = previous_fsgid_;
}

}  // namespace iohost
