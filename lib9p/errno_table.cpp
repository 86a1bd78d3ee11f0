// The one errno table (see p9/errno_table.h).
#include "p9/errno_table.h"
#include <array>
#include <cerrno>
#include <string>

namespace p9 {
namespace {

struct Source {
  int local;
  uint32_t linux_value;
  const char* text;
};

// Laid out by hand: a table.
// clang-format off
constexpr Source kSource[] = {
    {EPERM, 1, "operation not permitted"},        {ENOENT, 2, "no such file or directory"},
    {EINTR, 4, "interrupted"},                    {EIO, 5, "input/output error"},
    {ENXIO, 6, "no such device or address"},      {E2BIG, 7, "argument list too long"},
    {EBADF, 9, "bad file descriptor"},            {EAGAIN, 11, "try again"},
    {ENOMEM, 12, "out of memory"},                {EACCES, 13, "permission denied"},
    {EFAULT, 14, "bad address"},                  {EBUSY, 16, "busy"},
    {EEXIST, 17, "file exists"},                  {EXDEV, 18, "cross-device link"},
    {ENODEV, 19, "no such device"},               {ENOTDIR, 20, "not a directory"},
    {EISDIR, 21, "is a directory"},               {EINVAL, 22, "invalid argument"},
    {ENFILE, 23, "too many open files in system"}, {EMFILE, 24, "too many open files"},
    {ENOTTY, 25, "inappropriate ioctl"},          {ETXTBSY, 26, "text file busy"},
    {EFBIG, 27, "file too large"},                {ENOSPC, 28, "no space left"},
    {ESPIPE, 29, "illegal seek"},                 {EROFS, 30, "read-only file system"},
    {EMLINK, 31, "too many links"},               {EPIPE, 32, "broken pipe"},
    {ERANGE, 34, "result out of range"},          {ENAMETOOLONG, 36, "name too long"},
    {ENOLCK, 37, "no locks available"},           {ENOSYS, 38, "not implemented"},
    {ENOTEMPTY, 39, "directory not empty"},       {ELOOP, 40, "too many symbolic links"},
    {ENODATA, 61, "no data available"},           {EPROTO, 71, "protocol error"},
    {EBADMSG, 74, "bad message"},                 {EOVERFLOW, 75, "value too large"},
    // The network's (iohost's /net): a socket error reaches the guest as what it is.
    {ENOTSOCK, 88, "not a socket"},               {EDESTADDRREQ, 89, "destination address required"},
    {EMSGSIZE, 90, "message too long"},           {ENOPROTOOPT, 92, "protocol not available"},
    {EPROTONOSUPPORT, 93, "protocol not supported"}, {EOPNOTSUPP, 95, "not supported"},
    {EAFNOSUPPORT, 97, "address family not supported"}, {EADDRINUSE, 98, "address in use"},
    {EADDRNOTAVAIL, 99, "address not available"}, {ENETDOWN, 100, "network is down"},
    {ENETUNREACH, 101, "network unreachable"},    {ENETRESET, 102, "connection reset by network"},
    {ECONNABORTED, 103, "connection aborted"},    {ECONNRESET, 104, "connection reset by peer"},
    {ENOBUFS, 105, "no buffer space"},            {EISCONN, 106, "already connected"},
    {ENOTCONN, 107, "not connected"},             {ETIMEDOUT, 110, "timed out"},
    {ECONNREFUSED, 111, "connection refused"},    {EHOSTUNREACH, 113, "host unreachable"},
    {EALREADY, 114, "already in progress"},       {EINPROGRESS, 115, "in progress"},
    {ESTALE, 116, "stale file handle"},           {EDQUOT, 122, "disk quota exceeded"},
};
// clang-format on

// The table as the image holds it: 4 bytes an entry and the texts back to back, not 16 bytes
// and a pointer (errno values and Linux's numbers fit a byte each).
struct Errno {
  uint8_t local;
  uint8_t linux_value;
  uint16_t text_at;  // in kTable.texts
};
constexpr size_t kTextBytes = [] {
  size_t n = 0;
  for (const Source& e : kSource) n += std::char_traits<char>::length(e.text) + 1;
  return n;
}();
constexpr bool kNumbersFitAByte = [] {
  for (const Source& e : kSource)
    if (e.local < 0 || e.local > 255 || e.linux_value > 255) return false;
  return true;
}();
static_assert(kNumbersFitAByte && kTextBytes <= 65536, "the packed table cannot hold an entry");
constexpr struct Table {
  std::array<Errno, std::size(kSource)> entries;
  std::array<char, kTextBytes> texts;
} kTable = [] {
  Table t{};
  size_t at = 0;
  for (size_t i = 0; i < std::size(kSource); ++i) {
    const Source& e = kSource[i];
    t.entries[i] = {uint8_t(e.local), uint8_t(e.linux_value), uint16_t(at)};
    for (const char* c = e.text; *c; ++c) t.texts[at++] = *c;
    t.texts[at++] = '\0';
  }
  return t;
}();
constexpr const auto& kErrnos = kTable.entries;
const char* text_of(const Errno& e) { return kTable.texts.data() + e.text_at; }

}  // namespace

int errno_from_linux(uint32_t linux_errno) {
  for (const Errno& e : kErrnos)
    if (e.linux_value == linux_errno) return e.local;
  return EIO;
}

uint32_t linux_errno(int local_errno) {
  for (const Errno& e : kErrnos)
    if (e.local == local_errno) return e.linux_value;
  return 5;  // EIO
}

const char* errno_text(int local_errno) {
  for (const Errno& e : kErrnos)
    if (e.local == local_errno) return text_of(e);
  return "error";
}

int errno_from_text(std::string_view text) {
  std::string e(text);  // servers differ in case: "No such file", "no such file"
  for (char& c : e)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  // The longest text found wins: "already in progress" holds "in progress", "text file busy"
  // holds "busy", "too many open files in system" holds "too many open files".
  const Errno* best = nullptr;
  size_t best_length = 0;
  for (const Errno& entry : kErrnos) {
    const char* text = text_of(entry);
    size_t length = std::char_traits<char>::length(text);
    if (length > best_length && e.find(text) != std::string::npos) {
      best = &entry;
      best_length = length;
    }
  }
  if (best) return best->local;
  // Plan 9's and other servers' words.
  // clang-format off
  static constexpr struct { const char* text; int code; } kWords[] = {
      {"does not exist", ENOENT}, {"not found", ENOENT}, {"no such file", ENOENT},
      {"permission denied", EACCES}, {"exists", EEXIST}, {"not a directory", ENOTDIR},
      {"is a directory", EISDIR}, {"not empty", ENOTEMPTY}, {"read-only", EROFS},
      {"unknown fid", EBADF}, {"in use", EBUSY},
  };
  // clang-format on
  for (auto& w : kWords)
    if (e.find(w.text) != std::string::npos) return w.code;
  return EIO;
}

}  // namespace p9
