// The 9P client: one session over a Transport. Many threads may use it at once: each request
// gets its own tag, replies may come back in any order, and whoever waits reads the next
// message for everyone (so no thread of its own is needed). Fids are RAII objects: a Fid
// clunks when it goes out of scope.
//
//   p9::Client client(transport, sync);
//   TRY(client.mount({.aname = "/srv"}));
//   p9::File f = TRY(client.open("etc/motd", p9::kRead));
//   size_t n = TRY(f.pread(buffer, 0));
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>
#include "p9/attr_change.h"
#include "p9/codec.h"
#include "p9/errno_table.h"
#include "p9/error.h"
#include "p9/open_flags.h"
#include "p9/protocol.h"
#include "p9/transport.h"

namespace p9 {

class Client;

// What stat says about a file, in POSIX terms whatever the dialect.
struct FileInfo {
  std::string name;
  Qid qid;
  uint32_t mode = 0;  // POSIX st_mode: S_IFDIR/S_IFREG/S_IFLNK | permission bits
  uint64_t size = 0;
  uint32_t uid = 0, gid = 0;
  uint64_t nlink = 1;
  uint64_t atime_sec = 0, mtime_sec = 0, ctime_sec = 0;
  bool is_dir() const { return (mode & 0170000) == 0040000; }
};

struct DirItem {
  std::string name;
  Qid qid;
  bool is_dir() const { return qid.type & QTDIR; }
};

// A fid on the server, clunked when destroyed. Move-only.
class Fid {
 public:
  Fid() = default;
  Fid(Fid&& other) noexcept
      : client_(std::exchange(other.client_, nullptr)), number_(other.number_), qid_(other.qid_) {}
  Fid& operator=(Fid&& other) noexcept;
  Fid(const Fid&) = delete;
  Fid& operator=(const Fid&) = delete;
  ~Fid() { clunk(); }

  uint32_t number() const { return number_; }
  const Qid& qid() const { return qid_; }
  bool valid() const { return client_ != nullptr; }
  void clunk();
  // The server dropped the fid itself (Tremove does): forget it without a Tclunk.
  void forget();

 private:
  friend class Client;
  Fid(Client* c, uint32_t n, Qid q) : client_(c), number_(n), qid_(q) {}
  Client* client_ = nullptr;
  uint32_t number_ = NOFID;
  Qid qid_;
};

// An open file. Reads and writes larger than one message are split and pipelined.
class File {
 public:
  File() = default;
  File(File&&) = default;
  File& operator=(File&&) = default;

  Result<size_t> pread(std::span<std::byte> out, uint64_t offset);
  Result<size_t> pwrite(std::span<const std::byte> in, uint64_t offset);
  Result<FileInfo> stat();
  Result<void> truncate(uint64_t size);
  Result<void> set_attr(const AttrChange& change);
  Result<void> fsync();
  // POSIX record locks held by this open file on the server (9P2000.L Tlock, Tgetlock): the
  // status (P9_LOCK_SUCCESS, _BLOCKED, ...), or the lock in the way (type P9_LOCK_TYPE_UNLCK:
  // none). ENOLCK on a session of another dialect.
  Result<uint8_t> lock(const Lock& request);
  Result<Lock> getlock(const Lock& request);
  void close() { fid_.clunk(); }
  uint32_t iounit() const { return iounit_; }
  const Fid& fid() const { return fid_; }

