// The net tree (see net_tree.h): its directories and files, cs, and the policy. The
// conversations are net_conversation.h; their ctl and data files net_ctl.cpp and net_data.cpp.
#include "net_tree.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <cstring>
#include "net_conversation.h"
#include "p9/synthetic.h"

namespace iohost {
namespace net {
namespace {

// ---- the nodes ------------------------------------------------------------------------------

enum FileKind : unsigned { kDir, kCtl, kData, kListen, kLocal, kRemote, kStatus, kErr };
constexpr const char* kFileNames[] = {"", "ctl", "data", "listen", "local", "remote", "status", "err"};

class ConvFile final : public p9::Node {
 public:
  ConvFile(std::shared_ptr<Stack> s, std::shared_ptr<Conv> c, FileKind k)
      : stack_(std::move(s)), conv_(std::move(c)), kind_(k) {}
  p9::Qid qid() override { return {p9::QTFILE, 0, stack_->qid_path(conv_->proto, conv_->id, kind_)}; }
  Result<p9::Attr> getattr() override {
    return p9::synthetic_attr(qid(),
                              kind_ == kCtl || kind_ == kData ? 0660
                              : kind_ == kListen              ? 0660
                                                              : 0444,
                              0);
  }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t flags) override {
    bool writes = (flags & 3) != p9::linux_flags::O_RDONLY;
    switch (kind_) {
      case kCtl: return ctl_file(stack_, conv_);
      case kData: return data_file(conv_);
      case kListen: return Error{EIO, "net: listen opens through open_parked"};
      default:
        if (writes) return Error{EACCES, std::string("net: ") + kFileNames[kind_] + " is read-only"};
        return text();
    }
  }
  Result<void> setattr(const p9::SetAttr& attr) override {  // a shell's ">" truncates: meaningless here
    if (attr.valid &
        ~uint32_t(p9::P9_SETATTR_SIZE | p9::P9_SETATTR_ATIME | p9::P9_SETATTR_MTIME | p9::P9_SETATTR_CTIME))
      return Error{EPERM, "net: attributes cannot be changed"};
    return {};
  }
  bool parks_open() const override { return kind_ == kListen; }
  Cancel open_parked(uint32_t, Done<std::unique_ptr<p9::OpenFile>> done) override {
    std::shared_ptr<Conv> c = conv_;
    if (c->proto != Proto::kTcp || c->state != Conv::State::kAnnounced) {
      done(Error{EINVAL, std::string("net: listen: the conversation is not an announced tcp one (") +
                             c->state_name() + ")"});
      return [] {};
    }
    auto reply = std::make_shared<Done<std::unique_ptr<p9::OpenFile>>>(std::move(done));
    std::shared_ptr<Stack> stack = stack_;
    return park(
        c, Reactor::Want::kReadable,
        [c, stack, reply]() -> bool {
          auto charge = p9::Charge::descriptor(stack->budget());
          if (!charge) {  // the call waits in the backlog for a listen with room
            (*reply)(charge.error());
            return true;
          }
          int fd = ::accept4(c->sock.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
              return false;
            (*reply)(c->failed(sys_error("listen")));
            return true;
          }
          int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          std::shared_ptr<Conv> call = stack->allocate(Proto::kTcp);
          call->sock = Fd(fd);
          call->sock_charge = std::move(*charge);
          call->state = Conv::State::kEstablished;
          call->set_names();
          (*reply)(ctl_file(stack, call));  // ip(3): the new ctl
          return true;
        },
        [reply](const Error& e) { (*reply)(e); });
  }

 private:
  Result<std::unique_ptr<p9::OpenFile>> text() {
    std::string t;
    switch (kind_) {
      case kLocal: t = conv_->local.empty() ? "::!0" : conv_->local; break;
      case kRemote: t = conv_->remote.empty() ? "::!0" : conv_->remote; break;
      case kStatus: t = conv_->state_name(); break;
      default: t = conv_->err; break;
    }
    auto node = p9::text_file([t] { return t + "\n"; });
    return node->open(p9::linux_flags::O_RDONLY);
  }

