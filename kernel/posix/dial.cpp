// Plan 9's dial, announce, listen and accept (xenos/net.h), written as Plan 9 writes them: file
// operations on /net. cs translates the address into "/net/tcp/clone ADDR!PORT"; opening clone
// gives a conversation whose ctl takes "connect ADDR!PORT" or "announce ADDR!PORT".
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include "xenos/net.h"
#include "format.h"

namespace {

std::string read_text(int fd) {
  char buf[256];
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) --n;
  return std::string(buf, size_t(n));
}

bool write_text(int fd, const std::string& s) { return write(fd, s.data(), s.size()) == ssize_t(s.size()); }

// "tcp!HOST!PORT" -> clone file and "ADDR!PORT", through /net/cs ("*" needs no translation).
bool translate(const char* address, std::string* clone, std::string* target) {
  std::string a = address;
  size_t b1 = a.find('!'), b2 = a.rfind('!');
  if (b1 == std::string::npos || b1 == b2) {
    errno = EINVAL;
    return false;
  }
  std::string proto = a.substr(0, b1), host = a.substr(b1 + 1, b2 - b1 - 1), port = a.substr(b2 + 1);
  if (host == "*") {
    *clone = "/net/" + proto + "/clone";
    *target = "*!" + port;
    return true;
  }
  int cs = open("/net/cs", O_RDWR);
  if (cs < 0) return false;
  bool ok = write_text(cs, a);
  std::string line = ok ? read_text(cs) : "";
  int e = errno;
  close(cs);
  size_t space = line.find(' ');
  if (!ok || space == std::string::npos) {
    errno = ok ? ENOENT : e;
    return false;
  }
  *clone = line.substr(0, space);
  size_t nl = line.find('\n');
  *target = line.substr(space + 1, nl == std::string::npos ? std::string::npos : nl - space - 1);
  return true;
}

// Opens clone, writes `verb target` to the new ctl; returns the ctl descriptor.
int converse(const char* address, const char* verb, std::string* dir) {
  std::string clone, target;
  if (!translate(address, &clone, &target)) return -1;
  int ctl = open(clone.c_str(), O_RDWR);
  if (ctl < 0) return -1;
  std::string n = read_text(ctl);
  *dir = clone.substr(0, clone.rfind('/') + 1) + n;
  if (n.empty() || !write_text(ctl, std::string(verb) + " " + target)) {
    int e = errno;
    close(ctl);
    errno = e ? e : EIO;
    return -1;
  }
  return ctl;
}

void give(char* out, const std::string& dir) {
  if (out) kernel::format_to(out, NET_DIRLEN, "%s", dir.c_str());
}

}  // namespace

extern "C" {

int xenos_dial(const char* address, char* dir_out) {
  std::string dir;
  int ctl = converse(address, "connect", &dir);
  if (ctl < 0) return -1;
  int data = open((dir + "/data").c_str(), O_RDWR);
  int e = errno;
  close(ctl);  // the data descriptor keeps the conversation
  if (data < 0)
    errno = e;
  else
    give(dir_out, dir);
  return data;
}

int xenos_announce(const char* address, char* dir_out) {
  std::string dir;
  int ctl = converse(address, "announce", &dir);
  if (ctl >= 0) give(dir_out, dir);
  return ctl;
}

int xenos_listen(const char* announce_dir, char* dir_out) {
  std::string adir = announce_dir;
  int ctl = open((adir + "/listen").c_str(), O_RDWR);  // waits for a call
  if (ctl < 0) return -1;
  std::string n = read_text(ctl);
  give(dir_out, adir.substr(0, adir.rfind('/') + 1) + n);
  return ctl;
}

int xenos_accept(int, const char* dir) { return open((std::string(dir) + "/data").c_str(), O_RDWR); }

}  // extern "C"
