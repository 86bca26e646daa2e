// `rankpool sleep 5 4 3 2 1`: ProcessPoolExecutor(P).map(sleep_task, seconds) on MPI ranks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/executor.hpp"

#include "journal_open.hpp" // stopped_by_deadline
#include "sink.hpp"

namespace rankpool::commands {

/// The most tasks a sleep run takes (durations x --repeat): every task costs the root a few
/// dozen bytes, and at ~1 us of dispatch each 10^8 is minutes already.
inline constexpr std::uint64_t max_sleep_tasks = 100000000;

struct SleepOptions {
    std::vector<double> seconds = {5, 4, 3, 2, 1};
    std::uint64_t repeat = 1; ///< the list is run this many times over (for benchmarks)
    ExecutorOptions executor;
    bool quiet = false; ///< no worker lines, results not shown: measures dispatch, not output
    std::optional<std::uint64_t> fail_task;  ///< make this task throw (to test failure handling)
    std::optional<std::uint64_t> crash_task; ///< kill the rank running this task with SIGKILL
    std::optional<std::uint64_t> flaky_task; ///< make this task throw on its first attempt only
    std::string journal; ///< append finished tasks here and skip those it holds (empty: none)
    double grace = 10;   ///< seconds running tasks get to stop after a stop signal (the CLI's)
    bool resume_failed = false; ///< with journal: run only the tasks it records as failed
    std::string deadline; ///< --deadline as given (executor.deadline holds its time; "": none)

    [[nodiscard]] std::uint64_t tasks() const { return seconds.size() * repeat; }
    [[nodiscard]] double cost(std::uint64_t i) const { return seconds[i % seconds.size()]; }
};

/// What a sleep run did: a value with a text and a JSON view.
struct SleepReport {
    SleepOptions options;
    int ranks = 0;
    int workers = 0;
    ExecutionSummary summary;
    double lower_bound = 0;
    double predicted = 0;        ///< the schedule's makespan with free dispatch (simulate_makespan)
    std::uint64_t journaled = 0; ///< results taken from the journal, not run again
    std::uint64_t untried = 0;   ///< resume_failed: tasks without a result or a failure, not run
    int stopped_by = 0;          ///< the stop signal that ended the run early (0: none), or
                                 ///< stopped_by_deadline

    [[nodiscard]] bool ok() const {
        return summary.failed == 0 && summary.completed == summary.tasks;
    }
};

[[nodiscard]] nlohmann::ordered_json to_json(const SleepOptions& o);
/// The report's part of the JSON envelope: ok, options, seconds, results, detail.
[[nodiscard]] nlohmann::ordered_json to_json(const SleepReport& r);
[[nodiscard]] std::vector<std::string> to_text(const SleepReport& r);
/// Task i's input as text: its seconds ("0.5").
[[nodiscard]] std::string task_input(const SleepOptions& o, std::uint64_t i);
/// The one line a failed task gets: "task 3 (sleep 2) failed on rank 1 (host): message".
[[nodiscard]] std::string describe_failure(const SleepOptions& o, const TaskFailure& f);

/// What identifies a sleep run in its journal: the task count and a hash of the task list (the
/// durations and --repeat), the only inputs that change results. Not the rank count, schedule,
/// chunksize, order or failure injection: a resume may change those.
[[nodiscard]] std::string journal_header(const SleepOptions& o);

/// Runs the sleep tasks on `comm` through the executor. Each task says "[rank R] Sleeping for S
/// seconds." through sink.worker_line on the rank that runs it (not with o.quiet); the root hands
/// each result ("Done S") to `sink` as it is released, also with o.quiet (whether it is shown is
/// the sink's choice). With o.journal, the root
/// first hands the journal's results to `sink` (in order, interleaved with new ones), runs only
/// the rest and appends each new result; a journal of other inputs throws usage_error on every
/// rank before any work. With o.executor.deadline the journal's mean duration is the executor's
/// deadline_task_seconds until tasks finish here; a run the deadline stopped has stopped_by
/// stopped_by_deadline. A stop requested through o.executor.stop_requested ends the run early
/// with report.stopped_by set on every rank. Collective.
SleepReport run_sleep(const boost::mpi::communicator& comm, const SleepOptions& o, Sink& sink);

} // namespace rankpool::commands