  std::shared_ptr<Stack> stack_;
  std::shared_ptr<Conv> conv_;
  FileKind kind_;
};

class ConvDir final : public p9::Node {
 public:
  ConvDir(std::shared_ptr<Stack> s, std::shared_ptr<Conv> c) : stack_(std::move(s)), conv_(std::move(c)) {}
  p9::Qid qid() override { return {p9::QTDIR, 0, stack_->qid_path(conv_->proto, conv_->id, kDir)}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0555, 0); }
  Result<std::shared_ptr<p9::Node>> walk(std::string_view name) override {
    for (unsigned k = kCtl; k <= kErr; ++k)
      if (name == kFileNames[k])
        return std::shared_ptr<p9::Node>(std::make_shared<ConvFile>(stack_, conv_, FileKind(k)));
    return Error{ENOENT, "net: no file \"" + std::string(name) + "\" in a conversation"};
  }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    std::vector<std::pair<std::string, p9::Qid>> children;
    for (unsigned k = kCtl; k <= kErr; ++k)
      children.emplace_back(kFileNames[k],
                            p9::Qid{p9::QTFILE, 0, stack_->qid_path(conv_->proto, conv_->id, k)});
    return p9::listing(qid(), children);
  }

 private:
  std::shared_ptr<Stack> stack_;
  std::shared_ptr<Conv> conv_;
};

class CloneFile final : public p9::Node {
 public:
  CloneFile(std::shared_ptr<Stack> s, Proto p) : stack_(std::move(s)), proto_(p) {}
  p9::Qid qid() override { return {p9::QTFILE, 0, stack_->qid_path(proto_, 0x7ffffff, 0)}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0666, 0); }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    return ctl_file(stack_, stack_->allocate(proto_));
  }
  Result<void> setattr(const p9::SetAttr& attr) override {
    if (attr.valid &
        ~uint32_t(p9::P9_SETATTR_SIZE | p9::P9_SETATTR_ATIME | p9::P9_SETATTR_MTIME | p9::P9_SETATTR_CTIME))
      return Error{EPERM, "net: attributes cannot be changed"};
    return {};
  }

 private:
  std::shared_ptr<Stack> stack_;
  Proto proto_;
};

class ProtoDir final : public p9::Node {
 public:
  ProtoDir(std::shared_ptr<Stack> s, Proto p) : stack_(std::move(s)), proto_(p) {}
  p9::Qid qid() override { return {p9::QTDIR, 0, stack_->qid_path(proto_, 0x7fffffe, 0)}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0555, 0); }
  Result<std::shared_ptr<p9::Node>> walk(std::string_view name) override {
    if (name == "clone") return std::shared_ptr<p9::Node>(std::make_shared<CloneFile>(stack_, proto_));
    uint16_t n = 0;
    if (parse_port(name, &n))
      if (auto c = stack_->find(proto_, n); c && in_use(*c))
        return std::shared_ptr<p9::Node>(std::make_shared<ConvDir>(stack_, c));
    return Error{
        ENOENT, std::string("net: no ") + proto_name(proto_) + " conversation \"" + std::string(name) + "\""};
  }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    std::vector<std::pair<std::string, p9::Qid>> children;
    children.emplace_back("clone", CloneFile(stack_, proto_).qid());
    for (auto& c : stack_->convs(proto_))
      if (in_use(*c)) children.emplace_back(std::to_string(c->id), ConvDir(stack_, c).qid());
    return p9::listing(qid(), children);
  }

 private:
  static bool in_use(const Conv& c) { return c.opens > 0 || !c.parked.empty(); }
  std::shared_ptr<Stack> stack_;
  Proto proto_;
};

