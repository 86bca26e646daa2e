// MPI thread support levels, and what the executor's root may do at each. No MPI.
#pragma once

#include <string>
#include <string_view>

namespace rankpool {

/// MPI's thread support levels, in increasing order (MPI_THREAD_SINGLE ... MULTIPLE).
enum class ThreadLevel { single, funneled, serialized, multiple };

/// "single", "funneled", "serialized" or "multiple".
[[nodiscard]] std::string_view to_string(ThreadLevel level);

/// Whether the executor's root runs tasks, and if it was asked to but cannot, why.
struct RootWork {
    bool works = false;
    std::string note; ///< empty unless the root was asked to work and does not
};

/// Decides whether the root runs tasks. Alone, it always does (inline, no thread). Among others
/// it runs them on a thread of its own; that thread never calls MPI, so MPI_THREAD_FUNNELED is
/// enough, but under MPI_THREAD_SINGLE the process may have only one thread, so the root only
/// dispatches and the note says why. Pure.
[[nodiscard]] RootWork decide_root_work(bool wanted, int ranks, ThreadLevel provided, int root);

} // namespace rankpool
