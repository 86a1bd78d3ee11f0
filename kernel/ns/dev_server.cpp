// /dev and /env (see dev_server.h). /dev/cons is the kernel console (kernel/console.h): writes
// go out, reads wait for input. /dev/random is a xorshift generator seeded from the boot clock
// and the wall clock: unpredictable enough for tests and hashing, not for keys.
#include "ns/dev_server.h"
#include <cstdlib>
#include <cstring>
#include "console.h"
#include "xenos/time.h"

extern char** environ;

namespace ns {
namespace {

enum class Dev { kCons, kNull, kZero, kRandom, kNone };

Dev dev_of(const std::string& p) {
  if (p == "cons") return Dev::kCons;
  if (p == "null") return Dev::kNull;
  if (p == "zero") return Dev::kZero;
  if (p == "random") return Dev::kRandom;
  return Dev::kNone;
}

class DevFile final : public OpenFile {
 public:
  explicit DevFile(Dev d) : dev_(d) {}
  Result<size_t> read(std::span<std::byte> out, uint64_t) override {
    switch (dev_) {
      case Dev::kCons: return kernel::console_read({reinterpret_cast<char*>(out.data()), out.size()});
      case Dev::kNull: return size_t(0);
      case Dev::kZero: std::memset(out.data(), 0, out.size()); return out.size();
      case Dev::kRandom: {
        // The boot-relative clock has the TSC's resolution under Xen's pvclock.
        static uint64_t state = xenos::monotonic_ns() ^ xenos::wall_clock_ns() ^ 0x9e3779b97f4a7c15ull;
        for (std::byte& b : out) {
          state ^= state << 13;
          state ^= state >> 7;
          state ^= state << 17;
          b = std::byte(state >> 24);
        }
        return out.size();
      }
      case Dev::kNone: break;
    }
    return Error{EIO, "#c: no such device"};
  }
  Result<size_t> write(std::span<const std::byte> in, uint64_t) override {
    if (dev_ == Dev::kCons) kernel::console_write({reinterpret_cast<const char*>(in.data()), in.size()});
    if (dev_ == Dev::kZero || dev_ == Dev::kRandom) return Error{EPERM, "#c: read-only device"};
    return in.size();
  }
  Result<Attr> stat() override {
    Attr a;
    a.mode = kModeChar | (dev_ == Dev::kCons || dev_ == Dev::kNull ? 0666 : 0444);
    return a;
  }
  bool is_terminal() const override { return dev_ == Dev::kCons; }

 private:
  Dev dev_;
};

// /env files: the variable's value. A write at offset 0 replaces it; later offsets extend it.
class EnvFile final : public OpenFile {
 public:
  explicit EnvFile(std::string name) : name_(std::move(name)) {}
  Result<size_t> read(std::span<std::byte> out, uint64_t offset) override {
    const char* v = getenv(name_.c_str());
    if (!v) return Error{ENOENT, "#e: " + name_ + " is gone"};
    size_t len = std::strlen(v);
    if (offset >= len) return size_t(0);
    size_t n = std::min(out.size(), size_t(len - offset));
    std::memcpy(out.data(), v + offset, n);
    return n;
  }
  Result<size_t> write(std::span<const std::byte> in, uint64_t offset) override {
    const char* v = getenv(name_.c_str());
    std::string value = v ? v : "";
    if (offset > value.size()) value.resize(offset, '\0');
    value.resize(offset);
    value.append(reinterpret_cast<const char*>(in.data()), in.size());
    if (value.find('\0') != std::string::npos) return Error{EINVAL, "#e: a value cannot hold NUL"};
    if (setenv(name_.c_str(), value.c_str(), 1) != 0) return Error{ENOMEM, "#e: setenv failed"};
    return in.size();
  }
  Result<Attr> stat() override {
    Attr a;
    a.mode = kModeFile | 0644;
    const char* v = getenv(name_.c_str());
    a.size = v ? std::strlen(v) : 0;
    return a;
  }
  Result<void> truncate(uint64_t size) override {
    const char* v = getenv(name_.c_str());
    std::string value = v ? v : "";
    value.resize(size, ' ');
    setenv(name_.c_str(), value.c_str(), 1);
    return {};
  }

 private:
  std::string name_;
};

bool valid_env_name(const std::string& n) {
  return !n.empty() && n.find('=') == std::string::npos && n.find('/') == std::string::npos;
}

}  // namespace

Result<Attr> DevServer::stat(const std::string& path) {
  if (path.empty()) {
    Attr a;
    a.mode = kModeDir | 0555;
    return a;
  }
  if (dev_of(path) == Dev::kNone) return Error{ENOENT, "#c: no device \"" + path + "\""};
  return DevFile(dev_of(path)).stat();
}

Result<xenos::Owned<OpenFile>> DevServer::open(const std::string& path, uint32_t, uint32_t) {
  Dev d = dev_of(path);
  if (d == Dev::kNone) return Error{path.empty() ? EISDIR : ENOENT, "#c: no device \"" + path + "\""};
  return xenos::Owned<OpenFile>(new DevFile(d));
}

Result<std::vector<Entry>> DevServer::list(const std::string& path) {
  if (!path.empty()) return Error{ENOTDIR, "#c: \"" + path + "\" is not a directory"};
  return std::vector<Entry>{{"cons", false, 1}, {"null", false, 2}, {"random", false, 3}, {"zero", false, 4}};
}

Result<Attr> EnvServer::stat(const std::string& path) {
  if (path.empty()) {
    Attr a;
    a.mode = kModeDir | 0755;
    return a;
  }
  if (!getenv(path.c_str())) return Error{ENOENT, "#e: no variable \"" + path + "\""};
  return EnvFile(path).stat();
}

Result<xenos::Owned<OpenFile>> EnvServer::open(const std::string& path, uint32_t mode, uint32_t) {
  if (path.empty()) return Error{EISDIR, "#e: is a directory"};
  if (!valid_env_name(path)) return Error{EINVAL, "#e: bad variable name \"" + path + "\""};
  if (!getenv(path.c_str())) {
    if (!(mode & kCreate)) return Error{ENOENT, "#e: no variable \"" + path + "\""};
    setenv(path.c_str(), "", 1);
  }
  if (mode & kTruncate) setenv(path.c_str(), "", 1);
  return xenos::Owned<OpenFile>(new EnvFile(path));
}

Result<std::vector<Entry>> EnvServer::list(const std::string& path) {
  if (!path.empty()) return Error{ENOTDIR, "#e: one level only"};
  std::vector<Entry> out;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) out.push_back({std::string(*e, size_t(eq - *e)), false, 0});
  }
  return out;
}

Result<void> EnvServer::remove(const std::string& path) {
  if (!getenv(path.c_str())) return Error{ENOENT, "#e: no variable \"" + path + "\""};
  unsetenv(path.c_str());
  return {};
}

Result<void> EnvServer::rename(const std::string& from, const std::string& to) {
  const char* v = getenv(from.c_str());
  if (!v) return Error{ENOENT, "#e: no variable \"" + from + "\""};
  if (!valid_env_name(to)) return Error{EINVAL, "#e: bad variable name \"" + to + "\""};
  std::string value = v;
  setenv(to.c_str(), value.c_str(), 1);
  unsetenv(from.c_str());
  return {};
}

}  // namespace ns