// cs(8): name to address translation, with the host's resolver. It may wait on DNS: the node
// is blocking(), so the Session runs it on the Executor. It answers only what the policy lets
// the client reach: under connect= rules, names are not resolved at all (a DNS query is itself
// a message out of a guest that may reach nothing else), and a numeric query outside the rules
// is refused.
class CsFile final : public p9::OpenFile {
 public:
  explicit CsFile(const NetPolicy& policy) : policy_(policy) {}
  Result<size_t> write(uint64_t, std::span<const std::byte> in) override {
    CsQuery q = TRY(parse_cs_query(std::string_view(reinterpret_cast<const char*>(in.data()), in.size())));
    answer_.clear();
    addrinfo hints{}, *res = nullptr;
    hints.ai_socktype = q.proto == "tcp" ? SOCK_STREAM : SOCK_DGRAM;
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_NUMERICSERV;
    bool passive = q.host.empty();  // "*": an address to announce on, not a destination
    if (passive) hints.ai_flags |= AI_PASSIVE;
    if (!passive && !policy_.connect_to.empty()) {
      if (!canonical_address(q.host))
        return Error{EACCES, "cs: names are not translated here (" + policy_.describe() + ")"};
      hints.ai_flags |= AI_NUMERICHOST;
    }
    int rc = ::getaddrinfo(passive ? nullptr : q.host.c_str(), q.port.c_str(), &hints, &res);
    if (rc != 0) return Error{ENOENT, "cs: cannot translate " + q.text + ": " + ::gai_strerror(rc)};
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      sockaddr_storage ss{};
      std::memcpy(&ss, a->ai_addr, a->ai_addrlen);
      std::string address = plan9_address(ss);
      if (!passive && !policy_.may_connect(address.substr(0, address.rfind('!')))) continue;
      std::string line = "/net/" + q.proto + "/clone " + address + "\n";
      if (answer_.find(line) == std::string::npos) answer_ += line;
    }
    ::freeaddrinfo(res);
    if (answer_.empty())
      return Error{EACCES, "cs: " + q.text + " is not reachable from here (" + policy_.describe() + ")"};
    return in.size();
  }
  Result<size_t> read(uint64_t offset, std::span<std::byte> out) override {
    if (offset >= answer_.size()) return size_t(0);
    size_t n = std::min(out.size(), answer_.size() - size_t(offset));
    std::memcpy(out.data(), answer_.data() + offset, n);
    return n;
  }

 private:
  const NetPolicy& policy_;
  std::string answer_;
};

class CsNode final : public p9::Node {
 public:
  CsNode(uint64_t path, const NetPolicy& policy) : path_(path), policy_(policy) {}
  bool blocking() const override { return true; }
  p9::Qid qid() override { return {p9::QTFILE, 0, path_}; }
  Result<p9::Attr> getattr() override { return p9::synthetic_attr(qid(), 0666, 0); }
  Result<std::unique_ptr<p9::OpenFile>> open(uint32_t) override {
    return std::unique_ptr<p9::OpenFile>(new CsFile(policy_));
  }

 private:
  uint64_t path_;
  const NetPolicy& policy_;
};

}  // namespace
}  // namespace net

using p9::Error;
using p9::Result;

// ---- the tree -------------------------------------------------------------------------------

Result<std::shared_ptr<p9::Node>> NetTree::attach(const p9::Caller& caller) {
  auto stack = std::make_shared<net::Stack>(reactor_, policy_, caller.budget);
  auto root = std::make_shared<p9::SyntheticDir>();
  root->add("tcp", std::make_shared<net::ProtoDir>(stack, net::Proto::kTcp));
  root->add("udp", std::make_shared<net::ProtoDir>(stack, net::Proto::kUdp));
  root->add("cs", std::make_shared<net::CsNode>(stack->qid_path(net::Proto::kTcp, 0x7fffffd, 0), policy_));
  return std::shared_ptr<p9::Node>(root);
}

}  // namespace iohost
