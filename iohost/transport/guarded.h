// A session's receive() with every exception a tree may throw caught: a client that makes a
// tree throw (bad_alloc from a size it chose, anything else) loses its session, never the
// process and every other client with it.
#pragma once
#include <exception>
#include <new>
#include <string>
#include "p9/server.h"

namespace iohost {

inline p9::Result<void> receive_guarded(p9::Session& session, std::span<const std::byte> message) {
  try {
    return session.receive(message);
  } catch (const std::bad_alloc&) {
    return p9::Error{ENOMEM, "session ended: a request asked for more memory than there is"};
  } catch (const std::exception& e) {
    return p9::Error{EIO, std::string("session ended: the server failed: ") + e.what()};
  } catch (...) {
    return p9::Error{EIO, "session ended: the server failed"};
  }
}

}  // namespace iohost
