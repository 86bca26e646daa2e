// What the command line watches of an executor run: --joblog FILE, progress lines, --halt text.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/mpi/communicator.hpp>

#include "rankpool/executor.hpp"
#include "rankpool/progress.hpp"

#include "joblog.hpp"

namespace CLI {
class App;
}

namespace rankpool::cli {

class Output;

/// The long-jobs options every executor command takes alike, as given (checked by
/// apply_watch_options): --retries N, --halt WHEN,fail=N, --joblog FILE, --progress,
/// --no-progress.
struct WatchArgs {
    std::string retries;
    std::string halt;
    std::string joblog;
    bool progress = false;
    bool no_progress = false;
};

/// Adds --retries, --halt, --joblog, --progress and --no-progress to `cmd`, in that order;
/// `halt_default` names the default --halt in its help ("now,fail=1", "never").
void add_watch_options(CLI::App& cmd, WatchArgs& a, const std::string& halt_default);

/// Checks the values (usage_error, one line) and sets o.retries and, when --halt is given,
/// o.halt. Returns the progress mode (progress_mode).
ProgressMode apply_watch_options(const WatchArgs& a, ExecutorOptions& o);

/// --halt's value as a policy, or usage_error with one line saying why.
[[nodiscard]] HaltPolicy parse_halt_option(const std::string& text);
/// --progress / --no-progress as a mode (automatic with neither); usage_error with both.
[[nodiscard]] ProgressMode progress_mode(bool progress, bool no_progress);
/// --halt with --keep-going is a contradiction: usage_error when both are given.
void check_halt_and_keep_going(bool halt_given, bool keep_going);

/// The joblog and the progress line of one executor run. attach() points the executor's
/// callbacks at them on the root; it must outlive the run.
class RunWatch {
public:
    /// Collective: with a joblog, gathers every rank's host and pid and opens the file on the
    /// root; problem() then says, on every rank, why it could not.
    RunWatch(const boost::mpi::communicator& comm, int root, const std::string& joblog,
             ProgressMode mode, std::function<std::string(std::uint64_t index)> input);

    /// Empty, or why the joblog cannot be written (the same on every rank).
    [[nodiscard]] const std::string& problem() const noexcept { return problem_; }
    /// Sets o.on_attempt (with a joblog) and o.on_progress (unless progress is off), on the root.
    void attach(ExecutorOptions& o);
    /// After the run, on the root: the closing progress line, and the joblog closed. Returns
    /// why the joblog could not be written, or empty.
    [[nodiscard]] std::string finish(const ExecutionSummary& s);

private:
    [[nodiscard]] double elapsed() const;
    void show(const std::optional<std::string>& text) const;

    bool root_;
    std::string problem_;
    std::unique_ptr<JoblogWriter> joblog_;
    ProgressMeter meter_;
    bool progress_on_;
    std::function<std::string(std::uint64_t)> input_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// Starts an executor run's watch: when the joblog cannot be written, says why (rank 0) and
/// returns false; else attaches `watch` to `o`, installs the stop handlers (SIGTERM, SIGINT,
/// SIGUSR1) with `stop_hook` (may be null) and points o.stop_requested at their flag.
[[nodiscard]] bool start_watch(RunWatch& watch, ExecutorOptions& o, Output& out,
                               void (*stop_hook)() noexcept);

} // namespace rankpool::cli
