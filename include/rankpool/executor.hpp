// ProcessPoolExecutor.map over MPI: a master/worker executor with ordered or unordered results.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <type_traits>
#include <vector>

#include <boost/mpi/communicator.hpp>

#include "rankpool/errors.hpp"
#include "rankpool/schedule.hpp"
#include "rankpool/stop_token.hpp"

namespace rankpool {

/// How idle ranks wait for the next message.
enum class IdleWait {
    backoff, ///< poll for ~50 us, then sleep in growing steps up to 1 ms: little CPU when idle
    spin,    ///< poll without pause: lowest latency, one busy core per waiting rank
};

struct ExecutorOptions {
    Schedule schedule = Schedule::dynamic;
    std::uint64_t chunksize = 1;
    bool longest_first = false; ///< hand out the costliest tasks first (needs costs)
    bool ordered = true;        ///< results in input order (map) or as they complete (as_completed)
    bool keep_going = false;    ///< run every task despite failures, report them all at the end
    bool root_works = true;     ///< the root runs tasks too (on a thread of its own)
    IdleWait idle = IdleWait::backoff;
    int root = 0;
};

/// What a run did. `tasks`, `completed` and `failed` are known on every rank; the rest on the
/// root only.
struct ExecutionSummary {
    std::uint64_t tasks = 0;
    std::uint64_t completed = 0;               ///< tasks that returned a result
    std::uint64_t failed = 0;                  ///< tasks that threw
    double makespan = 0;                       ///< seconds from the start to the last result (root)
    std::vector<std::uint64_t> tasks_per_rank; ///< tasks each rank ran, indexed by rank (root)
    std::vector<TaskFailure> failures;         ///< in task order (root)
    std::uint64_t chunks = 0;                  ///< chunks handed out (root)
};

namespace detail {

/// A task with its result type erased: runs task `index`, writes the result's bytes to `out`,
/// throws on failure.
using ErasedTask = std::function<void(std::uint64_t index, void* out, const StopToken& stop)>;
/// Receives a result's bytes on the root.
using ErasedSink = std::function<void(std::uint64_t index, const void* result)>;

ExecutionSummary execute_erased(const boost::mpi::communicator& comm, std::uint64_t n,
                                std::size_t result_size, const ErasedTask& task,
                                const ErasedSink& sink, const ExecutorOptions& options,
                                std::span<const double> costs);

} // namespace detail

/// ProcessPoolExecutor.map: runs task(i) (or task(i, stop_token)) for i in [0, n) across the
/// ranks of `comm` and calls on_result(i, result) on the root, in index order when
/// options.ordered (each as soon as it and all before it are done) or as each arrives. Every
/// rank must pass the same n, task and options (every rank parses the same input); `costs`
/// (one per task, read on the root) is needed only for longest_first. With one rank the root
/// runs everything itself. A task that throws is reported, never hangs the others: the run stops
/// (unless keep_going) and the summary lists the failure with its origin. Collective.
/// R must be trivially copyable: results travel as bytes.
template <class F, class OnResult>
ExecutionSummary execute(const boost::mpi::communicator& comm, std::uint64_t n, F&& task,
                         OnResult&& on_result, const ExecutorOptions& options = {},
                         std::span<const double> costs = {}) {
    constexpr bool takes_token = std::is_invocable_v<F&, std::uint64_t, const StopToken&>;
    using R = typename std::conditional_t<takes_token,
                                          std::invoke_result<F&, std::uint64_t, const StopToken&>,
                                          std::invoke_result<F&, std::uint64_t>>::type;
    static_assert(std::is_trivially_copyable_v<R>, "results travel as bytes");
    const detail::ErasedTask erased = [&task](std::uint64_t i, void* out, const StopToken& stop) {
        R r;
        if constexpr (takes_token) {
            r = task(i, stop);
        } else {
            r = task(i);
        }
        std::memcpy(out, &r, sizeof(R));
    };
    const detail::ErasedSink sink = [&on_result](std::uint64_t i, const void* bytes) {
        R r;
        std::memcpy(&r, bytes, sizeof(R));
        on_result(i, r);
    };
    return detail::execute_erased(comm, n, sizeof(R), erased, sink, options, costs);
}

} // namespace rankpool
