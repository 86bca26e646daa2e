// The `demo` subcommand's command line: the tutorial's four examples in its order.
#include <CLI/CLI.hpp>
#include <mpi.h>

#include "app.hpp"
#include "commands/demo.hpp"
#include "output.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

int run(const boost::mpi::communicator& comm, const DemoOptions& o, Output& out) {
    const auto r = run_demo(comm, o, out.sink());
    show_report(comm, out, r);
    int ok = comm.rank() == 0 && r.ok() ? 1 : 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm); // every rank exits alike
    if (ok == 0) {
        out.error("an example did not compute what it should (see above)");
        return exit_failure;
    }
    return exit_ok;
}

} // namespace

void add_demo_command(CLI::App& app, std::optional<Command>& chosen) {
    auto quick = std::make_shared<bool>(false);
    auto json = std::make_shared<bool>(false);
    auto* demo = app.add_subcommand(
        "demo", "The Python tutorial's four examples in its order, the MPI way: spawn one worker\n"
                "(range(1000)), Pool.map of squares over range(100), the executor of sleep tasks\n"
                "5 4 3 2 1, and serial vs threads vs processes. Best under\n"
                "mpirun -np 4 --oversubscribe; runs, with less parallelism, on fewer ranks.");
    demo->add_flag("--quick", *quick, "sleep 0.5 0.4 0.3 0.2 0.1 s instead of 5 4 3 2 1 s");
    demo->add_flag("--json", *json, "print one JSON object holding the four reports");
    demo->callback([quick, json, &chosen] {
        const DemoOptions o{*quick};
        chosen = Command{
            "demo", *json, to_json(o),
            [o](const boost::mpi::communicator& comm, Output& out) { return run(comm, o, out); }};
    });
}

} // namespace rankpool::cli
