// Errors as values in the kernel: the one Error type (an errno plus an owned message that names
// what failed, with context such as the xenstore path) and Result<T> are lib9p's, so an error
// crosses from a ring or xenstore through lib9p to an app unchanged. This header names them in
// xenos:: for kernel code; TRY and TRY_VOID come with them.
#pragma once
#include <p9/error.h>

namespace xenos {

using Error = p9::Error;
template <typename T>
using Result = p9::Result<T>;

}  // namespace xenos
