// Recovery of a broken session (MountOptions::recover_within_ns): the transport reconnects,
// Tversion and Tattach run again with the same msize, dialect and root fid, every fid the
// client made is walked again by its path (under the same number, so nothing above notices)
// and reopened with its mode, and requests that were in flight go out again if that is safe.
//
// The rule for "safe": a request is repeated only if doing it twice leaves the server as
// doing it once would. Reads, stats, walks, opens (truncation included: nothing was written
// through the fid before its open returned), clunks, flushes, fsyncs, setattr, and writes at
// an explicit offset are; a write to a file opened for append, a create, mkdir, remove, rename,
// link or lock may have happened already, so it fails with EIO and says so, never guessed.
#include <cerrno>
#include "p9/client.h"
#include "locked.h"

namespace p9 {

namespace {

bool repeatable(Type t) {
  switch (t) {
    case Type::Tread:
    case Type::Twrite:
    case Type::Twalk:
    case Type::Tclunk:
    case Type::Tflush:
    case Type::Tstat:
    case Type::Topen:
    case Type::Tlopen:
    case Type::Tgetattr:
    case Type::Tsetattr:
    case Type::Treaddir:
    case Type::Tfsync:
    case Type::Tstatfs:
    case Type::Treadlink:
    case Type::Tgetlock:
    case Type::Txattrwalk: return true;
    default: return false;
  }
}

const char* request_name(Type t) {
  switch (t) {
    case Type::Tlcreate: return "Tlcreate";
    case Type::Tcreate: return "Tcreate";
    case Type::Tmkdir: return "Tmkdir";
    case Type::Tremove: return "Tremove";
    case Type::Tunlinkat: return "Tunlinkat";
    case Type::Trename: return "Trename";
    case Type::Trenameat: return "Trenameat";
    case Type::Tlink: return "Tlink";
    case Type::Tsymlink: return "Tsymlink";
    case Type::Tmknod: return "Tmknod";
    case Type::Tlock: return "Tlock";
    case Type::Twstat: return "Twstat";
    case Type::Txattrcreate: return "Txattrcreate";
    default: return "request";
  }
}

// T-messages whose first field (right after the header) is a fid the client already holds.
bool starts_with_fid(Type t) {
  return t != Type::Tversion && t != Type::Tauth && t != Type::Tattach && t != Type::Tflush;
}

}  // namespace

void Client::session_lost(uint64_t generation, Error why) {
  if (generation != generation_ || broken_) return;  // a later session, or already known
  broken_ = true;
  broken_error_ = std::move(why);
}

Result<void> Client::usable_session() {
  while (broken_) {
    if (!may_recover()) return broken_error_;
    // A receiver or sender still inside the transport (about to see the break), or a recovery
    // under way: wait for them. The transport is reconnected only when nobody else is in it.
    if (recovering_ || receiving_ || sending_ != 0) {
      sync_.wait();
      continue;
    }
    recovering_ = true;
    // The old session's tags and calls are over: their callers see the new generation and
    // send again (or fail) themselves.
    ++generation_;
    std::fill(calls_.begin(), calls_.end(), nullptr);
    free_tags_.clear();
    next_tag_ = 0;
    probing_ = false;
    Error cause = broken_error_;
    uint64_t deadline = sync_.now_ns() + options_.recover_within_ns;
    sync_.unlock();
    Result<void> recovered = recover(deadline);
    sync_.lock();
    recovering_ = false;
    if (recovered) {
      broken_ = false;
      ++recoveries_;
    } else {
      recovery_failed_ = true;
      broken_error_ = {EIO, "9P: the session broke (" + cause.message +
                                ") and could not be recovered: " + recovered.error().message};
    }
    sync_.wake_all();
  }
  return {};
}

std::optional<Error> Client::not_repeatable(const Call& call) {
  auto type = Type(uint8_t(call.request[4]));
  if (!repeatable(type)) {
    return Error{EIO, std::string("9P: the connection to the server was lost while a ") + request_name(type) +
                          " was in flight; it may have happened, so it is not repeated"};
  }
  if (type == Type::Twrite && dialect_ == Dialect::k9P2000L) {
    const FidRecord* r = record(read_le32(call.request.data() + kHeaderSize));
    if (r && (r->open_flags & (r->linux_open ? linux_flags::O_APPEND : uint32_t(kAppend))))
      return Error{EIO,
                   "9P: the connection to the server was lost during an append; it may have happened, so it "
                   "is not repeated"};
  }
  return lost_fid(call.request);
}

std::optional<Error> Client::lost_fid(std::span<const std::byte> request) {
  if (request.size() < kHeaderSize + 4 || !starts_with_fid(Type(uint8_t(request[4])))) return std::nullopt;
  const FidRecord* r = record(read_le32(request.data() + kHeaderSize));
  if (!r || r->lost.empty()) return std::nullopt;
  return Error{ESTALE, "9P: this file is gone since the session was recovered: " + r->lost};
}

bool Client::track_walked(uint32_t newfid, const Fid& from, const std::vector<std::string>& names, Qid qid,
                          uint64_t answered_in) {
  Locked lock(sync_);
  if (answered_in != generation_) return false;
  const FidRecord* parent = from.number() == root_.number() ? nullptr : record(from.number());
  if (from.number() != root_.number() && (!parent || !parent->tracked))
    return true;  // not from the root: untracked
  // The parent's names are copied before the table may grow: a resize moves every record, and
  // `parent` would point into freed memory (found by the sanitizer build of iohost's import).
  std::vector<std::string> path = parent ? parent->names : std::vector<std::string>{};
  path.insert(path.end(), names.begin(), names.end());
  if (fid_records_.size() <= newfid) fid_records_.resize(newfid + 1);
  FidRecord& r = fid_records_[newfid];
  r = FidRecord{};
  r.tracked = true;
  r.names = std::move(path);
  r.qid = qid;
  return true;
}

namespace {
uint32_t reopen_flags(uint32_t flags, bool linux_open) {
  using namespace linux_flags;
  return linux_open ? flags & ~(O_CREAT | O_EXCL | O_TRUNC) : flags & ~(kCreate | kExclusive | kTruncate);
}
}  // namespace

bool Client::track_opened(uint32_t fid, uint32_t flags, uint64_t answered_in, bool linux_open) {
  Locked lock(sync_);
  if (answered_in != generation_) return false;
  if (FidRecord* r = record(fid); r && r->tracked) {
    r->opened = true;
    r->open_flags = reopen_flags(flags, linux_open);
    r->linux_open = linux_open;
  }
  return true;
}

bool Client::track_created(uint32_t fid, const std::string& name, Qid qid, uint32_t flags,
                           uint64_t answered_in, bool linux_open) {
  Locked lock(sync_);
  if (answered_in != generation_) return false;
  if (FidRecord* r = record(fid); r && r->tracked) {
    r->names.push_back(name);
    r->qid = qid;
    r->opened = true;
    r->open_flags = reopen_flags(flags, linux_open);
    r->linux_open = linux_open;
  }
  return true;
}

Result<Rlopen> Client::lopen(const Fid& fid, uint32_t linux_flags) {
  for (int attempt = 0;; ++attempt) {
    uint64_t answered_in = 0;
    Rlopen r = TRY(call_in<Rlopen>(Tlopen{fid.number(), linux_flags}, &answered_in));
    if (track_opened(fid.number(), linux_flags, answered_in, true)) return r;
    if (attempt >= 2) return Error{EIO, "9P: open: the session was recovered three times during one open"};
  }
}

Result<Rlcreate> Client::lcreate(Fid& dir, const std::string& name, uint32_t linux_flags, uint32_t mode,
                                 uint32_t gid) {
  uint64_t answered_in = 0;
  Rlcreate r = TRY(call_in<Rlcreate>(Tlcreate{dir.number(), name, linux_flags, mode, gid}, &answered_in));
  if (track_created(dir.number(), name, r.qid, linux_flags, answered_in, true)) return r;
  // Created by a session since replaced, where the fid is the directory again: make it the file.
  Rwalk w = TRY(call<Rwalk>(Twalk{dir.number(), dir.number(), {name}}));
  if (w.wqids.size() != 1) return Error{ENOENT, "9P: create: the new file is gone after a recovery"};
  uint32_t again = linux_flags & ~(linux_flags::O_CREAT | linux_flags::O_EXCL | linux_flags::O_TRUNC);
  Rlopen o = TRY(call<Rlopen>(Tlopen{dir.number(), again}));
  {
    Locked lock(sync_);
    if (FidRecord* rec = record(dir.number()); rec && rec->tracked) {
      rec->names.push_back(name);
      rec->qid = w.wqids[0];
      rec->opened = true;
      rec->open_flags = again;
      rec->linux_open = true;
    }
  }
  r.qid = w.wqids[0];
  r.iounit = o.iounit;
  return r;
}

Result<std::vector<std::byte>> Client::recovery_exchange(std::vector<std::byte> message, Type reply_type,
                                                         std::string_view what, uint64_t deadline_ns) {
  // Only this thread uses the transport now, one request at a time: tag 0 (NOTAG for Tversion).
  TRY_VOID(transport_.send(message, read_le16(message.data() + 5)));
  std::vector<std::byte> reply = TRY(transport_.receive(deadline_ns));
  Header h = TRY(decode_header(reply, msize_));
  if (h.tag != read_le16(message.data() + 5))
    return Error{EPROTO, std::string(what) + ": a reply with another tag"};
  if (h.type != reply_type) return reply_error(reply, what);
  return reply;
}

Result<void> Client::recover(uint64_t deadline_ns) {
  TRY_VOID(transport_.reconnect(deadline_ns));
  auto exchange_now = [&](std::vector<std::byte> m, Type t, std::string_view what) {
    return recovery_exchange(std::move(m), t, what, deadline_ns);
  };
  // The same msize and dialect as before: requests encoded for the old session go out again.
  auto v = TRY(exchange_now(encode(Tversion{uint32_t(msize_), version_}, NOTAG, dialect_), Type::Rversion,
                            "Tversion"));
  Rversion rv = TRY(decode<Rversion>(v, dialect_, msize_));
  if (rv.version != version_ || rv.msize != msize_)
    return Error{EPROTO, "the server came back with " + rv.version + " and msize " +
                             std::to_string(rv.msize) + " (was " + version_ + ", " + std::to_string(msize_) +
                             ")"};
  auto a = TRY(exchange_now(
      encode(Tattach{root_.number(), NOFID, options_.uname, options_.aname, options_.n_uname}, 0, dialect_),
      Type::Rattach, "Tattach"));
  TRY(decode<Rattach>(a, dialect_, msize_));

  // The fids, each under its own number. One that cannot be made again (its file is gone or
  // replaced) is marked lost: its requests fail with ESTALE, the others go on.
  std::vector<std::pair<uint32_t, FidRecord>> wanted;
  {
    sync_.lock();
    for (uint32_t fid = 0; fid < fid_records_.size(); ++fid)
      if (fid_records_[fid].tracked && fid_records_[fid].lost.empty())
        wanted.emplace_back(fid, fid_records_[fid]);
    sync_.unlock();
  }
  for (auto& [fid, want] : wanted) {
    std::string path = "/";
    for (const std::string& n : want.names) path += (path.size() > 1 ? "/" : "") + n;
    auto remake = [&, fid = fid, &want = want]() -> Result<void> {
      size_t done = 0;
      Qid qid{};
      bool made = false;
      do {
        size_t n = std::min(MAXWELEM, want.names.size() - done);
        std::vector<std::string> part(want.names.begin() + long(done), want.names.begin() + long(done + n));
        auto w = TRY(exchange_now(encode(Twalk{made ? fid : root_.number(), fid, part}, 0, dialect_),
                                  Type::Rwalk, "Twalk"));
        Rwalk rw = TRY(decode<Rwalk>(w, dialect_, msize_));
        if (rw.wqids.size() != n) return Error{ENOENT, "no such file any more"};
        if (n > 0) qid = rw.wqids.back();
        made = true;
        done += n;
      } while (done < want.names.size());
      if (!want.names.empty() && (qid.path != want.qid.path || qid.type != want.qid.type))
        return Error{ESTALE, "another file has its name now"};
      if (!want.opened) return {};
      if (dialect_ == Dialect::k9P2000L) {
        using namespace linux_flags;
        uint32_t f = (want.open_flags & kReadWrite) == kReadWrite ? O_RDWR
                     : (want.open_flags & kWrite)                 ? O_WRONLY
                                                                  : O_RDONLY;
        if (want.open_flags & kAppend) f |= O_APPEND;
        if (want.open_flags & kDirectory) f |= O_DIRECTORY;
        if (want.linux_open) f = want.open_flags;
        TRY(exchange_now(encode(Tlopen{fid, f}, 0, dialect_), Type::Rlopen, "Tlopen"));
      } else {
        uint8_t m = (want.open_flags & kReadWrite) == kReadWrite ? ORDWR
                    : (want.open_flags & kWrite)                 ? OWRITE
                                                                 : OREAD;
        TRY(exchange_now(encode(Topen{fid, m}, 0, dialect_), Type::Ropen, "Topen"));
      }
      return {};
    };
    Result<void> made = remake();
    if (!made && sync_.now_ns() >= deadline_ns) return made.error();  // the server went away again
    if (!made) {
      // The walk may have made the fid (a replaced file; a partial walk on servers that keep
      // newfid, as diod does): clunk it, or its number could never be used again. An unknown
      // fid's error is fine.
      (void)exchange_now(encode(Tclunk{fid}, 0, dialect_), Type::Rclunk, "Tclunk");
      sync_.lock();
      if (FidRecord* r = record(fid); r && r->tracked) r->lost = path + ": " + made.error().message;
      sync_.unlock();
    }
  }
  return {};
}

}  // namespace p9