 private:
  friend class Client;
  File(Client* c, Fid fid, uint32_t iounit, uint32_t flags)
      : client_(c), fid_(std::move(fid)), iounit_(iounit), flags_(flags) {}
  Client* client_ = nullptr;
  Fid fid_;
  uint32_t iounit_ = 0;
  uint32_t flags_ = 0;
};

struct MountOptions {
  size_t msize = 512 * 1024;            // proposed; the server and the transport may lower it
  Dialect dialect = Dialect::k9P2000L;  // proposed; the server may downgrade
  std::string uname = "root";
  uint32_t n_uname = 0;  // .u/.L numeric uid (NONUNAME for none)
  std::string aname;
  uint64_t timeout_ns = 0;     // per request; 0: wait forever. A timeout sends Tflush.
  size_t pipeline_depth = 16;  // messages in flight per pread/pwrite
  // Recovery (0: off). When the transport breaks, the client reconnects it (Transport::
  // reconnect), attaches again, re-walks every fid it made by its path and reopens the open
  // ones with their mode, then repeats the requests that were in flight and are safe to repeat
  // (reads, stats, walks, opens, clunks, fsyncs, and writes at an offset on a file not opened
  // for append). What is not (a create, mkdir, remove, rename, an append) fails with EIO and
  // says so. Calls made meanwhile wait for the recovery; it may take this long at most.
  uint64_t recover_within_ns = 0;
  // Liveness (0: off). When a request has waited this long and nothing at all has come from the
  // server since it went out, the client sends a probe (Tgetattr, or Tstat, of the root); if
  // the probe is unanswered as long again, the server is taken to be hung (a stopped process,
  // a wedged backend): the session is lost, and the waiting calls recover or fail with EIO. A
  // request the server parks on purpose (a /net listen, a read of a quiet connection) is no
  // hang: the server still answers the probe, and the request goes on waiting.
  uint64_t hang_after_ns = 0;
};

class Client {
 public:
  // `transport` and `sync` must outlive the client. It stays where it is built (fids point
  // at it), so it is neither copied nor moved.
  Client(Transport& transport, Sync& sync) : transport_(transport), sync_(sync) {}
  ~Client();
  // Tversion + Tattach. Once per client.
  Result<void> mount(const MountOptions& options);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Dialect dialect() const { return dialect_; }
  size_t msize() const { return msize_; }
  const std::string& version() const { return version_; }
  const Fid& root() const { return root_; }

  // Paths are relative to the attach root; "a/b//c", "./a" are fine; ".." goes to the server.
  Result<Fid> walk(std::string_view path);
  Result<Fid> walk(const Fid& from, const std::vector<std::string>& names);
  Result<File> open(std::string_view path, uint32_t flags, uint32_t mode = 0644);
  Result<FileInfo> stat(std::string_view path);
  Result<FileInfo> stat(const Fid& fid);
  Result<std::vector<DirItem>> readdir(std::string_view path);  // without "." and ".."
  Result<void> mkdir(std::string_view path, uint32_t mode = 0755);
  Result<void> remove(std::string_view path);
  Result<void> rename(std::string_view from, std::string_view to);
  Result<void> truncate(std::string_view path, uint64_t size);
  Result<void> set_attr(std::string_view path, const AttrChange& change);
  // Symbolic links (9P2000.L: Tsymlink, Treadlink; other dialects say EOPNOTSUPP). Walks do
  // not follow links: following them is the caller's business (the kernel's namespace does).
  Result<void> symlink(std::string_view path, std::string_view target);
  Result<std::string> readlink(std::string_view path);

  // For proxies (iohost's import tree): reads and writes on a fid opened with a raw Tlopen or
  // Tlcreate (split at msize and pipelined), and one Treaddir.
  Result<size_t> read(const Fid& fid, std::span<std::byte> out, uint64_t offset) {
    return read_chunks(fid.number(), out, offset, 0);
  }
  Result<size_t> write(const Fid& fid, std::span<const std::byte> in, uint64_t offset) {
    return write_chunks(fid.number(), in, offset, 0);
  }
  Result<std::vector<DirEntry>> readdir(const Fid& fid, uint64_t offset, uint32_t count);
  // Tlopen and Tlcreate with Linux open flags as the proxy got them; unlike a raw call<>, the
  // client remembers them, so a recovery reopens the fid the same way (9P2000.L only).
  Result<Rlopen> lopen(const Fid& fid, uint32_t linux_flags);
  Result<Rlcreate> lcreate(Fid& dir, const std::string& name, uint32_t linux_flags, uint32_t mode,
                           uint32_t gid);
  // Tremove: the fid is used up. The server clunks it whatever its answer; but if the session
  // broke under the request, the recovered session has the fid again (remade), and it is
  // clunked there rather than forgotten.
  Result<void> remove_fid(Fid fid);

