// `rankpool demo`: the Python tutorial's four examples, in its order, the MPI way.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "cli/options.hpp"
#include "compare.hpp"
#include "sleep.hpp"
#include "spawn.hpp"
#include "squares.hpp"

namespace rankpool::commands {

struct DemoOptions {
    bool quick = false; ///< sleep tenths of seconds instead of seconds
};

/// The four examples' options, with the tutorial's parameters.
struct DemoPlan {
    SpawnOptions spawn;
    SquaresOptions squares;
    SleepOptions sleep;
    CompareOptions compare;
};
[[nodiscard]] DemoPlan demo_plan(const DemoOptions& o);

/// What a demo run did: each example's report, and how long it all took. Complete on rank 0.
struct DemoReport {
    DemoOptions options;
    int ranks = 0;
    SpawnReport spawn;
    SquaresReport squares;
    SleepReport sleep;
    CompareReport compare;
    double seconds = 0;

    /// Every example that ran computed what it should (a spawn the launcher refuses is skipped,
    /// not failed).
    [[nodiscard]] bool ok() const;
};

[[nodiscard]] nlohmann::json to_json(const DemoOptions& o);
[[nodiscard]] nlohmann::json to_json(const DemoReport& r);

/// Runs the four examples on `comm`, each under a heading, printing as each command does
/// (or, in JSON mode, one object holding the four reports). Collective.
DemoReport run_demo(const boost::mpi::communicator& comm, const DemoOptions& o, cli::Output& out);

/// Adds `rankpool demo` to the command line (see cli::AddCommand).
void add_demo_command(CLI::App& app, std::optional<cli::Command>& chosen);

} // namespace rankpool::commands
