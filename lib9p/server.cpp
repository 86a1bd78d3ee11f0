// The 9P server session: framing and version, tags in flight and Tflush, the fid table, and
// error replies in each dialect. The handlers for each request are in server_requests.cpp.
#include <cerrno>
#include "server_internal.h"

namespace p9 {

// ---- trees ----------------------------------------------------------------------------------

void Server::add(std::string name, std::shared_ptr<Tree> tree) {
  if (trees_.find(name) == trees_.end()) order_.push_back(name);
  trees_[std::move(name)] = std::move(tree);
}

Tree* Server::find(std::string_view aname, std::vector<std::string>* rest) const {
  std::vector<std::string> names;
  size_t i = 0;
  while (i < aname.size()) {
    size_t j = aname.find('/', i);
    if (j == std::string_view::npos) j = aname.size();
    if (j > i && aname.substr(i, j - i) != ".") names.emplace_back(aname.substr(i, j - i));
    i = j + 1;
  }
  if (names.empty()) {
    if (order_.empty()) return nullptr;
    rest->clear();
    return trees_.find(order_.front())->second.get();
  }
  auto it = trees_.find(names.front());
  if (it == trees_.end()) return nullptr;
  rest->assign(names.begin() + 1, names.end());
  return it->second.get();
}

// ---- what a node or open file does not support ----------------------------------------------

Result<size_t> OpenFile::read(uint64_t, std::span<std::byte>) { return Error{EBADF, "not readable"}; }
Result<size_t> OpenFile::write(uint64_t, std::span<const std::byte>) { return Error{EBADF, "not writable"}; }
Result<std::vector<DirEntry>> OpenFile::readdir(uint64_t, size_t) {
  return Error{ENOTDIR, "not a directory"};
}
Result<void> OpenFile::fsync(bool) { return {}; }
Result<void> OpenFile::truncate(uint64_t) { return Error{EINVAL, "this file cannot be truncated"}; }
Result<uint8_t> OpenFile::lock(const Lock&) { return Error{ENOLCK, "this file cannot be locked"}; }
Result<Lock> OpenFile::getlock(const Lock&) { return Error{ENOLCK, "this file cannot be locked"}; }
Cancel OpenFile::lock_parked(const Lock& request, Done<uint8_t> done) {
  done(lock(request));
  return [] {};
}
Cancel OpenFile::read_parked(uint64_t, size_t, Done<std::vector<std::byte>> done) {
  done(Error{EBADF, "not readable"});
  return [] {};
}
Cancel OpenFile::write_parked(uint64_t, std::vector<std::byte>, Done<size_t> done) {
  done(Error{EBADF, "not writable"});
  return [] {};
}
Cancel Node::open_parked(uint32_t, Done<std::unique_ptr<OpenFile>> done) {
  done(Error{EACCES, "this file cannot be opened"});
  return [] {};
}

Result<std::shared_ptr<Node>> Node::walk(std::string_view) { return Error{ENOTDIR, "not a directory"}; }
Result<void> Node::setattr(const SetAttr&) { return Error{EPERM, "attributes cannot be changed"}; }
Result<Created> Node::create(std::string_view, uint32_t, uint32_t, uint32_t) {
  return Error{EPERM, "files cannot be created here"};
}
Result<std::shared_ptr<Node>> Node::mkdir(std::string_view, uint32_t, uint32_t) {
  return Error{EPERM, "directories cannot be created here"};
}
Result<std::shared_ptr<Node>> Node::symlink(std::string_view, std::string_view, uint32_t) {
  return Error{EPERM, "symbolic links cannot be created here"};
}
Result<std::shared_ptr<Node>> Node::mknod(std::string_view, uint32_t, uint32_t, uint32_t, uint32_t) {
  return Error{EPERM, "special files cannot be created here"};
}
Result<std::string> Node::readlink() { return Error{EINVAL, "not a symbolic link"}; }
Result<void> Node::link(std::string_view, Node&) { return Error{EPERM, "links cannot be made here"}; }
Result<void> Node::unlink(std::string_view, bool) { return Error{EPERM, "files cannot be removed here"}; }
Result<void> Node::rename(std::string_view, Node&, std::string_view) {
  return Error{EPERM, "files cannot be renamed here"};
}
Result<StatFs> Node::statfs() {
  StatFs s;
  s.type = 0x01021997;  // V9FS_MAGIC, as Linux reports for a 9P mount
  s.bsize = 4096;
  s.namelen = 255;
  return s;
}
Result<std::vector<std::byte>> Node::xattr(std::string_view name) {
  if (name.empty()) return std::vector<std::byte>{};
  return Error{ENODATA, "no such attribute"};
}

bool Budget::take() {
  if (descriptors_.fetch_add(1) >= max_descriptors_) {
    descriptors_.fetch_sub(1);
    return false;
  }
  if (shared_ && !shared_->take()) {
    descriptors_.fetch_sub(1);
    return false;
  }
  return true;
}

void Budget::give() {
  descriptors_.fetch_sub(1);
  if (shared_) shared_->give();
}

Result<Charge> Charge::descriptor(const std::shared_ptr<Budget>& budget) {
  if (!budget) return Charge();
  if (!budget->take()) {
    if (budget->descriptors() >= budget->max_descriptors()) {
      budget->exhausted("host descriptors (" + std::to_string(budget->max_descriptors()) + ")");
      return Error{EMFILE, "this client holds too many host files (" +
                               std::to_string(budget->max_descriptors()) + "): close some"};
    }
    budget->exhausted("host descriptors: the server's, for all clients together, are in use");
    return Error{ENFILE, "the server has no host files left for its clients: try again later"};
  }
  return Charge(budget);
}

bool valid_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

Error bad_name(std::string_view name) {
  return Error{EINVAL, "invalid file name \"" + std::string(name) + "\""};
}

// ---- the session ----------------------------------------------------------------------------

Session::Session(const Server& server, ReplySink& sink, Executor* executor, std::string client,
                 size_t transport_max)
    : server_(server), sink_(sink), executor_(executor), client_(std::move(client)),
      transport_max_(transport_max),
      budget_(std::make_shared<Budget>(server.limits().max_descriptors, server.shared_budget())) {}

Session::~Session() {
  *alive_ = false;
  reset();
}

// Fids whose nodes may block (an import's fid clunks on its server) are let go of on the
// Executor, so the session's thread never waits for another server.
void Session::reset() {
  auto parked = std::move(in_flight_);
  in_flight_.clear();  // work still running finds no entry: its reply is dropped
  for (auto& [tag, request] : parked)
    if (request.cancel) request.cancel();
  std::vector<std::shared_ptr<FidState>> blocking;
  for (auto& [number, state] : fids_)
    if (state->blocking) blocking.push_back(std::move(state));
  fids_.clear();
  if (!blocking.empty() && executor_ != nullptr) {
    auto held = std::make_shared<std::vector<std::shared_ptr<FidState>>>(std::move(blocking));
    executor_->run_for(
        this, [held] { held->clear(); }, [] {});
  }
}

std::vector<std::byte> error_message(uint16_t tag, const Error& e, Dialect dialect) {
  int code = e.code != 0 ? e.code : EIO;
  if (dialect == Dialect::k9P2000L) return encode(Rlerror{linux_errno(code)}, tag, dialect);
  // The text carries the errno's name too, so a 9P2000 client (which gets no number) can
  // map it back: "open: this file cannot be read (permission denied)".
  std::string text = e.message.empty() ? errno_text(code) : e.message;
  if (text.size() > 900) text.resize(900);  // an error must fit any msize we accept
  if (text.find(errno_text(code)) == std::string::npos) text += std::string(" (") + errno_text(code) + ")";
  return encode(Rerror{text, linux_errno(code)}, tag, dialect);
}

std::vector<std::byte> Session::error_reply(uint16_t tag, const Error& e) const {
  return error_message(tag, e, dialect_);
}

Result<std::shared_ptr<Session::FidState>> Session::fid(uint32_t number) const {
  auto it = fids_.find(number);
  if (it == fids_.end()) return Error{EBADF, "unknown fid " + std::to_string(number)};
  return it->second;
}

Result<void> Session::new_fid_free(uint32_t number) const {
  if (number == NOFID) return Error{EBADF, "NOFID cannot name a file"};
  if (fids_.count(number)) return Error{EBADF, "fid " + std::to_string(number) + " is in use"};
  if (fids_.size() >= server_.limits().max_fids) {
    budget_->exhausted("fids (" + std::to_string(server_.limits().max_fids) + ")");
    return Error{EMFILE, "too many fids (" + std::to_string(fids_.size()) + ") in this session"};
  }
  return {};
}

namespace {

Dialect dialect_of(std::string_view version, bool* known) {
  *known = true;
  if (version == "9P2000.L") return Dialect::k9P2000L;
  if (version == "9P2000.u") return Dialect::k9P2000u;
  // version(5): "9P2000" followed by anything but the dialects we know is plain 9P2000.
  if (version.substr(0, 6) == "9P2000" && (version.size() == 6 || version[6] == '.')) return Dialect::k9P2000;
  *known = false;
  return Dialect::k9P2000;
}

}  // namespace

Result<void> Session::receive(std::span<const std::byte> message) {
  // Before Tversion only a small message makes sense (Tversion itself is 13 bytes and a name).
  size_t limit =
      msize_ != 0 ? msize_ : std::min({transport_max_, server_.limits().max_msize, kMaxVersionMessage});
  Header h = TRY(decode_header(message, limit));

  if (h.type == Type::Tversion) {
    auto tv = decode<Tversion>(message, dialect_, limit);
    if (!tv) return tv.error();
    // version(5): a new version aborts everything in flight and frees every fid.
    reset();
    bool known = false;
    Dialect d = dialect_of(tv->version, &known);
    size_t msize = std::min<size_t>({tv->msize, server_.limits().max_msize, transport_max_});
    if (!known || msize < kMinMsize) {
      msize_ = 0;
      sink_.send(encode(Rversion{uint32_t(msize), "unknown"}, h.tag, Dialect::k9P2000), h.tag);
      return {};
    }
    dialect_ = d;
    msize_ = msize;
    sink_.send(encode(Rversion{uint32_t(msize_), dialect_name(d)}, h.tag, d), h.tag);
    return {};
  }
  if (msize_ == 0) return Error{EPROTO, "9P: type " + std::to_string(int(h.type)) + " before Tversion"};
  if (in_flight_.count(h.tag))
    return Error{EPROTO, "9P: tag " + std::to_string(h.tag) + " reused while its request is in flight"};

  if (h.type == Type::Tflush) {
    auto tf = decode<Tflush>(message, dialect_, msize_);
    if (!tf) {
      sink_.send(error_reply(h.tag, {EBADMSG, tf.error().message}), h.tag);
      return {};
    }
    flush(h.tag, tf->oldtag);
    return {};
  }

  auto job = prepare(h, message);
  if (!job) {
    sink_.send(error_reply(h.tag, job.error()), h.tag);
    return {};
  }
  if (!job->park && (!job->blocking || executor_ == nullptr)) {
    finish_now(h.tag, job->work());
    return {};
  }
  size_t max_in_flight = server_.limits().max_in_flight;
  if (in_flight_.size() >= max_in_flight || *executing_ >= max_in_flight) {
    budget_->exhausted("requests in flight (" + std::to_string(max_in_flight) + ")");
    sink_.send(error_reply(h.tag, {EAGAIN, "too many requests in flight"}), h.tag);
    return {};
  }
  if (job->park) {
    start_parked(h.tag, std::move(*job));
    return {};
  }
  uint64_t serial = next_serial_++;
  in_flight_[h.tag] = InFlight(serial);
  auto outcome = std::make_shared<Outcome>();
  std::weak_ptr<bool> alive = alive_;
  uint16_t tag = h.tag;
  ++*executing_;
  executor_->run_for(
      this,
      [work = std::move(job->work), outcome]() mutable {
        *outcome = work();
        work = nullptr;  // let go of nodes here, not on the session's thread
      },
      [this, alive, tag, serial, outcome, executing = executing_] {
        --*executing;
        if (!alive.lock()) return;
        auto it = in_flight_.find(tag);  // after a Tversion the tag may be another request's
        if (it != in_flight_.end() && it->second.serial == serial) finish(tag, std::move(*outcome));
      });
  return {};
}

// The parked work may finish at once (data was waiting): then its entry is gone before the
// cancel is known, and the serial keeps a late call from answering a newer request's tag.
void Session::start_parked(uint16_t tag, Job job) {
  uint64_t serial = next_serial_++;
  in_flight_[tag] = InFlight(serial);
  std::weak_ptr<bool> alive = alive_;
  Cancel cancel = job.park([this, alive, tag, serial](Outcome outcome) {
    if (!alive.lock()) return;
    auto it = in_flight_.find(tag);
    if (it == in_flight_.end() || it->second.serial != serial) return;
    finish(tag, std::move(outcome));
  });
  auto it = in_flight_.find(tag);
  if (it != in_flight_.end() && it->second.serial == serial) it->second.cancel = std::move(cancel);
}

// A reply larger than msize would be cut by any client: send an error in its place. Work
// that made no reply at all (the host caught it failing) gets EIO.
void Session::finish_now(uint16_t tag, Outcome outcome) {
  if (outcome.reply.empty()) {
    sink_.send(error_reply(tag, {EIO, "the server failed to serve this request"}), tag);
    return;
  }
  if (outcome.reply.size() > msize_) {
    sink_.send(error_reply(tag, {EMSGSIZE, "the reply (" + std::to_string(outcome.reply.size()) +
                                               " bytes) is larger than msize"}), tag);
    return;
  }
  if (outcome.commit) outcome.commit();
  sink_.send(std::move(outcome.reply), tag);
}

void Session::finish(uint16_t tag, Outcome outcome) {
  auto it = in_flight_.find(tag);
  if (it == in_flight_.end()) return;  // Tversion came in between: nobody waits for it
  InFlight done = std::move(it->second);
  in_flight_.erase(it);
  if (!done.flushed) finish_now(tag, std::move(outcome));
  for (uint16_t flush_tag : done.flushes) sink_.send(encode(Rflush{}, flush_tag, dialect_), flush_tag);
}

void Session::flush(uint16_t tag, uint16_t oldtag) {
  auto it = in_flight_.find(oldtag);
  if (it == in_flight_.end()) {  // already answered, or never seen: flush(5) says answer now
    sink_.send(encode(Rflush{}, tag, dialect_), tag);
    return;
  }
  if (it->second.cancel) {  // parked: stop it, and the flush is done
    Cancel cancel = std::move(it->second.cancel);
    std::vector<uint16_t> earlier = std::move(it->second.flushes);
    in_flight_.erase(it);
    cancel();
    for (uint16_t flush_tag : earlier) sink_.send(encode(Rflush{}, flush_tag, dialect_), flush_tag);
    sink_.send(encode(Rflush{}, tag, dialect_), tag);
    return;
  }
  it->second.flushed = true;
  it->second.flushes.push_back(tag);
}

}  // namespace p9
