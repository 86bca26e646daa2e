// `rankpool demo`: the Python tutorial's four examples, in its order, the MPI way.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "compare.hpp"
#include "sink.hpp"
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

[[nodiscard]] nlohmann::ordered_json to_json(const DemoOptions& o);
/// The report's part of the JSON envelope: ok, options, seconds, results, detail.examples (each
/// example's own part).
[[nodiscard]] nlohmann::ordered_json to_json(const DemoReport& r);
[[nodiscard]] std::vector<std::string> to_text(const DemoReport& r);

/// Runs the four examples on `comm`. Each starts with sink.heading (every rank waits until it is
/// out, so no worker line comes before it), hands its results and worker lines to `sink` as the
/// command alone does, and ends with sink.report of its report (or sink.note of why spawn was
/// skipped). Collective.
DemoReport run_demo(const boost::mpi::communicator& comm, const DemoOptions& o, Sink& sink);

} // namespace rankpool::commands
