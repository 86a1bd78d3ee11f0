// The 9P client session: version and attach, tags and fids, the request/reply machinery
// (see client.h for the threading model), errors, and walks.
#include "p9/client.h"
#include <algorithm>
#include <cerrno>
#include "locked.h"

namespace p9 {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> names;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (!part.empty() && part != ".") names.emplace_back(part);
    i = j + 1;
  }
  return names;
}

std::vector<std::string> split_on(std::string_view text, char separator) {
  std::vector<std::string> pieces;
  for (size_t at = 0; at <= text.size();) {
    size_t end = std::min(text.find(separator, at), text.size());
    pieces.emplace_back(text.substr(at, end - at));
    at = end + 1;
  }
  return pieces;
}

namespace {

Dialect dialect_from_version(std::string_view v, bool* known) {
  *known = true;
  if (v == "9P2000.L") return Dialect::k9P2000L;
  if (v == "9P2000.u") return Dialect::k9P2000u;
  if (v == "9P2000") return Dialect::k9P2000;
  *known = false;
  return Dialect::k9P2000;
}

}  // namespace

Error Client::reply_error(std::span<const std::byte> reply, std::string_view what) {
  std::string prefix = std::string(what) + ": ";
  auto header = decode_header(reply, msize_);
  if (!header) return {header.error().code, prefix + header.error().message};
  // nfs-ganesha answers a 9P2000.L session with type Rerror laid out as Rlerror (ecode[4]);
  // Linux's client reads any error of a .L session as ecode[4], and so do we.
  bool lerror_layout =
      dialect_ == Dialect::k9P2000L && header->type == Type::Rerror && reply.size() == kHeaderSize + 4;
  if (header->type == Type::Rlerror || lerror_layout) {
    std::vector<std::byte> as_lerror(reply.begin(), reply.end());
    as_lerror[4] = std::byte(uint8_t(Type::Rlerror));
    auto e = decode<Rlerror>(as_lerror, dialect_, msize_);
    if (!e) return {EBADMSG, prefix + e.error().message};
    int code = errno_from_linux(e->ecode);
    return {code, prefix + errno_text(code)};
  }
  if (header->type == Type::Rerror) {
    auto e = decode<Rerror>(reply, dialect_, msize_);
    if (!e) return {EBADMSG, prefix + e.error().message};
    int code = dialect_ == Dialect::k9P2000u && e->errnum != 0 ? errno_from_linux(e->errnum)
                                                               : errno_from_text(e->ename);
    return {code, prefix + e->ename};
  }
  return {EBADMSG, prefix + "unexpected reply type " + std::to_string(int(header->type))};
}

// ---- requests -----------------------------------------------------------------------------

Result<void> Client::begin(Call& call, std::vector<std::byte> message) {
  call.request = std::move(message);
  return send_call(call);
}

namespace {
// A send that failed for these reasons said something about the message, not the connection.
bool message_fault(const Error& e) { return e.code == EMSGSIZE || e.code == EINVAL; }
}  // namespace

Result<void> Client::send_call(Call& call) {
  for (;;) {
    {
      Locked lock(sync_);
      TRY_VOID(usable_session());
      if (auto lost = lost_fid(call.request)) return *lost;
      if (call.sends >= 4)
        return Error{EIO, "9P: the session broke three times under one request; giving up on it"};
      if (!free_tags_.empty()) {
        call.tag = free_tags_.back();
        free_tags_.pop_back();
      } else if (next_tag_ < NOTAG) {
        call.tag = next_tag_++;
      } else {
        return Error{EAGAIN, "9P: all 65535 tags in flight"};
      }
      if (calls_.size() <= call.tag) calls_.resize(call.tag + 1, nullptr);
      calls_[call.tag] = &call;
      call.done = false;
      call.generation = generation_;
      call.sent_ns = options_.hang_after_ns ? sync_.now_ns() : 0;
      ++call.sends;
      ++sending_;  // a recovery waits for this send: it must not land on the new connection
    }
    call.request[5] = std::byte(call.tag);
    call.request[6] = std::byte(call.tag >> 8);
    Result<void> sent = transport_.send(call.request, call.tag);
    Locked lock(sync_);
    if (--sending_ == 0 && broken_) sync_.wake_all();
    if (sent) return {};
    Error e{sent.error().code, "9P send: " + sent.error().message};
    if (call.generation == generation_) {
      calls_[call.tag] = nullptr;
      free_tags_.push_back(call.tag);
    }
    if (message_fault(e)) return e;
    session_lost(call.generation, e);
    // Not sent: whatever it is, it may go out on the recovered session (the loop's next turn).
    if (!may_recover()) return e;
  }
}