  // One request, one reply: the reply's type is checked against R; Rerror/Rlerror become
  // Errors. Safe from many threads at once.
  template <typename R, typename T>
  Result<R> call(const T& request);

  // The session failed (the server went away or broke the protocol) and was not recovered:
  // every call now fails.
  bool broken();

  // Statistics, for benchmarks and tests.
  uint64_t recoveries() const { return recoveries_; }  // sessions re-established
  size_t fids_in_use();                                // fids this client holds on the server

 private:
  friend class Fid;
  friend class File;
  struct Call {
    uint16_t tag = NOTAG;
    bool done = false;
    uint64_t generation = 0;  // the session it was (last) sent on
    uint64_t sent_ns = 0;     // when it (last) went out, for liveness
    unsigned sends = 0;
    std::vector<std::byte> request;  // kept until the reply: recovery may send it again
    std::vector<std::byte> reply;
  };
  // What recovery needs to make a fid again in a new session (client_recovery.cpp).
  struct FidRecord {
    bool tracked = false;  // made by walk() from the root: its path is known
    bool opened = false;
    uint32_t open_flags = 0;  // as reopened: no create, exclusive or truncate
    bool linux_open = false;  // opened by lopen/lcreate: open_flags are Linux O_* flags
    Qid qid;
    std::vector<std::string> names;  // from the attach root
    std::string lost;                // why it could not be made again ("" while usable)
  };

  Result<void> handshake();
  uint32_t allocate_fid();
  void release_fid(uint32_t fid);
  void clunk(uint32_t fid);
  Result<void> set_attr_fid(const Fid& fid, const AttrChange& change);

  // The request machinery: begin() tags and sends, finish() waits for the reply.
  Result<void> begin(Call& call, std::vector<std::byte> encoded_without_tag);
  Result<void> send_call(Call& call);
  Result<std::vector<std::byte>> finish(Call& call);
  // `answered_in`, if given, gets the session generation the reply came from (see walk()).
  Result<std::vector<std::byte>> round_trip(std::vector<std::byte> encoded, uint64_t* answered_in = nullptr);
  // round_trip, then the reply's header: `reply_type`, or the server's error as an Error.
  Result<std::vector<std::byte>> exchange(std::vector<std::byte> encoded, Type reply_type,
                                          std::string_view request_name, uint64_t* answered_in = nullptr);
  // One call<R>(T), out of line: what is left in the template is the two field lists (`put`
  // encodes the request's, `get` decodes the reply's), so each request type adds little more
  // than those to an image.
  struct Exchange {
    Type request_type;
    const char* request_name;
    const void* request;
    void (*put)(Encoder&, const void* request);
    Type reply_type;
    const char* reply_name;
    void* reply;
    void (*get)(Decoder&, void* reply);
  };
  Result<void> exchange_fields(const Exchange& x, uint64_t* answered_in);
  template <typename R, typename T>
  Result<R> call_in(const T& request, uint64_t* answered_in);
  void dispatch(std::vector<std::byte> message);  // lock held
  Error reply_error(std::span<const std::byte> reply, std::string_view what);
  Result<void> flush(uint16_t tag);
  // Liveness (MountOptions::hang_after_ns), lock held: when the receiver waiting for `call`
  // must look again, and what it does then (send the probe, or give the session up).
  uint64_t liveness_check_at(const Call& call) const;
  void check_liveness(const Call& call);

