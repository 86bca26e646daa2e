// ProcessPoolExecutor.map over MPI: a master/worker executor with ordered or unordered results.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/mpi/communicator.hpp>

#include "rankpool/attempt.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/halt.hpp"
#include "rankpool/schedule.hpp"
#include "rankpool/stop_token.hpp"
#include "rankpool/tasks.hpp"
#include "rankpool/wait.hpp"

namespace rankpool {

struct ExecutorOptions {
    Schedule schedule = Schedule::dynamic;
    /// Tasks per message; chunksize_auto (0, dynamic schedule only): chunks that start at
    /// tasks / (2 workers) and halve as the work runs out, sized from the round trips the root
    /// measures (rankpool/chunking.hpp's AutoChunker).
    std::uint64_t chunksize = 1;
    bool longest_first = false; ///< hand out the costliest tasks first (needs the tasks' costs)
    bool ordered = true;        ///< results in input order (map) or as they complete (as_completed)
    bool keep_going = false;    ///< run every task despite failures (as halt = never)
    bool root_works = true;     ///< the root runs tasks too (on a thread of its own)
    IdleWait idle = IdleWait::backoff;
    int root = 0;
    /// Read on the root each time round its loop (and by the root's own tasks' stop tokens):
    /// once it holds non-zero, nothing more is handed out and running tasks are asked to stop, as
    /// after a failure, but no task fails; the summary shows fewer tasks completed. A signal
    /// handler's flag (a lock-free atomic) is what it is for. May be null.
    const std::atomic<int>* stop_requested = nullptr;
    /// When failed tasks stop the run (default now,fail=1: the first one); keep_going overrides
    /// it with never. A task counts as failed once its retries are spent.
    HaltPolicy halt;
    /// Runs a failed task again up to this many more times (at most max_retries), on a rank
    /// that has not failed it when there is one, before it counts as failed. A successful retry
    /// delivers its result as usual; a task sees its attempt number in TaskContext::attempt.
    unsigned retries = 0;
    /// Called on the root with every attempt of every task (ok, failed or cancelled) as its
    /// chunk comes back. Read on the root only; when set there, workers time each task and send
    /// its start and duration beside its result (16 bytes more per task).
    std::function<void(const TaskAttempt&)> on_attempt;
    /// Called on the root's main thread with (tasks finished, ok or failed for good; tasks) at
    /// most every 100 ms while the run goes, and once at its end. Read on the root only.
    std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
    /// A deadline, Unix seconds (0: none; rankpool/deadline.hpp reads --deadline's texts). Read on
    /// the root: a chunk is handed out only if the mean time of the tasks finished so far (a
    /// chunk's hand-out to its result, over its tasks) says it finishes by then; once one does
    /// not, nothing more is handed out (as halt's `soon`: running tasks finish) and the summary
    /// says deadline_stopped. Before any task finished, deadline_task_seconds (e.g. a journal's
    /// times), else tasks start while the deadline is ahead.
    double deadline = 0;
    double deadline_task_seconds = 0;
    /// Called on the root each time a chunk came back, after its results went to on_result
    /// (ordered: those the window released): a place to batch per chunk (one journal record).
    /// Throwing from it stops the run as on_result's throwing does.
    std::function<void()> on_chunk_end;

