// MPI thread support levels, and what the executor's root may do at each.
#include "rankpool/thread_level.hpp"

namespace rankpool {

std::string_view to_string(ThreadLevel level) {
    switch (level) {
    case ThreadLevel::single:
        return "single";
    case ThreadLevel::funneled:
        return "funneled";
    case ThreadLevel::serialized:
        return "serialized";
    case ThreadLevel::multiple:
        return "multiple";
    }
    return "?";
}

RootWork decide_root_work(bool wanted, int ranks, ThreadLevel provided, int root) {
    if (ranks <= 1) {
        return {true, {}}; // alone: inline, on the calling thread
    }
    if (!wanted) {
        return {false, {}};
    }
    if (provided >= ThreadLevel::funneled) {
        return {true, {}};
    }
    return {false, "rank " + std::to_string(root) + " only dispatches: MPI gave thread level " +
                       std::string(to_string(provided)) +
                       ", and running tasks on a thread beside the dispatcher needs funneled"};
}

ThreadLevel thread_level_to_request(ExtraThreads threads, int rank, int root) {
    switch (threads) {
    case ExtraThreads::none:
        return ThreadLevel::single;
    case ExtraThreads::root:
        return rank == root ? ThreadLevel::funneled : ThreadLevel::single;
    case ExtraThreads::every_rank:
        break;
    }
    return ThreadLevel::funneled;
}

} // namespace rankpool
