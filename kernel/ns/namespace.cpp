// The namespace (see namespace.h). Pure logic over FileServer; unit-tested on the host.
#include "ns/namespace.h"
#include <algorithm>
#include <cerrno>
#include <optional>

namespace ns {
namespace {

// "/a/b" is under "/a" and under "/"; "/ab" is not under "/a".
bool is_under(const std::string& path, const std::string& point) {
  if (point == "/") return true;
  return path.size() >= point.size() && path.compare(0, point.size(), point) == 0 &&
         (path.size() == point.size() || path[point.size()] == '/');
}

std::string join(const std::string& base, const std::string& rest) {
  if (rest.empty()) return base;
  if (base.empty()) return rest;
  return base + "/" + rest;
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// "/a/b" + "c" -> "/a/b/c"; "/" + "c" -> "/c".
std::string child_of(const std::string& dir, std::string_view name) {
  return (dir == "/" ? "/" : dir + "/") + std::string(name);
}

bool missing_on_the_way(const Error& e) { return e.code == ENOENT || e.code == ENOTDIR; }

}  // namespace

std::string clean_path(std::string_view path, std::string_view cwd) {
  std::string full =
      path.empty() || path[0] != '/' ? std::string(cwd) + "/" + std::string(path) : std::string(path);
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= full.size()) {
    size_t j = full.find('/', i);
    if (j == std::string::npos) j = full.size();
    std::string part = full.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();  // lexical: never above "/", never into a server's parent
    } else if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    i = j + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::vector<Namespace::Target> Namespace::resolve(const std::string& path) const {
  const Mount* best = nullptr;
  for (const Mount& m : mounts_)
    if (is_under(path, m.point) && (!best || m.point.size() > best->point.size())) best = &m;
  std::vector<Target> out;
  if (!best) return out;
  std::string rest =
      best->point == "/" ? path.substr(1) : path.substr(std::min(path.size(), best->point.size() + 1));
  for (const Member& mem : best->members) out.push_back({mem.server, join(mem.path, rest), mem.create});
  return out;
}

bool Namespace::above_a_mount(const std::string& path) const {
  for (const Mount& m : mounts_)
    if (m.point != path && is_under(m.point, path)) return true;
  return false;
}

bool Namespace::uses(const FileServer* server) const {
  for (const Mount& m : mounts_)
    for (const Member& mem : m.members)
      if (mem.server == server) return true;
  return false;
}

Namespace::Mount* Namespace::mount_at(const std::string& point) {
  for (Mount& m : mounts_)
    if (m.point == point) return &m;
  return nullptr;
}

// ---- building the namespace -----------------------------------------------------------------

Result<void> Namespace::attach(const std::string& where, std::vector<Member> added, int flags) {
  Mount* m = mount_at(where);
  std::vector<Member> existing;
  if ((flags & MORDER) != MREPL) {  // a union with what is there now
    if (m)
      existing = m->members;
    else
      for (const Target& t : resolve(where)) existing.push_back({t.server, t.path, t.create});
  }
  std::vector<Member> members = (flags & MORDER) == MAFTER ? existing : added;
  const std::vector<Member>& rest = (flags & MORDER) == MAFTER ? added : existing;
  members.insert(members.end(), rest.begin(), rest.end());
  if (m)
    m->members = std::move(members);
  else
    mounts_.push_back({where, std::move(members)});
  return {};
}

Result<void> Namespace::mount(FileServer* server, std::string_view server_path, std::string_view point,
                              int flags) {
  std::string inside = clean_path(server_path).substr(1);  // server paths have no leading '/'
  return attach(clean_path(point, cwd_), {{server, inside, (flags & MCREATE) != 0}}, flags);
}

Result<void> Namespace::bind(std::string_view new_path, std::string_view old_path, int flags) {
  std::string from = clean_path(new_path, cwd_);
  std::vector<Target> targets = resolve(from);
  if (targets.empty()) return Error{ENOENT, "bind: nothing at \"" + from + "\""};
  TRY_VOID(stat(from));       // it must exist to be bound
  std::vector<Member> added;  // all of new's union members come along, in their order
  for (const Target& t : targets) added.push_back({t.server, t.path, (flags & MCREATE) != 0});
  return attach(clean_path(old_path, cwd_), std::move(added), flags);
}

Result<void> Namespace::unmount(std::string_view new_path, std::string_view old_path) {
  std::string where = clean_path(old_path, cwd_);
  Mount* m = mount_at(where);
  if (!m) return Error{EINVAL, "unmount: nothing is mounted at \"" + where + "\""};
  if (new_path.empty()) {
    mounts_.erase(mounts_.begin() + (m - mounts_.data()));
    return {};
  }
  std::string from = clean_path(new_path, cwd_);
  std::vector<Target> gone = resolve(from);
  size_t before = m->members.size();
  std::erase_if(m->members, [&](const Member& mem) {
    for (const Target& t : gone)
      if (t.server == mem.server && t.path == mem.path) return true;
    return false;
  });
  if (m->members.size() == before)
    return Error{EINVAL, "unmount: \"" + from + "\" is not bound at \"" + where + "\""};
  if (m->members.empty()) mounts_.erase(mounts_.begin() + (m - mounts_.data()));
  return {};
}

Result<void> Namespace::chdir(std::string_view path) {
  Found f = TRY(find(path, true));  // the directory's own path, links followed (as getcwd says)
  if (!f.attr) return f.missing;
  if (!f.attr->is_dir()) return Error{ENOTDIR, "chdir: \"" + f.path + "\" is not a directory"};
  cwd_ = f.path;
  return {};
}

// ---- finding what a path names --------------------------------------------------------------

Result<Namespace::Found> Namespace::look_up(const std::string& p) {
  std::optional<Error> first_error;
  for (const Target& t : resolve(p)) {
    auto a = t.server->stat(t.path);
    if (a) return Found{p, *a, t};
    if (!first_error || (first_error->code == ENOENT && a.error().code != ENOENT)) first_error = a.error();
  }
  if (above_a_mount(p)) {  // a directory made only of mount points below it
    Attr a;
    a.mode = kModeDir | 0555;
    a.nlink = 2;
    return Found{p, a};
  }
  if (first_error) return *first_error;
  return Error{ENOENT, "no such file: \"" + p + "\""};
}

// One lookup when nothing on the way is a link and the path exists; one more when it does not
// but its directory does (a create). Only when that directory is missing too are the
// directories on the way looked at one by one, for a link the server did not follow.
Result<Namespace::Found> Namespace::find(std::string_view path, bool follow_last) {
  std::string p = clean_path(path, cwd_);
  int links = 0;
  auto through = [&](const Found& link, const std::string& rest) -> Result<std::string> {
    if (++links > kMaxLinks)
      return Error{ELOOP, "too many symbolic links (more than " + std::to_string(kMaxLinks) + ") in \"" +
                              std::string(path) + "\""};
    if (!link.where.server) return Error{EIO, "a link without a server at \"" + link.path + "\""};
    std::string target = TRY(link.where.server->readlink(link.where.path));
    if (target.empty()) return Error{ENOENT, "the symbolic link \"" + link.path + "\" is empty"};
    std::string to = clean_path(target, parent_of(link.path));
    return rest.empty() ? to : clean_path(rest, to);
  };
  for (;;) {
    auto here = look_up(p);
    if (here) {
      if (!follow_last || !here->attr->is_link()) return here;
      p = TRY(through(*here, ""));
      continue;
    }
    if (!missing_on_the_way(here.error()) || p == "/") return Found{p, {}, {}, here.error()};
    std::string dir = parent_of(p);
    auto up = look_up(dir);
    if (up && up->attr->is_dir()) return Found{p, {}, {}, here.error()};  // just not there
    // Walk down from the root to the first directory on the way that is missing or a link.
    std::string at = "/", rest = p.substr(1);
    bool expanded = false;
    while (!rest.empty()) {
      size_t slash = rest.find('/');
      if (slash == std::string::npos) break;  // the last name: looked up above
      std::string next = child_of(at, rest.substr(0, slash));
      rest = rest.substr(slash + 1);
      auto step = look_up(next);
      if (!step) return Found{p, {}, {}, step.error()};
      if (step->attr->is_link()) {
        p = TRY(through(*step, rest));
        expanded = true;
        break;
      }
      if (!step->attr->is_dir())
        return Found{p, {}, {}, Error{ENOTDIR, "\"" + next + "\" is not a directory"}};
      at = next;
    }
    if (!expanded) return Found{p, {}, {}, here.error()};
  }
}

// ---- using it -------------------------------------------------------------------------------

Result<Attr> Namespace::stat(std::string_view path) {
  Found f = TRY(find(path, true));
  if (!f.attr) return f.missing;
  return *f.attr;
}

Result<Attr> Namespace::lstat(std::string_view path) {
  Found f = TRY(find(path, false));
  if (!f.attr) return f.missing;
  return *f.attr;
}

Result<std::string> Namespace::real_path(std::string_view path) {
  Found f = TRY(find(path, true));
  if (!f.attr) return f.missing;
  return f.path;
}

Result<xenos::Owned<OpenFile>> Namespace::open(std::string_view path, uint32_t mode, uint32_t perm) {
  bool exclusive = (mode & kCreate) && (mode & kExclusive);
  // The common case in one walk and one open (issue 33): a path one server holds (no union),
  // with no symbolic link on the way or at its end. A 9P walk follows no link, and the server
  // is told to refuse one at the end (kNoFollow) rather than open it. Whatever else it says
  // (a link, a missing directory, any error) sends the open the general way below, which
  // looks at each step, follows links and says exactly what is wrong; a failed first try
  // changed nothing (a create happens only where the walk to its directory succeeded).
  if (!exclusive && !(mode & kDirectory)) {
    std::string p = clean_path(path, cwd_);
    std::vector<Target> targets = resolve(p);
    if (targets.size() == 1 && !above_a_mount(p)) {
      auto file = targets.front().server->open(targets.front().path, mode | kNoFollow, perm);
      if (file) return file;
    }
  }
  // O_CREAT|O_EXCL fails on any link, even one to nothing; O_NOFOLLOW on any link.
  Found f = TRY(find(path, !exclusive && !(mode & kNoFollow)));
  const std::string& p = f.path;
  mode &= ~kNoFollow;
  if (f.attr) {
    if (exclusive) return Error{EEXIST, "open: \"" + p + "\" exists"};
    if (f.attr->is_link()) return Error{ELOOP, "open: \"" + p + "\" is a symbolic link (O_NOFOLLOW)"};
    if ((mode & kDirectory) && !f.attr->is_dir()) return Error{ENOTDIR, "open: \"" + p + "\" is not a directory"};
    if (f.attr->is_dir() && (mode & kWrite)) return Error{EISDIR, "open: \"" + p + "\" is a directory"};
    if (!f.where.server) return Error{EISDIR, "open: \"" + p + "\" holds only mount points"};
    return f.where.server->open(f.where.path, mode & ~(kCreate | kExclusive), perm);
  }
  if (f.missing.code != ENOENT) return f.missing;
  if (!(mode & kCreate)) return Error{ENOENT, "open: no such file: \"" + p + "\""};
  // create(5) in a union goes to the first member that accepts creates (MCREATE); a plain
  // mount point with one member always does.
  std::vector<Target> targets = resolve(p);
  for (const Target& t : targets)
    if (t.create || targets.size() == 1) return t.server->open(t.path, mode, perm);
  if (targets.empty()) return Error{ENOENT, "open: nothing is mounted where \"" + p + "\" would be"};
  return Error{EROFS, "open: no member of the union at \"" + parent_of(p) + "\" takes creates (MCREATE)"};
}

Result<std::vector<Entry>> Namespace::list(std::string_view path) {
  Found f = TRY(find(path, true));
  const std::string& p = f.path;
  std::vector<Entry> out;
  auto add = [&](Entry e) {
    for (const Entry& have : out)
      if (have.name == e.name) return;  // union: the first member's entry hides the rest
    out.push_back(std::move(e));
  };
  bool any = false;
  std::optional<Error> first_error;
  for (const Target& t : resolve(p)) {
    auto entries = t.server->list(t.path);
    if (!entries) {
      if (!first_error) first_error = entries.error();
      continue;
    }
    any = true;
    for (Entry& e : *entries) add(std::move(e));
  }
  for (const Mount& m : mounts_) {  // mount points directly below show as directories
    if (m.point == p || !is_under(m.point, p)) continue;
    std::string rest = m.point.substr(p == "/" ? 1 : p.size() + 1);
    add({rest.substr(0, rest.find('/')), true, 0});
    any = true;
  }
  if (!any) return first_error ? *first_error : Error{ENOENT, "no such directory: \"" + p + "\""};
  return out;
}

const Namespace::Target* Namespace::creating_member(const std::vector<Target>& targets) {
  for (const Target& t : targets)
    if (t.create || targets.size() == 1) return &t;
  return nullptr;
}

Result<void> Namespace::mkdir(std::string_view path, uint32_t perm) {
  Found f = TRY(find(path, false));
  if (f.attr) return Error{EEXIST, "mkdir: \"" + f.path + "\" exists"};
  if (f.missing.code != ENOENT) return f.missing;
  std::vector<Target> targets = resolve(f.path);
  if (const Target* t = creating_member(targets)) return t->server->mkdir(t->path, perm);
  return Error{EROFS, "mkdir: no member of the union at \"" + parent_of(f.path) + "\" takes creates (MCREATE)"};
}

Result<void> Namespace::symlink(std::string_view target, std::string_view link_path) {
  Found f = TRY(find(link_path, false));
  if (f.attr) return Error{EEXIST, "symlink: \"" + f.path + "\" exists"};
  if (f.missing.code != ENOENT) return f.missing;
  std::vector<Target> targets = resolve(f.path);
  if (const Target* t = creating_member(targets)) return t->server->symlink(t->path, std::string(target));
  return Error{EROFS, "symlink: no member of the union at \"" + parent_of(f.path) + "\" takes creates (MCREATE)"};
}

Result<std::string> Namespace::readlink(std::string_view path) {
  Found f = TRY(find(path, false));
  if (!f.attr) return f.missing;
  if (!f.attr->is_link() || !f.where.server)
    return Error{EINVAL, "readlink: \"" + f.path + "\" is not a symbolic link"};
  return f.where.server->readlink(f.where.path);
}

Result<void> Namespace::set_attr(std::string_view path, const AttrChange& change, bool follow) {
  Found f = TRY(find(path, follow));
  if (!f.attr) return f.missing;
  if (!f.where.server) return Error{EPERM, "setattr: \"" + f.path + "\" holds only mount points"};
  return f.where.server->set_attr(f.where.path, change);
}

Result<void> Namespace::remove(std::string_view path) {
  Found f = TRY(find(path, false));
  for (const Mount& m : mounts_)
    if (m.point == f.path) return Error{EBUSY, "remove: \"" + f.path + "\" is a mount point"};
  if (!f.attr) return f.missing.code == ENOENT ? Error{ENOENT, "remove: no such file: \"" + f.path + "\""} : f.missing;
  if (!f.where.server) return Error{EBUSY, "remove: \"" + f.path + "\" holds mount points"};
  return f.where.server->remove(f.where.path);
}

Result<void> Namespace::rename(std::string_view from, std::string_view to) {
  Found a = TRY(find(from, false));
  if (!a.attr || !a.where.server) return Error{ENOENT, "rename: no such file: \"" + a.path + "\""};
  Found b = TRY(find(to, false));
  for (const Target& t : resolve(b.path))
    if (t.server == a.where.server) return t.server->rename(a.where.path, t.path);
  return Error{EXDEV, "rename: \"" + a.path + "\" and \"" + b.path + "\" are on different file servers"};
}

}  // namespace ns