void Client::dispatch(std::vector<std::byte> message) {
  auto header = decode_header(message, msize_);
  if (!header) {
    session_lost(generation_, {EIO, "9P: bad reply from the server: " + header.error().message});
    return;
  }
  uint16_t tag = header->tag;
  Call* call = tag < calls_.size() ? calls_[tag] : nullptr;
  if (call == nullptr || call->done) {
    // A reply to nothing we asked: the stream cannot be trusted any more.
    session_lost(generation_, {EIO, "9P: reply with tag " + std::to_string(tag) + " that is not in flight"});
    return;
  }
  call->reply = std::move(message);
  call->done = true;
  if (call == &probe_) {  // it has done its job by arriving: nobody waits for it
    calls_[tag] = nullptr;
    free_tags_.push_back(tag);
    probing_ = false;
  }
}

uint64_t Client::liveness_check_at(const Call& call) const {
  if (options_.hang_after_ns == 0) return 0;
  if (probing_) return probe_.sent_ns + options_.hang_after_ns;
  return std::max(last_heard_ns_, call.sent_ns) + options_.hang_after_ns;
}

void Client::check_liveness(const Call& call) {
  uint64_t now = sync_.now_ns();
  if (options_.hang_after_ns == 0 || broken_ || call.generation != generation_ ||
      now < liveness_check_at(call))
    return;
  if (probing_) {
    session_lost(generation_, {EIO, "9P: the server has sent nothing for " +
                                        std::to_string(2 * options_.hang_after_ns / 1000000) +
                                        " ms, not even the answer to a probe: it is taken to be hung"});
    transport_.abandon();  // a send blocked on a full ring must not hold the recovery up
    return;
  }
  // The root's attributes: any server answers that at once, whatever it has parked.
  probe_ = Call{};
  probing_ = true;
  std::vector<std::byte> probe = dialect_ == Dialect::k9P2000L ? encode(Tgetattr{root_.number()}, 0, dialect_)
                                                               : encode(Tstat{root_.number()}, 0, dialect_);
  sync_.unlock();
  Result<void> sent = begin(probe_, std::move(probe));
  sync_.lock();
  if (!sent) probing_ = false;  // the session broke under it: the caller's loop sees that
}

Result<std::vector<std::byte>> Client::finish(Call& call) {
  uint64_t deadline = options_.timeout_ns ? sync_.now_ns() + options_.timeout_ns : 0;
  bool timed_out = false;
  {
    Locked lock(sync_);
    while (!call.done) {
      if (call.generation != generation_ || broken_) {
        // The session this request went out on is gone. Without recovery the call fails; with
        // it, the request goes out again on the new session if that is safe.
        if (!may_recover()) break;
        TRY_VOID(usable_session());
        if (auto refused = not_repeatable(call)) return *refused;
        sync_.unlock();
        Result<void> resent = send_call(call);
        sync_.lock();
        if (!resent) return resent.error();
        continue;
      }
      if (!receiving_) {
        receiving_ = true;
        uint64_t check_at = liveness_check_at(call);
        uint64_t wake = deadline == 0 ? check_at : check_at == 0 ? deadline : std::min(deadline, check_at);
        sync_.unlock();
        auto message = transport_.receive(wake);
        sync_.lock();
        receiving_ = false;
        if (!message && message.error().code == ETIMEDOUT) {
          sync_.wake_all();  // let a follower take over receiving
          if (deadline != 0 && sync_.now_ns() >= deadline) {
            timed_out = !call.done;
            if (timed_out) break;
          }
          check_liveness(call);
          continue;
        }
        if (!message) {
          session_lost(generation_, {message.error().code, "9P receive: " + message.error().message});
        } else {
          last_heard_ns_ = sync_.now_ns();
          dispatch(std::move(*message));
        }
        sync_.wake_all();
      } else if (deadline == 0) {
        sync_.wait();
      } else if (!sync_.wait_until(deadline)) {
        timed_out = !call.done;
        if (timed_out) break;
      }
    }
    if (!timed_out) {
      // A tag belongs to the session it was sent on: one since replaced gave up all of its tags.
      bool current = call.generation == generation_;
      if (current) calls_[call.tag] = nullptr;
      if (!call.done) {
        // The session broke; this tag can never be answered now, so it is not recycled.
        return broken_error_;
      }
      if (current) free_tags_.push_back(call.tag);
    }
  }
  if (timed_out) {
    // version(5)/flush(5): Tflush(oldtag); once Rflush is back the tag may be reused, and any
    // reply to the old request that came first is discarded.
    uint64_t sent_in = call.generation;
    Result<void> flushed = flush(call.tag);
    Locked lock(sync_);
    if (sent_in == generation_) {
      calls_[call.tag] = nullptr;
      if (flushed) free_tags_.push_back(call.tag);
    }
    return Error{ETIMEDOUT, "9P: no reply within the timeout (request flushed)"};
  }
  return std::move(call.reply);
}

