// `rankpool demo`: the Python tutorial's four examples, in its order, the MPI way.
#include "demo.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include <mpi.h>

namespace rankpool::commands {

namespace {

void heading(const boost::mpi::communicator& comm, Sink& sink, const std::string& title) {
    if (comm.rank() == 0) {
        sink.heading(title);
        // mpirun reads the ranks' pipes in a random order when several have data at once
        // (libevent's poll backend starts its scan at a random fd): give it a moment to take the
        // heading before another rank's first line can be waiting beside it.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    comm.barrier(); // no rank's lines before the heading is out
}

template <class Report>
ReportView view(const Report& r) {
    return {to_json(r), to_text(r)};
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
    return spawn_ok && squares.ok() && sleep.ok() && compare.ok();
}

DemoReport run_demo(const boost::mpi::communicator& comm, const DemoOptions& o, Sink& sink) {
    const DemoPlan plan = demo_plan(o);
    const double t0 = MPI_Wtime();
    DemoReport r;
    r.options = o;
    r.ranks = comm.size();
    const bool root = comm.rank() == 0;
    const std::string p = std::to_string(comm.size());

    heading(comm, sink,
            "1/4 One worker process: Process(target=worker, args=(range(1000),))"
            ".start(); join()");
    r.spawn = run_spawn(comm, plan.spawn);
    if (root) {
        if (r.spawn.error.empty()) {
            sink.report(view(r.spawn));
        } else {
            sink.note("skipped: " + r.spawn.error);
        }
    }
    heading(comm, sink, "2/4 Pool.map: with Pool(" + p + ") as pool: pool.map(square, range(100))");
    r.squares = run_squares(comm, plan.squares, sink);
    if (root) {
        sink.report(view(r.squares));
    }
    heading(comm, sink,
            "3/4 Executor: ProcessPoolExecutor(max_workers=" + p + ").map(sleep_task, " +
                (o.quick ? "[0.5, 0.4, 0.3, 0.2, 0.1]" : "[5, 4, 3, 2, 1]") + ")");
    r.sleep = run_sleep(comm, plan.sleep, sink);
    if (root) {
        sink.report(view(r.sleep));
    }
    heading(comm, sink, "4/4 Serial vs threads vs processes: the same CPU worker, twice");
    r.compare = run_compare(comm, plan.compare);
    if (root) {
        sink.report(view(r.compare));
    }
    r.seconds = MPI_Wtime() - t0;
    return r;
}

nlohmann::ordered_json to_json(const DemoOptions& o) {
    return {{"quick", o.quick}};
}

nlohmann::ordered_json to_json(const DemoReport& r) {
    return {{"command", "demo"},
            {"ok", r.ok()},
            {"options", to_json(r.options)},
            {"seconds", {{"total", r.seconds}}},
            {"results", {{"count", 4}}},
            {"detail",
             {{"examples",
               {to_json(r.spawn), to_json(r.squares), to_json(r.sleep), to_json(r.compare)}}}}};
}

std::vector<std::string> to_text(const DemoReport& r) {
    char line[128];
    std::snprintf(line, sizeof line, "demo: 4 examples on %d rank%s in %.2f s", r.ranks,
                  r.ranks == 1 ? "" : "s", r.seconds);
    return {"", line};
}

} // namespace rankpool::commands
