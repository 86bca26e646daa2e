// The `spawn` subcommand's command line, and its hidden worker `spawn-worker`.
#include <csignal>

#include <CLI/CLI.hpp>

#include "rankpool/checksum.hpp"
#include "rankpool/parse.hpp"
#include "rankpool/partition.hpp"

#include "app.hpp"
#include "commands/spawn.hpp"
#include "output.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct SpawnArgs {
    std::string n = "1000";
    std::string crash_worker;
    bool no_oversubscribe = false;
    bool json = false;
};

/// The hidden worker's arguments, which only `rankpool spawn` passes.
struct WorkerArgs {
    std::string lifeline;
    std::string crash_at;
};

std::optional<WorkerCrash> parse_crash(const std::string& text, const char* what) {
    if (text.empty()) {
        return std::nullopt;
    }
    const auto c = worker_crash_from_string(text);
    if (!c) {
        throw usage_error(std::string(what) + " must be start, compute or join, got '" + text +
                          "'");
    }
    return c;
}

int run(const boost::mpi::communicator& comm, const SpawnOptions& o, Output& out) {
    const auto r = run_spawn(comm, o);
    if (!r.error.empty()) {
        out.error(r.error);
        return exit_failure;
    }
    show_report(comm, out, r);
    if (comm.rank() == 0 && !r.ok()) {
        out.error("the worker's sum " + to_string(r.sum) +
                  " is not n(n-1)(2n-1)/6 = " + to_string(r.expected));
        return exit_failure;
    }
    return exit_ok;
}

} // namespace

void add_spawn_command(CLI::App& app, std::optional<Command>& chosen) {
    auto args = std::make_shared<SpawnArgs>();
    auto* sp = app.add_subcommand(
        "spawn",
        "Process(target=worker, args=(range(N),)).start(); join(): rank 0 starts one worker\n"
        "process with MPI_Comm_spawn, which sums the squares; prints the finished worker and the\n"
        "elapsed time.");
    sp->footer(
        "How: rank 0 spawns this program (found via /proc/self/exe) from MPI_COMM_SELF, so the\n"
        "worker is connected to rank 0 alone and the other ranks only wait; it sends range(N)'s\n"
        "bounds over the intercommunicator, the worker replies with the sum, its host and pid,\n"
        "and MPI_Comm_disconnect on both sides is the join.\n"
        "Where: alone (`rankpool spawn`) or under mpirun. Not under srun: Slurm's PMI cannot\n"
        "spawn, which is refused up front (exit 2).\n"
        "Spawn info keys: map_by=slot:OVERSUBSCRIBE, so the worker may share a core with the\n"
        "job's ranks; without it Open MPI refuses to spawn when every slot is in use (mpirun -np "
        "2\n"
        "on 2 cores). Errors are returned, not fatal (MPI_ERRORS_RETURN): a failed spawn is one\n"
        "error line and exit code 1, not an aborted job. A worker that dies, at any point, is one\n"
        "error line naming it (pid, host) and exit code 1, not a hang: from before its MPI_Init\n"
        "it holds a socket to rank 0 (a lifeline), whose end tells rank 0 at once.");
    sp->add_option("N", args->n, "sum(x*x for x in range(N)), 0 <= N <= 2^32 (default 1000)")
        ->type_name("INT");
    sp->add_flag("--no-oversubscribe", args->no_oversubscribe,
                 "spawn with no info keys: Open MPI then refuses to place the worker when\n"
                 "every slot of the job is taken (e.g. mpirun -np 2 on 2 cores)");
    sp->add_option("--crash-worker", args->crash_worker,
                   "the worker kills itself (SIGKILL) at WHEN: start (before MPI_Init, while\n"
                   "rank 0 is in MPI_Comm_spawn), compute (rank 0 waits for the sum) or join\n"
                   "(rank 0 is in MPI_Comm_disconnect): shows that a dead worker ends the run\n"
                   "with an error line and exit code 1 instead of hanging it")
        ->type_name("WHEN");
    sp->add_flag("--json", args->json, "print one JSON object instead of the text summary");
    sp->callback([args, &chosen] {
        SpawnOptions o;
        o.n = parse_count(args->n, "N", max_squares_n);
        o.oversubscribe = !args->no_oversubscribe;
        o.crash_worker = parse_crash(args->crash_worker, "--crash-worker");
        chosen = Command{
            "spawn", args->json, to_json(o),
            [o](const boost::mpi::communicator& comm, Output& out) { return run(comm, o, out); }};
    });

    // The process `spawn` starts: hidden from --help (empty group).
    auto* worker = app.add_subcommand("spawn-worker", "the worker `rankpool spawn` starts");
    worker->group("");
    auto wargs = std::make_shared<WorkerArgs>();
    worker->add_option("--lifeline", wargs->lifeline);
    worker->add_option("--crash-at", wargs->crash_at);
    worker->callback([wargs, &chosen] {
        const auto crash = parse_crash(wargs->crash_at, "--crash-at");
        // Before MPI_Init: from here on the parent sees this process die, whenever it does.
        auto lifeline = std::make_shared<Lifeline>(
            wargs->lifeline.empty() ? Lifeline() : Lifeline::connect(wargs->lifeline));
        if (crash == WorkerCrash::start) {
            std::raise(SIGKILL);
        }
        chosen = Command{"spawn-worker", false, nlohmann::ordered_json::object(),
                         [lifeline, crash](const boost::mpi::communicator& comm, Output&) {
                             return run_spawn_worker(comm, *lifeline, crash);
                         }};
    });
}

} // namespace rankpool::cli
