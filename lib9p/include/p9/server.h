// The 9P server side: what a file server implements (Node, OpenFile, Tree) and the protocol
// engine that serves them (Session). A Session speaks 9P2000.L, 9P2000.u and 9P2000 over
// whatever moves its bytes: it is given whole messages and hands whole replies to a
// ReplySink. It knows nothing of sockets, Xen or threads; blocking work goes to an Executor
// the host program supplies.
//
// The model is 9P2000.L's (Linux open flags, Attr, directory cookies); the Session converts
// for the older dialects (Topen modes, Stat records, directories read as stat records).
#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include "p9/codec.h"
#include "p9/errno_table.h"
#include "p9/error.h"
#include "p9/protocol.h"

namespace p9 {

class Node;

// What one client (a session) may make the server's host hold, shared by the session and by
// every node and open file its trees make for it. A tree that holds a host descriptor for a
// client takes a Charge first; at the limit that call fails with EMFILE and only that client
// notices. Thread-safe: nodes may be let go of on the Executor's threads.
class Budget {
 public:
  // `shared`: a budget above this one that every charge also counts against (the host's
  // descriptors for all clients together), so no set of clients can take the host's last one.
  explicit Budget(size_t max_descriptors, std::shared_ptr<Budget> shared = nullptr)
      : max_descriptors_(max_descriptors), shared_(std::move(shared)) {}
  size_t descriptors() const { return descriptors_.load(); }
  size_t max_descriptors() const { return max_descriptors_; }
  // Told once per refusal, with what ran out ("descriptors", "fids"...): the host logs it
  // (rate-limited there; lib9p has no clock).
  void on_exhausted(std::function<void(const std::string&)> report) { report_ = std::move(report); }
  void exhausted(const std::string& what) const {
    if (report_) report_(what);
  }

 private:
  friend class Charge;
  bool take();  // one more here and in every shared budget above, or none anywhere
  void give();
  size_t max_descriptors_;
  std::shared_ptr<Budget> shared_;
  std::atomic<size_t> descriptors_{0};
  std::function<void(const std::string&)> report_;
};

// One descriptor held against a Budget, given back when the Charge goes (move-only). An empty
// Charge (no budget: a tree used outside a session, as in unit tests) counts nothing.
class Charge {
 public:
  Charge() = default;
  static Result<Charge> descriptor(const std::shared_ptr<Budget>& budget);
  Charge(Charge&& o) noexcept : budget_(std::move(o.budget_)) {}
  Charge& operator=(Charge&& o) noexcept {
    if (this != &o) {
      release();
      budget_ = std::move(o.budget_);
    }
    return *this;
  }
  Charge(const Charge&) = delete;
  Charge& operator=(const Charge&) = delete;
  ~Charge() { release(); }

