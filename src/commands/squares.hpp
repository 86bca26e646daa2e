// `rankpool squares N`: Pool.map(x*x, range(N)) over MPI collectives, checked and timed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/attempt.hpp"
#include "rankpool/checksum.hpp"
#include "rankpool/executor.hpp"
#include "rankpool/schedule.hpp"
#include "rankpool/timing.hpp"

#include "sink.hpp"

namespace rankpool::commands {

enum class GatherMode { all, none };
enum class InputMode { range, array };

struct SquaresOptions {
    std::uint64_t n = 100;
    bool print = false; ///< the results are shown (the caller's sink decides; echoed in reports)
    GatherMode gather = GatherMode::all;
    InputMode input = InputMode::range;
    /// Unset: one scatter and one gather (collectives). Set: tasks through the executor.
    std::optional<Schedule> schedule;
    std::uint64_t chunksize = 0; ///< with a schedule; 0: ceil(n / (4 * ranks)), as Pool.map
    std::uint64_t work = 0;      ///< dependent multiply-adds per item before its square (its cost)
    /// With a schedule: handed to the executor (ExecutorOptions::on_attempt, on_progress).
    std::function<void(const TaskAttempt&)> on_attempt;
    std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
    std::string
        journal;       ///< with a schedule: journal each square, skip those it holds (empty: none)
    double grace = 10; ///< seconds running tasks get to stop after a stop signal (the CLI's)
    const std::atomic<int>* stop_requested = nullptr; ///< with a schedule: polled by the root
};

/// The largest --work: 10^9 multiply-adds is about a second per item.
inline constexpr std::uint64_t max_squares_work = 1000000000;

/// x*x after `work` dependent multiply-adds that the optimiser must keep: the tunable cost per
/// item of a compute-bound map (about a nanosecond each). The result is x*x whatever `work` is.
[[nodiscard]] inline std::uint64_t square_after_work(std::uint64_t x, std::uint64_t work) {
    std::uint64_t y = x;
    for (std::uint64_t k = 0; k < work; ++k) {
        y = y * 6364136223846793005u + 1442695040888963407u; // an LCG step (Knuth's MMIX)
        __asm__ __volatile__("" : "+r"(y)); // opaque: the loop cannot be folded or dropped
    }
    return x * x;
}

/// The chunk size a scheduled squares run uses on `ranks` ranks.
[[nodiscard]] std::uint64_t squares_chunksize(const SquaresOptions& o, int ranks);

/// What a squares run did: a value with a text and a JSON view.
struct SquaresReport {
    SquaresOptions options;
    int ranks = 0;
    uint128 checksum = 0;
    uint128 expected = 0;
    MapTimes seconds;                 ///< the slowest rank's phase times
    std::vector<double> rank_compute; ///< each rank's compute seconds (collective path), by rank
    std::uint64_t journaled = 0;      ///< squares taken from the journal, not computed again
    std::uint64_t completed = 0;      ///< squares known at the end (scheduled path), journaled too
    int stopped_by = 0;               ///< the stop signal that ended the run early (0: none)
    ExecutionSummary summary;         ///< the executor's, with its overhead (scheduled path)

    [[nodiscard]] bool ok() const { return checksum == expected; }
};

[[nodiscard]] nlohmann::ordered_json to_json(const SquaresOptions& o);
/// The report's part of the JSON envelope: ok, options, seconds, rank_seconds, results, detail.
[[nodiscard]] nlohmann::ordered_json to_json(const SquaresReport& r);
[[nodiscard]] std::vector<std::string> to_text(const SquaresReport& r);

/// Refuses, with limit_error on every rank, a run whose gathered results would not fit in the
/// root's available memory. Collective.
void check_root_memory(const boost::mpi::communicator& comm, const SquaresOptions& o);

/// What identifies a squares run in its journal: N alone. Item i's result is i*i whatever
/// --input, --work, --gather, --schedule or --chunksize say, and whatever the rank count.
[[nodiscard]] std::string journal_header(const SquaresOptions& o);

/// Runs the squares map on `comm`; gathered results go to `sink` on rank 0 in input order, in one
/// block (Sink::results) after the last collective, whether or not o.print asks to show them.
/// Collective. The returned report is complete on rank 0.
SquaresReport run_squares(const boost::mpi::communicator& comm, const SquaresOptions& o,
                          Sink& sink);

} // namespace rankpool::commands
