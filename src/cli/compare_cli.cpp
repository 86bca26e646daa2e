// The `compare` subcommand's command line: its options, their checks, and how it runs.
#include <CLI/CLI.hpp>
#include <mpi.h>

#include "rankpool/parse.hpp"

#include "app.hpp"
#include "commands/compare.hpp"
#include "output.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct CompareArgs {
    std::string n = "100";
    std::string repeat = std::to_string(CompareOptions{}.repeat);
    bool json = false;
};

CompareOptions validate(const CompareArgs& a) {
    CompareOptions o;
    o.n = parse_count(a.n, "N", max_compare_n);
    o.repeat = parse_count(a.repeat, "--repeat", max_compare_repeat);
    return o;
}

int run(const boost::mpi::communicator& comm, const CompareOptions& o, Output& out) {
    const auto r = run_compare(comm, o);
    show_report(comm, out, r);
    int ok = comm.rank() == 0 && r.ok() ? 1 : 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm); // every rank exits alike
    if (ok == 0) {
        out.error("the ways disagree: expected " + to_string(r.expected) + " from every way");
        return exit_failure;
    }
    return exit_ok;
}

} // namespace

void add_compare_command(CLI::App& app, std::optional<Command>& chosen) {
    auto args = std::make_shared<CompareArgs>();
    auto* cmp = app.add_subcommand(
        "compare",
        "The tutorial's serial vs threads vs processes: the same CPU worker (sum of squares over\n"
        "range(N), --repeat times) run twice serially, on 2 threads and on 2 ranks, each timed.");
    cmp->footer(
        "Rows: serial runs both workers one after the other on rank 0; threads runs one\n"
        "std::thread per worker on rank 0 (thread start and join included); ranks runs one worker\n"
        "on each of ranks 0 and 1 (barrier, MPI_Wtime, the slower rank), so it needs\n"
        "mpirun -np 2; more ranks idle. Waiting ranks sleep so they leave the cores free.\n"
        "Every way must compute 2 * repeat * sum_of_squares(N), or the exit code is 1.\n"
        "mpirun binds each rank to one core at -np 1 and 2: add --bind-to none for the threads\n"
        "row to use two cores.");
    cmp->add_option("N", args->n,
                    "each worker sums x*x for x in range(N), 0 <= N <= 10^6 (default 100)")
        ->type_name("INT");
    cmp->add_option("--repeat", args->repeat,
                    "passes over range(N) per worker, 0..10^9 (default " + args->repeat +
                        ": ~10-50 ms a row at N = 100)")
        ->type_name("R");
    cmp->add_flag("--json", args->json, "print one JSON object instead of the table");
    cmp->callback([args, &chosen] {
        const CompareOptions o = validate(*args);
        chosen = Command{
            "compare", args->json, to_json(o),
            [o](const boost::mpi::communicator& comm, Output& out) { return run(comm, o, out); }};
    });
}

} // namespace rankpool::cli
