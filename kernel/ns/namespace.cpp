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

Namespace::Mount* Namespace::find(const std::string& point) {
  for (Mount& m : mounts_)
    if (m.point == point) return &m;
  return nullptr;
}

// ---- building the namespace -----------------------------------------------------------------

Result<void> Namespace::attach(const std::string& where, std::vector<Member> added, int flags) {
  Mount* m = find(where);
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
  Mount* m = find(where);
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
  std::string to = clean_path(path, cwd_);
  Attr a = TRY(stat(to));
  if (!a.is_dir()) return Error{ENOTDIR, "chdir: \"" + to + "\" is not a directory"};
  cwd_ = to;
  return {};
}

// ---- using it -------------------------------------------------------------------------------

Result<Attr> Namespace::stat(std::string_view path) {
  std::string p = clean_path(path, cwd_);
  std::optional<Error> first_error;
  for (const Target& t : resolve(p)) {
    auto a = t.server->stat(t.path);
    if (a) return a;
    if (!first_error || (first_error->code == ENOENT && a.error().code != ENOENT)) first_error = a.error();
  }
  if (above_a_mount(p)) {  // a directory made only of mount points below it
    Attr a;
    a.mode = kModeDir | 0555;
    a.nlink = 2;
    return a;
  }
  if (first_error) return *first_error;
  return Error{ENOENT, "no such file: \"" + p + "\""};
}

Result<xenos::Owned<OpenFile>> Namespace::open(std::string_view path, uint32_t mode, uint32_t perm) {
  std::string p = clean_path(path, cwd_);
  std::vector<Target> targets = resolve(p);
  std::optional<Error> first_error;
  for (const Target& t : targets) {  // an existing file: the first member that has it
    auto a = t.server->stat(t.path);
    if (!a) {
      if (a.error().code != ENOENT) return a.error();
      continue;
    }
    if ((mode & kCreate) && (mode & kExclusive)) return Error{EEXIST, "open: \"" + p + "\" exists"};
    if ((mode & kDirectory) && !a->is_dir()) return Error{ENOTDIR, "open: \"" + p + "\" is not a directory"};
    if (a->is_dir() && (mode & kWrite)) return Error{EISDIR, "open: \"" + p + "\" is a directory"};
    return t.server->open(t.path, mode & ~(kCreate | kExclusive), perm);
  }
  if (targets.empty() && above_a_mount(p))
    return Error{EISDIR, "open: \"" + p + "\" holds only mount points"};
  if (!(mode & kCreate)) return Error{ENOENT, "open: no such file: \"" + p + "\""};
  // create(5) in a union goes to the first member that accepts creates (MCREATE); a plain
  // mount point with one member always does.
  for (const Target& t : targets)
    if (t.create || targets.size() == 1) return t.server->open(t.path, mode, perm);
  if (targets.empty()) return Error{ENOENT, "open: nothing is mounted where \"" + p + "\" would be"};
  return Error{EROFS, "open: no member of the union at \"" + parent_of(p) + "\" takes creates (MCREATE)"};
}

Result<std::vector<Entry>> Namespace::list(std::string_view path) {
  std::string p = clean_path(path, cwd_);
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

Result<void> Namespace::mkdir(std::string_view path, uint32_t perm) {
  std::string p = clean_path(path, cwd_);
  if (stat(p)) return Error{EEXIST, "mkdir: \"" + p + "\" exists"};
  std::vector<Target> targets = resolve(p);
  for (const Target& t : targets)
    if (t.create || targets.size() == 1) return t.server->mkdir(t.path, perm);
  return Error{EROFS, "mkdir: no member of the union at \"" + parent_of(p) + "\" takes creates (MCREATE)"};
}

Result<void> Namespace::remove(std::string_view path) {
  std::string p = clean_path(path, cwd_);
  for (const Mount& m : mounts_)
    if (m.point == p) return Error{EBUSY, "remove: \"" + p + "\" is a mount point"};
  for (const Target& t : resolve(p))
    if (t.server->stat(t.path)) return t.server->remove(t.path);
  return Error{ENOENT, "remove: no such file: \"" + p + "\""};
}

Result<void> Namespace::rename(std::string_view from, std::string_view to) {
  std::string a = clean_path(from, cwd_), b = clean_path(to, cwd_);
  const Target* source = nullptr;
  std::vector<Target> sources = resolve(a);
  for (const Target& t : sources)
    if (t.server->stat(t.path)) {
      source = &t;
      break;
    }
  if (!source) return Error{ENOENT, "rename: no such file: \"" + a + "\""};
  for (const Target& t : resolve(b))
    if (t.server == source->server) return t.server->rename(source->path, t.path);
  return Error{EXDEV, "rename: \"" + a + "\" and \"" + b + "\" are on different file servers"};
}

}  // namespace ns