Result<void> Client::flush(uint16_t tag) {
  Call flush_call;
  TRY_VOID(begin(flush_call, encode(Tflush{tag}, 0, dialect_)));
  // Wait without a deadline: the server must answer a flush.
  uint64_t saved = options_.timeout_ns;
  options_.timeout_ns = 0;
  auto reply = finish(flush_call);
  options_.timeout_ns = saved;
  if (!reply) return reply.error();
  return {};
}

Result<std::vector<std::byte>> Client::round_trip(std::vector<std::byte> encoded, uint64_t* answered_in) {
  Call call;
  TRY_VOID(begin(call, std::move(encoded)));
  auto reply = finish(call);
  if (answered_in) *answered_in = call.generation;
  return reply;
}

Result<std::vector<std::byte>> Client::exchange(std::vector<std::byte> encoded, Type reply_type,
                                                std::string_view request_name, uint64_t* answered_in) {
  std::vector<std::byte> reply = TRY(round_trip(std::move(encoded), answered_in));
  Header h = TRY(decode_header(reply, msize_));
  if (h.type != reply_type) return reply_error(reply, request_name);
  return reply;
}

Result<void> Client::exchange_fields(const Exchange& x, uint64_t* answered_in) {
  std::vector<std::byte> request;
  encode_message(request, x.request_type, 0, dialect_, x.put, x.request);  // send_call sets the tag
  std::vector<std::byte> reply = TRY(exchange(std::move(request), x.reply_type, x.request_name, answered_in));
  Decoder d(std::span<const std::byte>(reply).subspan(kHeaderSize), dialect_);
  x.get(d, x.reply);
  return check_decoded(d, x.reply_name);
}

// ---- session --------------------------------------------------------------------------------

Result<void> Client::mount(const MountOptions& options) {
  if (root_.valid()) return Error{EBUSY, "9P: this client is already mounted"};
  options_ = options;
  return handshake();
}

Result<void> Client::handshake() {
  size_t proposed = std::min(options_.msize, transport_.max_message_size());
  if (proposed < kMinMsize) return Error{EINVAL, "9P: msize " + std::to_string(proposed) + " is too small"};
  msize_ = proposed;  // until the server answers, replies are bounded by what we proposed
  dialect_ = options_.dialect;
  // version(5): the first message, tag NOTAG.
  std::vector<std::byte> request =
      encode(Tversion{uint32_t(proposed), dialect_name(options_.dialect)}, NOTAG, dialect_);
  TRY_VOID(transport_.send(request, NOTAG));
  std::vector<std::byte> reply = TRY(transport_.receive(0));
  Header h = TRY(decode_header(reply, msize_));
  if (h.type != Type::Rversion) {
    Error e = reply_error(reply, std::string("Tversion ") + dialect_name(options_.dialect));
    return Error{e.code ? e.code : EPROTO, e.message + " (the server refused the dialect)"};
  }
  Rversion rv = TRY(decode<Rversion>(reply, dialect_, msize_));
  if (h.tag != NOTAG) return Error{EPROTO, "9P: Rversion with a tag other than NOTAG"};
  bool known = false;
  Dialect answered = dialect_from_version(rv.version, &known);
  if (!known)
    return Error{EPROTONOSUPPORT, "9P: the server does not speak " +
                                      std::string(dialect_name(options_.dialect)) + " (it answered \"" +
                                      rv.version + "\")"};
  if (int(answered) > int(options_.dialect))
    return Error{EPROTO, "9P: the server answered " + rv.version + ", more than was proposed"};
  if (rv.msize > proposed) return Error{EPROTO, "9P: the server raised msize to " + std::to_string(rv.msize)};
  if (rv.msize < kMinMsize)
    return Error{EPROTO, "9P: the server's msize " + std::to_string(rv.msize) + " is too small"};
  dialect_ = answered;
  msize_ = rv.msize;
  version_ = rv.version;

  uint32_t fid = allocate_fid();
  Rattach ra = TRY(call<Rattach>(Tattach{fid, NOFID, options_.uname, options_.aname, options_.n_uname}));
  root_ = Fid(this, fid, ra.qid);
  return {};
}

Client::~Client() { root_.clunk(); }

bool Client::broken() {
  Locked lock(sync_);
  return broken_;
}

uint32_t Client::allocate_fid() {
  Locked lock(sync_);
  uint32_t f;
  if (!free_fids_.empty()) {
    f = free_fids_.back();
    free_fids_.pop_back();
  } else {
    f = next_fid_++;
  }
  if (FidRecord* r = record(f)) *r = FidRecord{};
  return f;
}