 private:
  explicit Charge(std::shared_ptr<Budget> b) : budget_(std::move(b)) {}
  void release() {
    if (budget_) budget_->give();
    budget_.reset();
  }
  std::shared_ptr<Budget> budget_;
};

// Who attached: given to Tree::attach, so a tree can say whose request it serves and charge
// what it holds for that client to the client's budget.
struct Caller {
  std::string client;  // the transport's name for the peer: "unix:pid 42", "tcp:127.0.0.1:5234"
  std::string uname;
  uint32_t n_uname = NONUNAME;
  std::shared_ptr<Budget> budget;  // never null from a Session
};

// Work that waits on the world (a network peer) without holding a thread: it starts on the
// session's thread and returns at once, then calls `done` later, once, on the session's thread.
// The Cancel it returns stops it (Tflush, Tversion, the session ending); after a cancel,
// `done` is never called. A parked request costs no thread, so thousands may wait at once.
using Cancel = std::function<void()>;
template <typename T>
using Done = std::function<void(Result<T>)>;

// An open file: what Tlopen/Topen/Tlcreate give a fid. Defaults refuse politely.
class OpenFile {
 public:
  virtual ~OpenFile() = default;
  // Up to out.size() bytes at `offset`; 0 is the end of the file.
  virtual Result<size_t> read(uint64_t offset, std::span<std::byte> out);
  virtual Result<size_t> write(uint64_t offset, std::span<const std::byte> in);
  // Directory entries from `cookie` on (0 is the start); each entry's `offset` is the cookie
  // of the entry after it. At most `max_bytes` of encoded entries (encoded_size()).
  virtual Result<std::vector<DirEntry>> readdir(uint64_t cookie, size_t max_bytes);
  virtual Result<void> fsync(bool datasync);
  // A file that changes its own size (ftruncate(2) through it): a Tsetattr of the size on a
  // fid opened for writing comes here instead of the node's setattr, so the open file decides,
  // not the mode the file has now (a file created with mode 0 can still be truncated through
  // the descriptor that created it). The default: the node's setattr does it.
  virtual bool truncates() const { return false; }
  virtual Result<void> truncate(uint64_t size);
  // 9P2000.L Tlock/Tgetlock: POSIX record locks. Status is P9_LOCK_SUCCESS/BLOCKED/ERROR.
  // A request with P9_LOCK_FLAGS_BLOCK runs on the Executor, or parks (lock_parks()): it may
  // wait for the lock (Linux's v9fs otherwise sleeps 30 s before asking again); answering
  // BLOCKED after a while is fine.
  virtual Result<uint8_t> lock(const Lock& request);
  // A lock that waits without holding a thread: a request with P9_LOCK_FLAGS_BLOCK parks here
  // instead of running lock() on the Executor when lock_parks() says so.
  virtual bool lock_parks() const { return false; }
  virtual Cancel lock_parked(const Lock& request, Done<uint8_t> done);
  virtual Result<Lock> getlock(const Lock& request);
  // A file that parks (a network connection's data): Tread and Twrite call these instead of
  // read() and write(). `count` is at most what fits the reply.
  virtual bool parks() const { return false; }
  virtual Cancel read_parked(uint64_t offset, size_t count, Done<std::vector<std::byte>> done);
  virtual Cancel write_parked(uint64_t offset, std::vector<std::byte> data, Done<size_t> done);
};

struct Created {
  std::shared_ptr<Node> node;
  std::unique_ptr<OpenFile> file;
};

// One file or directory of a tree. Fids hold nodes (shared: a walk from a fid and the fid
// itself may name the same node). Names given to a node are single path elements, already
// checked by the Session: never empty, ".", or containing '/'; ".." only in walk().
// Every call may block only if blocking() says so (then the Session runs it on its Executor).
class Node {
 public:
  virtual ~Node() = default;
  virtual Qid qid() = 0;
  virtual Result<Attr> getattr() = 0;
  // A child by name. Never ".." or ".": the Session walks back up by itself (it keeps each
  // fid's path), so no tree can be left by "..".
  virtual Result<std::shared_ptr<Node>> walk(std::string_view name);
  // `flags` are Linux open flags (linux_flags::O_*).
  virtual Result<std::unique_ptr<OpenFile>> open(uint32_t flags) = 0;
  virtual Result<void> setattr(const SetAttr& attr);
  virtual Result<Created> create(std::string_view name, uint32_t flags, uint32_t mode, uint32_t gid);
  virtual Result<std::shared_ptr<Node>> mkdir(std::string_view name, uint32_t mode, uint32_t gid);
  virtual Result<std::shared_ptr<Node>> symlink(std::string_view name, std::string_view target, uint32_t gid);
  virtual Result<std::shared_ptr<Node>> mknod(std::string_view name, uint32_t mode, uint32_t major,
                                              uint32_t minor, uint32_t gid);
  virtual Result<std::string> readlink();
  // `target` and `to_dir` belong to the same tree as this node (the Session checks).
  virtual Result<void> link(std::string_view name, Node& target);
  virtual Result<void> unlink(std::string_view name, bool directory);
  virtual Result<void> rename(std::string_view name, Node& to_dir, std::string_view to_name);
  virtual Result<StatFs> statfs();
  // Extended attributes (Txattrwalk): a named value, or the list (name "") as NUL-separated
  // names. The defaults: no attributes at all.
  virtual Result<std::vector<std::byte>> xattr(std::string_view name);
  virtual bool blocking() const { return false; }
  // A node whose open waits on the world (a network listen): Tlopen and Topen call this.
  virtual bool parks_open() const { return false; }
  virtual Cancel open_parked(uint32_t flags, Done<std::unique_ptr<OpenFile>> done);
};

// What Tattach's aname chooses.
class Tree {
 public:
  virtual ~Tree() = default;
  virtual Result<std::shared_ptr<Node>> attach(const Caller& caller) = 0;
  virtual bool blocking() const { return false; }  // attach() may block: run it on the Executor
};

// Runs blocking work away from the caller's thread; `done` then runs on the thread that owns
// the Session (the host's event loop), never concurrently with the Session's own calls.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void run(std::function<void()> work, std::function<void()> done) = 0;
  // The same, for one client (`owner`: its session). An Executor shared by many clients uses
  // it to keep one client's slow work from taking every thread.
  virtual void run_for(const void* owner, std::function<void()> work, std::function<void()> done) {
    (void)owner;
    run(std::move(work), std::move(done));
  }
};

// Receives every reply a Session produces, whole, in the order they must be sent. `lane` is
// the reply's tag, given beside it as Transport::send gives a request's, so that a medium with
// several channels can route it without reading 9P fields (iohost's Xen backend answers on
// the ring the request came on); one channel ignores it.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void send(std::vector<std::byte> reply, uint16_t lane) = 0;
};

// The largest message a session takes before Tversion has set msize: Tversion is 13 bytes and
// its version string, so a client cannot make a server reserve msize for a message nobody needs.
inline constexpr size_t kMaxVersionMessage = 8192;

