// `rankpool sleep 5 4 3 2 1`: ProcessPoolExecutor(P).map(sleep_task, seconds) on MPI ranks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/executor.hpp"
#include "rankpool/run_info.hpp"

#include "cli/options.hpp"

namespace rankpool::commands {

struct SleepOptions {
    std::vector<double> seconds = {5, 4, 3, 2, 1};
    std::uint64_t repeat = 1; ///< the list is run this many times over (for benchmarks)
    ExecutorOptions executor;
    bool quiet = false; ///< no per-task lines: measures dispatch, not terminal output
    std::optional<std::uint64_t> fail_task;  ///< make this task throw (to test failure handling)
    std::optional<std::uint64_t> crash_task; ///< kill the rank running this task with SIGKILL

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
    double predicted = 0; ///< the schedule's makespan with free dispatch (simulate_makespan)
    std::vector<std::optional<double>> results; ///< by task index; empty where a task failed
    std::vector<RankInfo> rank_info;
};

[[nodiscard]] nlohmann::json to_json(const SleepOptions& o);
[[nodiscard]] nlohmann::json to_json(const SleepReport& r);
[[nodiscard]] std::vector<std::string> to_text(const SleepReport& r);
/// The one line a failed task gets: "task 3 (sleep 2) failed on rank 1 (host): message".
[[nodiscard]] std::string describe_failure(const SleepOptions& o, const TaskFailure& f);

/// Runs the sleep tasks on `comm` through the executor and prints through `out`. Collective.
SleepReport run_sleep(const boost::mpi::communicator& comm, const SleepOptions& o,
                      cli::Output& out);

/// Adds `rankpool sleep` to the command line (see cli::AddCommand).
void add_sleep_command(CLI::App& app, std::optional<cli::Command>& chosen);

} // namespace rankpool::commands
