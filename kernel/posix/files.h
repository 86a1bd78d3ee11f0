// The descriptor table's entry points for the rest of the kernel.
#pragma once
#include <vector>
#include "ns/file_server.h"

namespace posix {

// fds 0, 1 and 2 on /dev/cons, once the namespace exists.
void open_standard_descriptors();
// The entries of the directory open at `fd` (a fresh list), or nullptr with *error set.
std::vector<ns::Entry>* list_directory(int fd, int* error);

// Sockets (kernel/posix/sockets.cpp) are descriptors whose file is their /net conversation.
class Socket;
struct Description;
int install_socket(xenos::Owned<ns::OpenFile> file, Socket* socket, int flags);
Socket* socket_of(int fd);  // nullptr if fd is not an open socket

// A socket held for the length of a call: a close() by another thread meanwhile cannot free it.
class SocketRef {
 public:
  explicit SocketRef(int fd);
  ~SocketRef();
  SocketRef(const SocketRef&) = delete;
  SocketRef& operator=(const SocketRef&) = delete;
  Socket* get() const;  // nullptr if fd is not an open socket

 private:
  Description* d_;
};

}  // namespace posix