void Client::release_fid(uint32_t fid) {
  Locked lock(sync_);
  if (FidRecord* r = record(fid)) *r = FidRecord{};
  free_fids_.push_back(fid);
}

void Client::clunk(uint32_t fid) {
  {
    Locked lock(sync_);
    FidRecord* r = record(fid);
    bool lost = r && !r->lost.empty();
    if (r) *r = FidRecord{};  // a recovery from here on does not make it again
    if (lost) {               // not on the server since the last recovery: nothing to clunk
      free_fids_.push_back(fid);
      return;
    }
  }
  // clunk(5): the fid is gone whatever the reply says, so it is free for reuse either way.
  (void)call<Rclunk>(Tclunk{fid});
  release_fid(fid);
}

size_t Client::fids_in_use() {
  Locked lock(sync_);
  return next_fid_ - free_fids_.size();
}

Fid& Fid::operator=(Fid&& other) noexcept {
  if (this != &other) {
    clunk();
    client_ = std::exchange(other.client_, nullptr);
    number_ = other.number_;
    qid_ = other.qid_;
  }
  return *this;
}

void Fid::clunk() {
  if (client_ == nullptr) return;
  Client* c = std::exchange(client_, nullptr);
  c->clunk(number_);
}

void Fid::forget() {
  if (client_ == nullptr) return;
  Client* c = std::exchange(client_, nullptr);
  c->release_fid(number_);
}

// ---- walks ----------------------------------------------------------------------------------

Result<Fid> Client::walk(std::string_view path) { return walk(root_, split_path(path)); }

Result<Fid> Client::walk(const Fid& from, const std::vector<std::string>& names) {
  // With recovery on, a walk answered by a session that was replaced before the new fid was
  // recorded made a fid the new session does not have: walk again (recoveries are rare; two
  // during one walk rarer still).
  for (int attempt = 0;; ++attempt) {
    uint64_t answered_in = 0;
    Fid fid = TRY(walk_once(from, names, &answered_in));
    if (track_walked(fid.number(), from, names, fid.qid(), answered_in)) return fid;
    if (attempt >= 2) return Error{EIO, "9P: walk: the session was recovered three times during one walk"};
    fid.forget();  // made by a session since replaced: the server has no such fid now
  }
}

Result<Fid> Client::walk_once(const Fid& from, const std::vector<std::string>& names, uint64_t* answered_in) {
  uint32_t newfid = allocate_fid();
  // walk(5): at most MAXWELEM names per Twalk; longer paths continue from newfid in place.
  size_t done = 0;
  Qid qid = from.qid();
  bool created = false;
  uint64_t first_answer = ~uint64_t(0);
  do {
    size_t n = std::min(MAXWELEM, names.size() - done);
    Twalk t{created ? newfid : from.number(), newfid,
            std::vector<std::string>(names.begin() + long(done), names.begin() + long(done + n))};
    auto r = call_in<Rwalk>(t, answered_in);
    if (first_answer == ~uint64_t(0)) first_answer = *answered_in;
    if (*answered_in != first_answer) *answered_in = ~uint64_t(0);  // the pieces came from two sessions
    if (!r || r->wqids.size() != n) {
      // walk(5) says a partial walk leaves newfid unaffected, but some servers (diod) keep it
      // at the last element reached. Clunking it either way is safe: the number is still ours.
      if (created || (r && !r->wqids.empty()))
        clunk(newfid);
      else
        release_fid(newfid);
      if (!r) {
        // Only the first element can fail with an error; say which name it was.
        Error e = r.error();
        if (n > 0) e.message += " (walking to \"" + names[done] + "\")";
        return e;
      }
      if (r->wqids.size() > n) return Error{EPROTO, "9P: Rwalk returned more qids than names"};
      size_t reached = done + r->wqids.size();
      const std::string& missing = names[reached];
      if (!r->wqids.empty() && !(r->wqids.back().type & QTDIR))
        return Error{ENOTDIR, "walk: not a directory: \"" + names[reached - 1] + "\""};
      return Error{ENOENT, "walk: no such file: \"" + missing + "\" (after " + std::to_string(reached) +
                               " of " + std::to_string(names.size()) + " names)"};
    }
    created = true;
    if (n > 0) qid = r->wqids.back();
    done += n;
  } while (done < names.size());
  return Fid(this, newfid, qid);
}

Result<Fid> Client::walk_parent(std::string_view path, std::string* leaf) {
  std::vector<std::string> names = split_path(path);
  if (names.empty()) return Error{EINVAL, "9P: the path names no file: \"" + std::string(path) + "\""};
  *leaf = names.back();
  names.pop_back();
  return walk(root_, names);
}

}  // namespace p9
