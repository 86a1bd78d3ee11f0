// A conversation's ctl file (ip(3)): connect, announce, hangup, keepalive, shutdown, headers.
// Reading it gives the conversation's number. A connect parks until the socket is connected.
#include <netinet/tcp.h>
#include "net_conversation.h"

namespace iohost::net {
namespace {

// ---- ctl ------------------------------------------------------------------------------------

class CtlFile final : public p9::OpenFile {
 public:
  CtlFile(std::shared_ptr<Stack> stack, std::shared_ptr<Conv> conv)
      : stack_(std::move(stack)), use_(std::move(conv)) {}
  bool parks() const override { return true; }

  Cancel read_parked(uint64_t offset, size_t count, Done<std::vector<std::byte>> done) override {
    std::string text = std::to_string(conv().id);  // ip(3): reading ctl gives the number
    text = offset >= text.size() ? "" : text.substr(size_t(offset), count);
    done(bytes_of(text));
    return [] {};
  }

  Cancel write_parked(uint64_t, std::vector<std::byte> data, Done<size_t> done) override {
    size_t n = data.size();
    std::vector<std::string> words =
        ctl_words(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
    if (words.empty()) return answer(done, Error{EINVAL, "net: empty control message"});
    const std::string& verb = words[0];
    if (verb == "connect" && words.size() >= 2) return connect(words[1], n, std::move(done));
    if (verb == "announce" && words.size() >= 2) return answer(done, announce(words[1]), n);
    if (verb == "hangup" && words.size() == 1) {
      conv().hangup("net: hung up");
      return answer(done, Result<void>{}, n);
    }
    if (verb == "keepalive") {
      if (!conv().sock.valid()) return answer(done, Error{ENOTCONN, "net: keepalive: not connected"});
      int one = 1;
      ::setsockopt(conv().sock.get(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
      return answer(done, Result<void>{}, n);
    }
    if (verb == "shutdown" && words.size() == 2) {  // BSD's half-close: "shutdown rd|wr|rdwr"
      int how = words[1] == "rd" ? SHUT_RD : words[1] == "wr" ? SHUT_WR : words[1] == "rdwr" ? SHUT_RDWR : -1;
      if (how < 0) return answer(done, Error{EINVAL, "net: shutdown wants rd, wr or rdwr"});
      if (!conv().sock.valid() || ::shutdown(conv().sock.get(), how) < 0)
        return answer(done, conv().sock.valid() ? sys_error("shutdown")
                                                : Error{ENOTCONN, "net: shutdown: not connected"});
      return answer(done, Result<void>{}, n);
    }
    if (verb == "headers" && words.size() == 1 && conv().proto == Proto::kUdp) {
      conv().headers = true;
      return answer(done, Result<void>{}, n);
    }
    std::string line;
    for (const std::string& w : words) line += (line.empty() ? "" : " ") + w;
    return answer(done, Error{EINVAL, "net: unknown control message \"" + line + "\""});
  }

 private:
  Conv& conv() { return *use_.conv(); }

  Cancel answer(Done<size_t>& done, Result<void> r, size_t n = 0) {
    if (!r)
      done(conv().failed(r.error()));
    else
      done(n);
    return [] {};
  }

  Result<void> open_socket(int family) {
    if (conv().sock.valid() || conv().state != Conv::State::kIdle)
      return Error{EISCONN, "net: the conversation is in use (" + std::string(conv().state_name()) + ")"};
    int type = conv().proto == Proto::kTcp ? SOCK_STREAM : SOCK_DGRAM;
    p9::Charge charge = TRY(p9::Charge::descriptor(stack_->budget()));
    conv().sock = Fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!conv().sock.valid()) return sys_error("socket");
    conv().sock_charge = std::move(charge);
    return {};
  }

  Cancel connect(const std::string& where, size_t n, Done<size_t> done) {
    socklen_t len = 0;
    auto address = parse_address(where, &len, false);
    if (!address) return answer(done, address.error());
    std::string host = where.substr(0, where.rfind('!'));
    if (!stack_->policy().may_connect(host))
      return answer(done, Error{EACCES, "net: connect to " + where + " is not allowed here (" +
                                            stack_->policy().describe() + ")"});
    if (auto s = open_socket(address->ss_family); !s) return answer(done, s.error());
    if (conv().proto == Proto::kTcp) {
      int one = 1;
      ::setsockopt(conv().sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (::connect(conv().sock.get(), reinterpret_cast<sockaddr*>(&*address), len) == 0) {
      conv().state = Conv::State::kEstablished;
      conv().set_names();
      return answer(done, Result<void>{}, n);
    }
    if (errno != EINPROGRESS) {
      Error e = sys_error("connect " + where);
      conv().hangup(e.message);
      return answer(done, e);
    }
    conv().state = Conv::State::kConnecting;
    std::shared_ptr<Conv> c = use_.conv();
    auto reply = std::make_shared<Done<size_t>>(std::move(done));
    return park(
        c, Reactor::Want::kWritable,
        [c, n, reply, where]() -> bool {  // the socket is writable: connected, or failed
          int soerr = 0;
          socklen_t l = sizeof soerr;
          ::getsockopt(c->sock.get(), SOL_SOCKET, SO_ERROR, &soerr, &l);
          if (soerr == 0) {
            c->state = Conv::State::kEstablished;
            c->set_names();
            (*reply)(n);
          } else {
            errno = soerr;
            Error e = c->failed(sys_error("connect " + where));
            c->hangup(e.message);
            (*reply)(e);
          }
          return true;
        },
        [reply](const Error& e) { (*reply)(e); });
  }

  Result<void> announce(const std::string& where) {
    socklen_t len = 0;
    sockaddr_storage ss = TRY(parse_address(where, &len, true));
    uint16_t port = ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(ss).sin_port
                                                  : reinterpret_cast<sockaddr_in6&>(ss).sin6_port);
    if (!stack_->policy().may_announce(port))
      return Error{EACCES, "net: announce on port " + std::to_string(port) + " is not allowed here (" +
                               stack_->policy().describe() + ")"};
    TRY_VOID(open_socket(ss.ss_family));
    int one = 1, zero = 0;
    ::setsockopt(conv().sock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
      ::setsockopt(conv().sock.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (::bind(conv().sock.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0 ||
        (conv().proto == Proto::kTcp && ::listen(conv().sock.get(), 64) < 0)) {
      Error e = sys_error("announce " + where);
      conv().hangup(e.message);
      conv().state = Conv::State::kIdle;
      return e;
    }
    conv().state = Conv::State::kAnnounced;
    conv().set_names();
    return {};
  }

  std::shared_ptr<Stack> stack_;
  ConvUse use_;
};

}  // namespace

std::unique_ptr<p9::OpenFile> ctl_file(std::shared_ptr<Stack> stack, std::shared_ptr<Conv> conv) {
  return std::unique_ptr<p9::OpenFile>(new CtlFile(std::move(stack), std::move(conv)));
}

}  // namespace iohost::net
