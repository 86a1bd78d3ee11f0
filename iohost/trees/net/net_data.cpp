// A conversation's data file: the TCP stream, or one UDP datagram per read and write (with
// Plan 9's Udphdr once "headers" was written to ctl). Reads and writes park on the socket.
#include <cstring>
#include <arpa/inet.h>
#include "net_conversation.h"

namespace iohost::net {
namespace {

// ---- data -----------------------------------------------------------------------------------

// Plan 9's Udphdr: raddr[16] laddr[16] ifcaddr[16] rport[2] lport[2], IPv4 as v4-mapped IPv6.
constexpr size_t kUdpHeader = 52;

void put_v6(std::byte* out, const sockaddr_storage& ss, uint16_t* port) {
  in6_addr a{};
  if (ss.ss_family == AF_INET) {
    auto& s4 = reinterpret_cast<const sockaddr_in&>(ss);
    a.s6_addr[10] = a.s6_addr[11] = 0xff;
    std::memcpy(&a.s6_addr[12], &s4.sin_addr, 4);
    *port = ntohs(s4.sin_port);
  } else {
    auto& s6 = reinterpret_cast<const sockaddr_in6&>(ss);
    a = s6.sin6_addr;
    *port = ntohs(s6.sin6_port);
  }
  std::memcpy(out, &a, 16);
}

class DataFile final : public p9::OpenFile {
 public:
  explicit DataFile(std::shared_ptr<Conv> conv) : use_(std::move(conv)) {}
  bool parks() const override { return true; }

  Cancel read_parked(uint64_t, size_t count, Done<std::vector<std::byte>> done) override {
    std::shared_ptr<Conv> c = use_.conv();
    if (!c->sock.valid() || c->state == Conv::State::kConnecting ||
        (c->proto == Proto::kTcp && c->state != Conv::State::kEstablished)) {
      done(Error{ENOTCONN, "net: read: the conversation is " + std::string(c->state_name())});
      return [] {};
    }
    auto reply = std::make_shared<Done<std::vector<std::byte>>>(std::move(done));
    return park(
        c, Reactor::Want::kReadable,
        [c, count, reply]() -> bool {
          bool headers = c->headers;
          if (headers && count < kUdpHeader + 1) {
            (*reply)(Error{EINVAL, "net: a read of a udp conversation with headers needs room for them"});
            return true;
          }
          std::vector<std::byte> buf(count);
          size_t at = headers ? kUdpHeader : 0;
          sockaddr_storage from{};
          socklen_t len = sizeof from;
          ssize_t got = ::recvfrom(c->sock.get(), buf.data() + at, count - at, MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &len);
          if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
            (*reply)(c->failed(sys_error("read")));
            return true;
          }
          if (headers) {
            uint16_t rport = 0, lport = 0;
            put_v6(buf.data(), from, &rport);
            sockaddr_storage me{};
            socklen_t ml = sizeof me;
            ::getsockname(c->sock.get(), reinterpret_cast<sockaddr*>(&me), &ml);
            put_v6(buf.data() + 16, me, &lport);
            std::memcpy(buf.data() + 32, buf.data() + 16, 16);  // ifcaddr: the local address
            buf[48] = std::byte(rport >> 8), buf[49] = std::byte(rport);
            buf[50] = std::byte(lport >> 8), buf[51] = std::byte(lport);
          }
          buf.resize(at + size_t(got));
          (*reply)(std::move(buf));
          return true;
        },
        [reply](const Error& e) { (*reply)(e); });
  }

  Cancel write_parked(uint64_t, std::vector<std::byte> data, Done<size_t> done) override {
    std::shared_ptr<Conv> c = use_.conv();
    if (!c->sock.valid() || (c->proto == Proto::kTcp && c->state != Conv::State::kEstablished)) {
      done(Error{ENOTCONN, "net: write: the conversation is " + std::string(c->state_name())});
      return [] {};
    }
    if (c->proto == Proto::kUdp) return send_datagram(*c, data, done);
    auto state = std::make_shared<std::pair<std::vector<std::byte>, size_t>>(std::move(data), 0);
    uint64_t turn = c->next_write++;
    c->write_order.push_back(turn);
    auto over = [c, turn] { std::erase(c->write_order, turn); };
    auto reply = std::make_shared<Done<size_t>>([done = std::move(done), over](Result<size_t> r) {
      over();
      done(std::move(r));
    });
    Cancel cancel = park(
        c, Reactor::Want::kWritable,
        [c, state, reply, turn]() -> bool {
          if (c->write_order.empty() || c->write_order.front() != turn) return false;  // not its turn yet
          auto& [bytes, sent] = *state;
          while (sent < bytes.size()) {
            ssize_t n =
                ::send(c->sock.get(), bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
              if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
              (*reply)(c->failed(sys_error("write")));
              return true;
            }
            sent += size_t(n);
          }
          (*reply)(sent);
          return true;
        },
        [reply](const Error& e) { (*reply)(e); });
    return [cancel, over] {
      cancel();
      over();
    };
  }

 private:
  // One write, one datagram (with headers: to the address in its Udphdr).
  static Cancel send_datagram(Conv& c, const std::vector<std::byte>& data, Done<size_t>& done) {
    ssize_t n;
    if (c.headers) {
      if (data.size() < kUdpHeader) {
        done(Error{EINVAL, "net: a udp write with headers is shorter than its header"});
        return [] {};
      }
      sockaddr_in6 to{};
      to.sin6_family = AF_INET6;
      std::memcpy(&to.sin6_addr, data.data(), 16);
      to.sin6_port = htons(uint16_t(uint16_t(data[48]) << 8 | uint16_t(data[49])));
      // Each datagram names its own destination: the policy is asked every time, not only at
      // the conversation's connect.
      char text[INET6_ADDRSTRLEN] = "";
      ::inet_ntop(AF_INET6, &to.sin6_addr, text, sizeof text);
      if (!c.policy.may_connect(text)) {
        done(Error{EACCES, std::string("net: a datagram to ") + text + " is not allowed here (" +
                               c.policy.describe() + ")"});
        return [] {};
      }
      sockaddr_storage local{};
      socklen_t ll = sizeof local;
      ::getsockname(c.sock.get(), reinterpret_cast<sockaddr*>(&local), &ll);
      if (local.ss_family == AF_INET) {  // an IPv4 socket takes the v4-mapped address as IPv4
        sockaddr_in to4{};
        to4.sin_family = AF_INET;
        std::memcpy(&to4.sin_addr, data.data() + 12, 4);
        to4.sin_port = to.sin6_port;
        n = ::sendto(c.sock.get(), data.data() + kUdpHeader, data.size() - kUdpHeader, MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&to4), sizeof to4);
      } else {
        n = ::sendto(c.sock.get(), data.data() + kUdpHeader, data.size() - kUdpHeader, MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&to), sizeof to);
      }
      if (n >= 0) n += ssize_t(kUdpHeader);
    } else {
      n = ::send(c.sock.get(), data.data(), data.size(), MSG_DONTWAIT);
    }
    if (n < 0)
      done(c.failed(sys_error("write")));  // a full queue drops a datagram: EAGAIN says so
    else
      done(size_t(n));
    return [] {};
  }

  ConvUse use_;
};

}  // namespace

std::unique_ptr<p9::OpenFile> data_file(std::shared_ptr<Conv> conv) {
  return std::unique_ptr<p9::OpenFile>(new DataFile(std::move(conv)));
}

}  // namespace iohost::net
