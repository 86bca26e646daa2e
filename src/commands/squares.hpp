// `rankpool squares N`: Pool.map(x*x, range(N)) over MPI collectives, checked and timed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"
#include "rankpool/run_info.hpp"
#include "rankpool/schedule.hpp"
#include "rankpool/timing.hpp"

#include "cli/options.hpp"

namespace rankpool::commands {

enum class GatherMode { all, none };
enum class InputMode { range, array };

struct SquaresOptions {
    std::uint64_t n = 100;
    bool print = false;
    GatherMode gather = GatherMode::all;
    InputMode input = InputMode::range;
    /// Unset: one scatter and one gather (collectives). Set: tasks through the executor.
    std::optional<Schedule> schedule;
    std::uint64_t chunksize = 0; ///< with a schedule; 0: ceil(n / (4 * ranks)), as Pool.map
};

/// The chunk size a scheduled squares run uses on `ranks` ranks.
[[nodiscard]] std::uint64_t squares_chunksize(const SquaresOptions& o, int ranks);

/// What a squares run did: a value with a text and a JSON view.
struct SquaresReport {
    SquaresOptions options;
    int ranks = 0;
    uint128 checksum = 0;
    uint128 expected = 0;
    MapTimes seconds;
    std::vector<RankInfo> rank_info;
    std::vector<std::uint64_t> results; ///< only with --print and --json

    [[nodiscard]] bool ok() const { return checksum == expected; }
};

[[nodiscard]] nlohmann::json to_json(const SquaresOptions& o);
[[nodiscard]] nlohmann::json to_json(const SquaresReport& r);
[[nodiscard]] std::vector<std::string> to_text(const SquaresReport& r);

/// Refuses, with limit_error on every rank, a run whose gathered results would not fit in the
/// root's available memory. Collective.
void check_root_memory(const boost::mpi::communicator& comm, const SquaresOptions& o);

/// Runs the squares map on `comm` and prints through `out` (results with --print, the report).
/// Collective. The returned report is complete on rank 0.
SquaresReport run_squares(const boost::mpi::communicator& comm, const SquaresOptions& o,
                          cli::Output& out);

/// Adds `rankpool squares` to the command line (see cli::AddCommand).
void add_squares_command(CLI::App& app, std::optional<cli::Command>& chosen);

} // namespace rankpool::commands
