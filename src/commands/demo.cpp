// `rankpool demo`: the Python tutorial's four examples, in its order, the MPI way.
#include "demo.hpp"

#include <CLI/CLI.hpp>
#include <mpi.h>

#include "cli/output.hpp"

namespace rankpool::commands {

namespace {

void heading(const boost::mpi::communicator& comm, cli::Output& out, const std::string& title) {
    out.text("");
    out.text("== " + title);
    out.flush();
    comm.barrier(); // no rank's lines before the heading is out
}

int run(const boost::mpi::communicator& comm, const DemoOptions& o, cli::Output& out) {
    const auto r = run_demo(comm, o, out);
    int ok = comm.rank() == 0 && r.ok() ? 1 : 0;
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm); // every rank exits alike
    if (ok == 0) {
        out.error("an example did not compute what it should (see above)");
        return cli::exit_failure;
    }
    return cli::exit_ok;
}

} // namespace

DemoPlan demo_plan(const DemoOptions& o) {
    DemoPlan p;
    p.spawn.n = 1000;
    p.squares.n = 100;
    p.squares.print = true;
    if (o.quick) {
        p.sleep.seconds = {0.5, 0.4, 0.3, 0.2, 0.1};
    }
    return p;
}

bool DemoReport::ok() const {
    const bool spawn_ok = spawn.ok() || !spawn.error.empty(); // refused: skipped, not wrong
    return spawn_ok && squares.ok() && sleep.summary.failed == 0 && compare.ok();
}

DemoReport run_demo(const boost::mpi::communicator& comm, const DemoOptions& o, cli::Output& out) {
    const DemoPlan plan = demo_plan(o);
    const double t0 = MPI_Wtime();
    DemoReport r;
    r.options = o;
    r.ranks = comm.size();
    // In JSON mode the examples print nothing of their own; their reports go in one object.
    cli::Output silent(false, true);
    cli::Output& sub = out.json() ? silent : out;
    const std::string p = std::to_string(comm.size());

    heading(comm, out,
            "1/4 One worker process: Process(target=worker, args=(range(1000),))"
            ".start(); join()");
    r.spawn = run_spawn(comm, plan.spawn, sub);
    if (!r.spawn.error.empty()) {
        out.text("skipped: " + r.spawn.error);
    }
    heading(comm, out, "2/4 Pool.map: with Pool(" + p + ") as pool: pool.map(square, range(100))");
    r.squares = run_squares(comm, plan.squares, sub);
    heading(comm, out,
            "3/4 Executor: ProcessPoolExecutor(max_workers=" + p + ").map(sleep_task, " +
                (o.quick ? "[0.5, 0.4, 0.3, 0.2, 0.1]" : "[5, 4, 3, 2, 1]") + ")");
    r.sleep = run_sleep(comm, plan.sleep, sub);
    heading(comm, out, "4/4 Serial vs threads vs processes: the same CPU worker, twice");
    r.compare = run_compare(comm, plan.compare, sub);

    r.seconds = MPI_Wtime() - t0;
    if (out.json()) {
        out.report(to_json(r));
    } else {
        char line[128];
        std::snprintf(line, sizeof line, "demo: 4 examples on %d rank%s in %.2f s", r.ranks,
                      r.ranks == 1 ? "" : "s", r.seconds);
        out.text("");
        out.text(line);
    }
    return r;
}

nlohmann::json to_json(const DemoOptions& o) {
    return {{"quick", o.quick}};
}

nlohmann::json to_json(const DemoReport& r) {
    return {
        {"command", "demo"},
        {"ranks", r.ranks},
        {"options", to_json(r.options)},
        {"ok", r.ok()},
        {"seconds", r.seconds},
        {"examples", {to_json(r.spawn), to_json(r.squares), to_json(r.sleep), to_json(r.compare)}}};
}

void add_demo_command(CLI::App& app, std::optional<cli::Command>& chosen) {
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
        chosen = cli::Command{"demo", *json, to_json(o),
                              [o](const boost::mpi::communicator& comm, cli::Output& out) {
                                  return run(comm, o, out);
                              }};
    });
}

} // namespace rankpool::commands