    /// The policy the run follows: never with keep_going, else halt.
    [[nodiscard]] HaltPolicy effective_halt() const {
        return keep_going ? HaltPolicy::never() : halt;
    }
};

/// The most retries a task can have (ExecutorOptions::retries).
inline constexpr unsigned max_retries = 255;

/// Thrown by a task (one with std::string or std::vector<std::byte> results) whose attempt failed
/// but has a result to show all the same, as a shell command's output and exit status: the
/// attempt counts as failed (ExecutorOptions::retries run it again, the halt policy counts it
/// once its retries are spent, on_attempt sees it as failed with what() as its error), and when
/// it fails for good its last attempt's result still reaches on_result, in order, as a
/// successful one's would; the caller's result says that it failed. The summary counts it in
/// `failed` (not `completed`) and lists it in `failures`. With fixed-size results it is a plain
/// failure (the bytes are dropped).
class failed_result : public std::runtime_error {
public:
    failed_result(const std::string& message, std::string bytes)
        : std::runtime_error(message), bytes_(std::move(bytes)) {}
    [[nodiscard]] const std::string& bytes() const noexcept { return bytes_; }

private:
    std::string bytes_;
};

/// Where one rank's time and messages went in a run (ExecutionSummary::overhead). Counted as the
/// run goes (two clock reads per chunk, no messages) and gathered on the root once at its end.
struct RankOverhead {
    double busy = 0;            ///< seconds in tasks (the root: inline and on its thread)
    double waiting = 0;         ///< seconds of the run not in tasks: waiting for a chunk, taking
                                ///< it in, sending results (0 for a root that does not work)
    std::uint64_t tasks = 0;    ///< task runs finished (ok or failed, retries included)
    std::uint64_t chunks = 0;   ///< chunks run
    std::uint64_t messages = 0; ///< point-to-point messages sent (chunks, payloads, stops, results)
    std::uint64_t bytes = 0;    ///< their bytes
};

/// What a run did. `tasks`, `completed`, `failed`, `root_worked` and `notes` are known on every
/// rank; the rest on the root only.
struct ExecutionSummary {
    std::uint64_t tasks = 0;        ///< tasks asked to run: the subset's size, or n
    std::uint64_t completed = 0;    ///< tasks that returned a result
    std::uint64_t failed = 0;       ///< tasks that threw
    bool root_worked = false;       ///< whether the root ran tasks
    std::vector<std::string> notes; ///< where the run differs from what was asked, and why
    double makespan = 0;            ///< seconds from the start to the last result (root)
    std::vector<std::uint64_t> tasks_per_rank; ///< task runs each rank finished (ok or failed,
                                               ///< retries included), indexed by rank (root)
    std::vector<TaskFailure> failures;         ///< in task order (root)
    std::uint64_t chunks = 0;                  ///< chunks handed out (root)
    std::uint64_t attempts = 0; ///< task runs started, retries and cancelled ones included (root)
    std::uint64_t retries = 0;  ///< failed runs that were run again (root)
    bool halted = false;        ///< the halt policy stopped the run (root)
    bool deadline_stopped = false;      ///< ExecutorOptions::deadline stopped handing out (root)
    std::vector<RankOverhead> overhead; ///< per rank, indexed by rank (root)
    double dispatching = 0; ///< seconds of the root's dispatching thread not in tasks (root)
    std::uint64_t inline_chunks = 0; ///< the root's chunks it ran inline, not on its thread (root)
};

/// Thrown by execute on every rank when a task threw (after the others stopped, or with
/// keep_going after every task ran), or on the ranks other than the root when the root's
/// on_result threw. what() is the same on every rank: the first failure's line as
/// describe(TaskFailure) gives it, with "(and N more)", as map's task_error. failures() lists
/// every failure on the root (empty elsewhere); summary() is the run's summary.
class execution_error : public task_error {
public:
    /// On the root: what() from the failures.
    explicit execution_error(ExecutionSummary summary);
    /// Elsewhere: the root's what(), no failures.
    execution_error(const std::string& what, ExecutionSummary summary);
    [[nodiscard]] const ExecutionSummary& summary() const noexcept { return *summary_; }

private:
    std::shared_ptr<const ExecutionSummary> summary_; // shared: exceptions copy without throwing
};

namespace detail {

/// How results travel: `size` bytes each (trivially copyable results), or any number of bytes
/// each when `variable`.
struct ResultFormat {
    std::size_t size = 0;
    bool variable = false;
};
/// Where a task's result goes: `fixed` has room for ResultFormat::size bytes; a variable-size
/// result appends its bytes to `bytes`.
struct ResultOut {
    unsigned char* fixed = nullptr;
    std::vector<unsigned char>* bytes = nullptr;
};
/// A task with its result type erased: runs the task, writes its result to `out`, throws on
/// failure.
using ErasedTask = std::function<void(const TaskContext& context, const ResultOut& out)>;
/// Receives a result's bytes on the root.
using ErasedSink = std::function<void(std::uint64_t index, std::span<const unsigned char> result)>;
/// Receives a run of fixed-size results on the root, one on_result call each but one erased call
/// for the run: the result of task indices[k] is at slots + k * stride. `done` counts the calls
/// that returned, so that an exception names its task.
using ErasedRunSink =
    std::function<void(std::span<const std::uint64_t> indices, const unsigned char* slots,
                       std::size_t stride, std::size_t& done)>;

/// `run_sink` is empty for variable-size results: every result then goes through `sink`.
ExecutionSummary execute_erased(const boost::mpi::communicator& comm, const Tasks& tasks,
                                ResultFormat format, const ErasedTask& task, const ErasedSink& sink,
                                const ErasedRunSink& run_sink, const ExecutorOptions& options);

/// Calls a task in whichever form it takes: task(index, stop), task(index) or task(context).
template <class F>
decltype(auto) call_task(F& f, const TaskContext& c) {
    if constexpr (std::is_invocable_v<F&, std::uint64_t, const StopToken&>) {
        return f(c.index, c.stop);
    } else if constexpr (std::is_invocable_v<F&, std::uint64_t>) {
        return f(c.index);
    } else {
        return f(c);
    }
}

template <class F>
inline constexpr bool is_task_v =
    std::is_invocable_v<F&, std::uint64_t, const StopToken&> ||
    std::is_invocable_v<F&, std::uint64_t> || std::is_invocable_v<F&, const TaskContext&>;

/// The type a task returns, decayed (void if F is no task).
template <class F>
using task_result_t = std::decay_t<typename std::conditional_t<
    std::is_invocable_v<F&, std::uint64_t, const StopToken&>,
    std::invoke_result<F&, std::uint64_t, const StopToken&>,
    std::conditional_t<
        std::is_invocable_v<F&, std::uint64_t>, std::invoke_result<F&, std::uint64_t>,
        std::conditional_t<std::is_invocable_v<F&, const TaskContext&>,
                           std::invoke_result<F&, const TaskContext&>, std::type_identity<void>>>>::
                                       type>;

/// Results that travel as variable-size bytes, and the view on_result receives for each.
template <class R>
inline constexpr bool is_bytes_result_v =
    std::is_same_v<R, std::string> || std::is_same_v<R, std::vector<std::byte>>;
template <class R>
using result_view_t = std::conditional_t<std::is_same_v<R, std::string>, std::string_view,
                                         std::span<const std::byte>>;

} // namespace detail

/// ProcessPoolExecutor.map: runs each task of `tasks` across the ranks of `comm` and calls
/// on_result(index, result) on the root, in index order when options.ordered (each as soon as it
/// and every task before it in the set are done) or as each arrives. A task is called as
/// task(const TaskContext&) (index, payload, stop token), task(index, const StopToken&) or
/// task(index); a generic lambda must name TaskContext. Every rank must pass the same n, task
/// and options (every rank parses the same input); the subset, payloads and costs are read on
/// the root. With one rank the root runs everything itself; among several it runs tasks on a
/// thread of its own (options.root_works) if MPI's thread level allows (see
/// decide_root_work), and only dispatches otherwise, saying so in the summary's notes.
///
/// Results: a trivially copyable R travels as its bytes and on_result gets an R; a std::string
/// or std::vector<std::byte> travels as variable-size bytes and on_result gets a
/// std::string_view or std::span<const std::byte>, valid during the call. Anything else does not
/// compile: serialize it into one of those.
///
/// Errors: a task that throws never hangs the others. The run stops (unless keep_going: then
/// every task runs) and execute throws execution_error on every rank. If on_result throws, the
/// run stops as well; the root rethrows that exception and the other ranks throw
/// execution_error naming it. Bad tasks or options (a subset that is not sorted and unique,
/// payloads or costs not one per task) throw std::invalid_argument on every rank. Collective.
template <class F, class OnResult>
ExecutionSummary execute(const boost::mpi::communicator& comm, const Tasks& tasks, F&& task,
                         OnResult&& on_result, const ExecutorOptions& options = {}) {
    static_assert(detail::is_task_v<F>, "rankpool::execute: a task must be callable as "
                                        "task(const TaskContext&), task(index, const StopToken&) "
                                        "or task(index)");
    using R = detail::task_result_t<F>;
    static_assert(std::is_trivially_copyable_v<R> || detail::is_bytes_result_v<R>,
                  "rankpool::execute: a task must return a trivially copyable type (sent as its "
                  "bytes) or std::string / std::vector<std::byte> (sent as variable-size bytes); "
                  "serialize other results into one of those");
    if constexpr (detail::is_bytes_result_v<R>) {
        using View = detail::result_view_t<R>;
        static_assert(std::is_invocable_v<OnResult&, std::uint64_t, View>,
                      "rankpool::execute: with std::string (std::vector<std::byte>) results, "
                      "on_result is called as on_result(index, std::string_view "
                      "(std::span<const std::byte>))");
        const detail::ErasedTask erased = [&task](const TaskContext& c,
                                                  const detail::ResultOut& out) {
            const R r = detail::call_task(task, c);
            const auto* p = reinterpret_cast<const unsigned char*>(r.data());
            out.bytes->insert(out.bytes->end(), p, p + r.size());
        };
        const detail::ErasedSink sink = [&on_result](std::uint64_t i,
                                                     std::span<const unsigned char> bytes) {
            using Elem = typename View::value_type;
            on_result(i, View(reinterpret_cast<const Elem*>(bytes.data()), bytes.size()));
        };
        return detail::execute_erased(comm, tasks, {0, true}, erased, sink, {}, options);
    } else if constexpr (std::is_trivially_copyable_v<R>) {
        const detail::ErasedTask erased = [&task](const TaskContext& c,
                                                  const detail::ResultOut& out) {
            const R r = detail::call_task(task, c);
            std::memcpy(out.fixed, &r, sizeof(R));
        };
        const detail::ErasedSink sink = [&on_result](std::uint64_t i,
                                                     std::span<const unsigned char> bytes) {
            R r;
            std::memcpy(&r, bytes.data(), sizeof(R));
            on_result(i, r);
        };
        const detail::ErasedRunSink run_sink = [&on_result](std::span<const std::uint64_t> indices,
                                                            const unsigned char* slots,
                                                            std::size_t stride, std::size_t& done) {
            for (; done < indices.size(); ++done) {
                R r;
                std::memcpy(&r, slots + done * stride, sizeof(R));
                on_result(indices[done], r);
            }
        };
        return detail::execute_erased(comm, tasks, {sizeof(R), false}, erased, sink, run_sink,
                                      options);
    } else {
        return {}; // unreachable: the static_assert above has failed
    }
}

/// The older call form: every index in [0, n), `costs` (one per task, read on the root) for
/// longest_first. Same as execute(comm, Tasks(n).with_costs(costs), task, on_result, options).
template <class F, class OnResult>
ExecutionSummary execute(const boost::mpi::communicator& comm, std::uint64_t n, F&& task,
                         OnResult&& on_result, const ExecutorOptions& options = {},
                         std::span<const double> costs = {}) {
    return execute(comm, Tasks(n).with_costs(costs), std::forward<F>(task),
                   std::forward<OnResult>(on_result), options);
}

} // namespace rankpool
