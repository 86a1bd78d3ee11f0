// The XenStore client: this domain's connection over the store ring. Paths without a leading
// '/' are relative to the domain's home (/local/domain/<domid>). Many threads may have
// requests in flight; each waits for its own reply.
#pragma once
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include "xenos/result.h"
#include "xenos/thread.h"

namespace xenos::xenstore {

using TransactionId = uint32_t;  // 0: no transaction

Result<std::string> read(std::string_view path, TransactionId tx = 0);
Result<void> write(std::string_view path, std::string_view value, TransactionId tx = 0);
Result<void> mkdir(std::string_view path, TransactionId tx = 0);
Result<void> remove(std::string_view path, TransactionId tx = 0);
Result<std::vector<std::string>> directory(std::string_view path, TransactionId tx = 0);
// Permissions as xenstore spells them: "n0" (owner 0, none for others), "r5", "b3"...
Result<std::vector<std::string>> get_perms(std::string_view path, TransactionId tx = 0);
Result<void> set_perms(std::string_view path, const std::vector<std::string>& perms, TransactionId tx = 0);

Result<TransactionId> transaction_start();
Result<void> transaction_end(TransactionId tx, bool commit);  // EAGAIN: a conflict, retry

// Runs `body(tx)` in a transaction and commits; on EAGAIN runs it again, up to `attempts`.
// `*attempts_used` (optional) says how many runs it took.
template <typename Body>
Result<void> transact(Body&& body, int attempts = 16, int* attempts_used = nullptr) {
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    if (attempts_used) *attempts_used = attempt;
    TransactionId tx = TRY(transaction_start());
    Result<void> r = body(tx);
    if (!r) {
      (void)transaction_end(tx, false);
      return r;
    }
    Result<void> end = transaction_end(tx, true);
    if (end || end.error().code != EAGAIN) return end;
  }
  return Error{EAGAIN, "xenstore: transaction kept conflicting"};
}

// A registered watch; unregistered when it goes out of scope. XenStore fires every new watch
// once at once (with the watched path), then on every change at or below the path.
class Watch {
 public:
  Watch() = default;
  Watch(Watch&& other);
  Watch& operator=(Watch&& other);
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  ~Watch();

  bool valid() const { return state_ != nullptr; }

  // The path of the next change; ETIMEDOUT if none comes before `deadline_ns` (0: wait forever).
  Result<std::string> next(uint64_t deadline_ns = 0);

  struct State;  // the client's bookkeeping for one watch (kernel/xen/xenstore.cpp)

 private:
  friend Result<Watch> watch(std::string_view path);
  void release();  // unregisters and frees, for the destructor and move-assignment
  State* state_ = nullptr;
};

Result<Watch> watch(std::string_view path);

// This domain's id (read once from the store's "domid").
Result<uint16_t> own_domid();

}  // namespace xenos::xenstore
