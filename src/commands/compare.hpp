// `rankpool compare N`: the tutorial's serial vs threads vs processes, with threads and ranks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"

namespace rankpool::commands {

/// The largest N compare takes: one pass's sum stays in 64 bits.
inline constexpr std::uint64_t max_compare_n = 1000000;
/// The largest --repeat compare takes.
inline constexpr std::uint64_t max_compare_repeat = 1000000000;
/// How many workers each way runs: the tutorial's two.
inline constexpr int compare_tasks = 2;

struct CompareOptions {
    std::uint64_t n = 100;
    std::uint64_t repeat = 500000; ///< passes over range(N) per worker
};

/// The tutorial's CPU worker: sum(x*x for x in range(n)), computed `repeat` times and added up.
/// Every pass really runs: the compiler may neither fold a pass to a closed form nor hoist it out
/// of the repeat loop. Pure.
[[nodiscard]] uint128 cpu_worker(std::uint64_t n, std::uint64_t repeat);

/// What every way must compute: compare_tasks * repeat * sum_of_squares(n).
[[nodiscard]] uint128 expected_result(const CompareOptions& o);

/// One way of running the compare_tasks workers.
struct CompareRow {
    std::string way;    ///< "serial", "threads" or "ranks"
    int workers = 0;    ///< how many run at once
    double seconds = 0; ///< wall time of the whole way
    double speedup = 0; ///< serial seconds / these seconds (0 when skipped or unmeasurable)
    uint128 result = 0; ///< the workers' results added up
    bool skipped = false;
    std::string note; ///< why it was skipped, or what to know about it
};

/// Both workers one after the other on this thread, timed with a steady clock. Pure.
[[nodiscard]] CompareRow run_serial(const CompareOptions& o);
/// One std::thread per worker, started and joined, timed with a steady clock. Pure.
[[nodiscard]] CompareRow run_threads(const CompareOptions& o);
/// The ranks row when there is no second rank: skipped, saying how to get one.
[[nodiscard]] CompareRow skipped_ranks_row();
/// Fills every measured row's speedup relative to the "serial" row.
void set_speedups(std::vector<CompareRow>& rows);

/// What a compare run did: a value with a text and a JSON view. Complete on rank 0.
struct CompareReport {
    CompareOptions options;
    int ranks = 0;
    int cpus = 0; ///< CPUs rank 0 may run on (its affinity mask), which bounds the threads row
    uint128 expected = 0;
    std::vector<CompareRow> rows;

    /// Every row that ran computed the expected result.
    [[nodiscard]] bool ok() const;
};

[[nodiscard]] nlohmann::ordered_json to_json(const CompareOptions& o);
/// The report's part of the JSON envelope: ok, options, seconds, results, detail.
[[nodiscard]] nlohmann::ordered_json to_json(const CompareReport& r);
[[nodiscard]] std::vector<std::string> to_text(const CompareReport& r);

/// Rank 0 runs the serial row once untimed to warm up, then the serial and threads rows while the
/// other ranks sleep; then ranks 0 and 1 run
/// one worker each (barrier, MPI_Wtime, slowest of the two) while any others sleep. Collective.
/// The report is complete on rank 0.
CompareReport run_compare(const boost::mpi::communicator& comm, const CompareOptions& o);

} // namespace rankpool::commands
