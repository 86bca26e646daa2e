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

/// Which ranks of a run start threads of their own beside the one that calls MPI (none of those
/// threads calls MPI).
enum class ExtraThreads {
    none,      ///< no rank: every rank runs its tasks on its one thread
    root,      ///< the root only (the executor's root that works runs tasks on a thread)
    every_rank ///< any rank may (the safe answer when a command does not say)
};

/// The thread level a rank asks MPI_Init_thread for: MPI_THREAD_FUNNELED where it starts threads
/// of its own, MPI_THREAD_SINGLE where it has one thread only. Open MPI 4.1 takes a mutex around
/// its matching and request completion at any level above single: a dispatch round trip costs
/// about 0.30 us instead of 0.20 on two cores (README, "Thread levels"). `rank` is the rank as
/// the launcher tells it before MPI_Init; ranks differ in what they ask, which MPI allows. Pure.
[[nodiscard]] ThreadLevel thread_level_to_request(ExtraThreads threads, int rank, int root = 0);

} // namespace rankpool
