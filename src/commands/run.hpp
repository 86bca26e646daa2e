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
    std::string journal;     ///< --journal FILE: append finished tasks, skip those it holds
    std::string deadline;    ///< --deadline as given (executor.deadline holds its time; "": none)
    /// retries, halt (never by default: every task runs), stop_requested, on_attempt and
    /// on_progress apply as to any executor run; a failed command is a failed attempt.
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
    std::vector<RunFailure>
        failures; ///< failed commands, their output printed, in task order (root)
    /// Failed tasks without a result to print, in task order (root): an error inside rankpool,
    /// or a retry that was queued when the run stopped (its last failure's message).
    std::vector<TaskFailure> errors;
    std::uint64_t failed = 0;    ///< failed tasks: commands and rankpool's own (every rank)
    std::uint64_t journaled = 0; ///< results taken from the journal, not run again (every rank)
    int stopped_by = 0;      ///< the stop signal that ended the run early, stopped_by_deadline, 0
    double task_seconds = 0; ///< the tasks' own durations summed (root)
    double longest = 0;      ///< the longest task (root)
    double lower_bound = 0;  ///< max(longest, task_seconds / workers), from the measured tasks
    double predicted = 0;    ///< the dynamic schedule's makespan for the measured durations

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

/// A run's tasks: their commands or arguments (on rank 0 only) and their count (every rank).
struct RunItems {
    std::vector<std::string> items;
    std::uint64_t n = 0;
};

/// Rank 0 reads the input (load_items) and shares its verdict and the task count: a file it
/// cannot read is a usage_error on every rank before any work. Collective.
[[nodiscard]] RunItems share_items(const boost::mpi::communicator& comm, const RunOptions& o);

/// What identifies a run in its journal: "rankpool run: N tasks, inputs fnv1a64 H", H a hash
/// of the input source, the command template, the --results folder and every item. Not the
/// rank count, --timeout, --retries, --halt or --unordered: a resume may change those. Pure.
[[nodiscard]] std::string journal_header(const RunOptions& o,
                                         const std::vector<std::string>& items);

/// Receives each task's result on rank 0, in input order or as completed (options.executor
/// .ordered): number is 1-based.
using RunOutput = std::function<void(std::uint64_t number, const TaskResult& result)>;

/// Runs the tasks on `comm` through the executor. A failed command is a failed attempt
/// (executor::failed_result): retried, counted by the halt policy (o.executor.halt), and its last
/// attempt's output still goes to `output` in order. With o.journal, rank 0 first hands the
/// journal's results to `output` (interleaved in input order with new ones), runs only the
/// rest, and appends each new successful result; a journal of other inputs is a usage_error on
/// every rank before any work. A stop requested through o.executor.stop_requested ends the run
/// early with report.stopped_by set on every rank; so does o.executor.deadline, with
/// stopped_by_deadline, when it kept tasks from starting (a journal's measured task times are
/// its first estimate on a resume). Collective.
RunReport run_commands(const boost::mpi::communicator& comm, const RunOptions& o,
                       const RunItems& items, const RunOutput& output);
/// The same, with the items read first (share_items).
RunReport run_commands(const boost::mpi::communicator& comm, const RunOptions& o,
                       const RunOutput& output);

} // namespace rankpool::commands
