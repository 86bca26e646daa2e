// `rankpool run 'cmd {}' ::: a b c`: a task farm of shell commands over MPI ranks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/executor.hpp"
#include "rankpool/run_template.hpp"

#include "run_result.hpp"

namespace rankpool::commands {

/// The most tasks a run takes (each costs rank 0 its command or argument in memory).
inline constexpr std::uint64_t max_run_tasks = 100000000;

struct RunOptions {
    RunInput input;          ///< the command template and where its arguments come from
    double timeout = 0;      ///< seconds per task; 0: none
    double grace = 1;        ///< seconds between SIGTERM and SIGKILL when a task times out
    std::string results_dir; ///< --results DIR: each task's output to files on its host
    bool summary = false;    ///< print the run's summary (makespan, bound) on stderr
    ExecutorOptions executor;
};

/// One failed task, as rank 0 reports it.
struct RunFailure {
    std::uint64_t number = 0; ///< 1-based task number ({#})
    TaskResult result;
};

[[nodiscard]] nlohmann::ordered_json to_json(const RunOptions& o);

/// One task's result as results.values holds it with --json: task, rank, host, ending ("exit",
/// "signal", "timeout", "not run"), code, seconds, stdout, stderr.
[[nodiscard]] nlohmann::ordered_json to_json(std::uint64_t number, const TaskResult& t);

/// What a run did.
struct RunReport {
    RunOptions options;
    int ranks = 0;
    int workers = 0;
    ExecutionSummary summary;
    std::vector<RunFailure> failures; ///< in task order (root)
    std::uint64_t failed = 0;         ///< failed tasks: commands and rankpool's own (every rank)
    double task_seconds = 0;          ///< the tasks' own durations summed (root)
    double longest = 0;               ///< the longest task (root)
    double lower_bound = 0; ///< max(longest, task_seconds / workers), from the measured tasks
    double predicted = 0;   ///< the dynamic schedule's makespan for the measured durations

    [[nodiscard]] bool ok() const { return failed == 0 && summary.completed == summary.tasks; }
};

/// The report's part of the JSON envelope: command, ok, options, seconds, results (count,
/// completed, failed, failures), detail (workers, makespan, lower_bound, predicted, ...).
[[nodiscard]] nlohmann::ordered_json to_json(const RunReport& r);

/// The summary's lines: tasks, ranks, makespan against the bound and the prediction, failures.
[[nodiscard]] std::vector<std::string> to_text(const RunReport& r);

/// The tasks' commands or arguments, read on rank 0 (from the ::: list or the file), or
/// usage_error. Pure but for reading the file.
[[nodiscard]] std::vector<std::string> load_items(const RunInput& in);

/// Receives each task's result on rank 0, in input order or as completed (options.executor
/// .ordered): number is 1-based.
using RunOutput = std::function<void(std::uint64_t number, const TaskResult& result)>;

/// Runs the tasks on `comm` through the executor; every task runs (a failed task does not stop
/// the others). Rank 0 reads the input and shares its verdict first: a file it cannot read is a
/// usage_error on every rank before any work. Collective.
RunReport run_commands(const boost::mpi::communicator& comm, const RunOptions& o,
                       const RunOutput& output);

} // namespace rankpool::commands