  // Recovery (client_recovery.cpp). All with the lock held except recover().
  bool may_recover() const { return options_.recover_within_ns != 0 && !recovery_failed_ && root_.valid(); }
  Result<void> usable_session();  // waits for, or runs, a recovery of a broken session
  void session_lost(uint64_t generation, Error why);
  Result<void> recover(uint64_t deadline_ns);  // unlocked; this thread owns the transport
  Result<std::vector<std::byte>> recovery_exchange(std::vector<std::byte> encoded, Type reply_type,
                                                   std::string_view what, uint64_t deadline_ns);
  std::optional<Error> not_repeatable(const Call& call);
  std::optional<Error> lost_fid(std::span<const std::byte> request);
  FidRecord* record(uint32_t fid) { return fid < fid_records_.size() ? &fid_records_[fid] : nullptr; }
  bool track_walked(uint32_t newfid, const Fid& from, const std::vector<std::string>& names, Qid qid,
                    uint64_t answered_in);
  bool track_opened(uint32_t fid, uint32_t flags, uint64_t answered_in, bool linux_open = false);
  bool track_created(uint32_t fid, const std::string& name, Qid qid, uint32_t flags, uint64_t answered_in,
                     bool linux_open = false);
  Result<Fid> walk_once(const Fid& from, const std::vector<std::string>& names, uint64_t* answered_in);

  Result<Fid> walk_parent(std::string_view path, std::string* leaf);
  Result<File> open_fid(Fid fid, uint32_t flags);
  Result<size_t> read_chunks(uint32_t fid, std::span<std::byte> out, uint64_t offset, uint32_t iounit);
  Result<size_t> write_chunks(uint32_t fid, std::span<const std::byte> in, uint64_t offset, uint32_t iounit);
  size_t chunk_size(uint32_t iounit) const;
  template <typename Issue, typename Complete>
  Result<void> pipelined(size_t chunks, Issue&& issue, Complete&& complete);

  Transport& transport_;
  Sync& sync_;
  MountOptions options_;
  Dialect dialect_ = Dialect::k9P2000L;
  size_t msize_ = 0;
  std::string version_;
  Fid root_;

  // Guarded by sync_:
  std::vector<Call*> calls_;  // by tag
  std::vector<uint16_t> free_tags_;
  uint16_t next_tag_ = 0;
  std::vector<uint32_t> free_fids_;
  uint32_t next_fid_ = 0;
  bool receiving_ = false;  // a thread is inside transport_.receive()
  unsigned sending_ = 0;    // threads inside transport_.send()
  bool broken_ = false;
  Error broken_error_;
  std::vector<FidRecord> fid_records_;  // by fid number
  uint64_t generation_ = 0;             // sessions begun after the first (each recovery starts one)
  bool recovering_ = false;             // a thread is in recover(): the others wait
  bool recovery_failed_ = false;        // the server did not come back in time: no more tries
  uint64_t recoveries_ = 0;
  uint64_t last_heard_ns_ = 0;  // when the last message came from the server
  Call probe_;                  // the liveness probe, while probing_
  bool probing_ = false;
};

// ---- call<R>(T) ----------------------------------------------------------------------------

template <typename R, typename T>
Result<R> Client::call(const T& request) {
  return call_in<R>(request, nullptr);
}

template <typename R, typename T>
Result<R> Client::call_in(const T& request, uint64_t* answered_in) {
  R reply{};
  if constexpr (requires { reply.data; }) {
    // Data would point into the reply, which dies in exchange_fields: Rread/Rreaddir use round_trip.
    static_assert(sizeof(R) == 0, "use round_trip for replies that carry data");
  }
  TRY_VOID(exchange_fields(
      {T::kType, T::kName, &request, encode_fields<T>, R::kType, R::kName, &reply, decode_fields<R>},
      answered_in));
  return reply;
}

// "a//b/./c" -> {"a", "b", "c"}; ".." is kept (the server resolves it).
std::vector<std::string> split_path(std::string_view path);
// "a|b" -> {"a", "b"} (alternatives: failover addresses or tags); empty pieces are kept.
std::vector<std::string> split_on(std::string_view text, char separator);

}  // namespace p9