// The trees a server offers, by name. Tattach's aname picks one: "name", "/name", or
// "name/sub/dir" (a subtree); an empty aname picks the first tree added.
class Server {
 public:
  struct Limits {
    size_t max_msize = 8u << 20;          // Tversion is answered with at most this
    size_t max_fids = 65536;              // per session
    size_t max_in_flight = 1024;          // requests handed to the Executor or parked, per session
    size_t max_descriptors = 1024;        // host descriptors its trees may hold for one session
    size_t max_parked_bytes = 16u << 20;  // data held by parked writes (a /net peer not reading)
  };
  Server() = default;
  explicit Server(Limits limits) : limits_(limits) {}
  void add(std::string name, std::shared_ptr<Tree> tree);
  const Limits& limits() const { return limits_; }
  // What every session's Budget also counts against (none: sessions are bounded one by one).
  void share_budget(std::shared_ptr<Budget> shared) { shared_budget_ = std::move(shared); }
  const std::shared_ptr<Budget>& shared_budget() const { return shared_budget_; }
  // The tree and what remains of the aname after the tree's name.
  Tree* find(std::string_view aname, std::vector<std::string>* rest) const;
  const std::vector<std::string>& names() const { return order_; }

 private:
  Limits limits_;
  std::shared_ptr<Budget> shared_budget_;
  std::map<std::string, std::shared_ptr<Tree>, std::less<>> trees_;
  std::vector<std::string> order_;
};

// One client's 9P session. Give it each whole message with receive(); replies go to the
// sink. An Error from receive() means the client broke the protocol beyond what an error
// reply can answer (bad framing, a reused tag, no Tversion first): end the connection and log
// the message. Everything else, malformed bodies included, gets an error reply.
//
// Requests on a blocking() node run on the Executor; their replies may overtake earlier
// ones (9P allows any order). A flushed request's reply is never sent; its Rflush follows
// once it is done (flush(5)), or at once for a parked request, which the flush cancels.
class Session {
 public:
  Session(const Server& server, ReplySink& sink, Executor* executor, std::string client,
          size_t transport_max);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<void> receive(std::span<const std::byte> message);

  Dialect dialect() const { return dialect_; }
  size_t msize() const { return msize_; }
  size_t fid_count() const { return fids_.size(); }
  size_t in_flight() const { return in_flight_.size(); }
  // Requests handed to the Executor that have not come back, flushed or not: they hold a
  // thread or a queue slot until they do, whatever Tversion or Tflush said meanwhile.
  size_t executing() const { return *executing_; }
  size_t parked_bytes() const { return *parked_bytes_; }
  const std::string& client() const { return client_; }
  const std::shared_ptr<Budget>& budget() const { return budget_; }

  struct FidState;
  // What a request's work produces: the reply, and what to change in the fid table once it
  // is sent (run on the session's thread; skipped if the request was flushed).
  struct Outcome {
    std::vector<std::byte> reply;
    std::function<void()> commit;
  };
  struct Job {
    Job() = default;
    Job(std::function<Outcome()> w, bool b) : work(std::move(w)), blocking(b) {}
    std::function<Outcome()> work;
    bool blocking = false;
    // Instead of work: start it, get the Outcome later through the callback (see Cancel).
    std::function<Cancel(std::function<void(Outcome)>)> park;
  };

 private:
  struct InFlight {
    explicit InFlight(uint64_t s = 0) : serial(s) {}
    uint64_t serial = 0;  // which request of this tag (a tag is reused after its reply)
    bool flushed = false;
    std::vector<uint16_t> flushes;  // Tflush tags to answer once this request is done
    Cancel cancel;                  // a parked request: stops it
  };
  void start_parked(uint16_t tag, Job job);

  Result<Job> prepare(const Header& header, std::span<const std::byte> message);
  template <typename T>
  Result<Job> on(uint16_t tag, T& request);
  void finish(uint16_t tag, Outcome outcome);
  void finish_now(uint16_t tag, Outcome outcome);
  void flush(uint16_t tag, uint16_t oldtag);
  void reset();
  std::vector<std::byte> error_reply(uint16_t tag, const Error& e) const;
  template <typename R>
  std::vector<std::byte> reply(uint16_t tag, const R& r) const {
    return encode(r, tag, dialect_);
  }
  Result<std::shared_ptr<FidState>> fid(uint32_t number) const;
  Result<void> new_fid_free(uint32_t number) const;

  const Server& server_;
  ReplySink& sink_;
  Executor* executor_;
  std::string client_;
  size_t transport_max_;
  size_t msize_ = 0;  // 0 until Tversion
  Dialect dialect_ = Dialect::k9P2000L;
  std::map<uint32_t, std::shared_ptr<FidState>> fids_;
  std::map<uint16_t, InFlight> in_flight_;
  uint64_t next_serial_ = 1;
  std::shared_ptr<Budget> budget_;
  // Shared with work that outlives a Tversion (or the session): counted down when it ends.
  std::shared_ptr<size_t> executing_ = std::make_shared<size_t>(0);
  std::shared_ptr<size_t> parked_bytes_ = std::make_shared<size_t>(0);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for work that outlives us
};

}  // namespace p9
