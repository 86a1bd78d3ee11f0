// Contracts: a broken precondition is a bug. In the guest it panics; in the host unit tests
// the test support file defines contract_violation to throw, so one contract serves both.
#pragma once

[[noreturn]] void contract_violation(const char* expression, const char* file, int line);

#define Expects(cond) ((cond) ? static_cast<void>(0) : contract_violation(#cond, __FILE__, __LINE__))
