// The `squares` subcommand's command line: its options, their checks, and how it runs.
#include <CLI/CLI.hpp>

#include "rankpool/parse.hpp"
#include "rankpool/partition.hpp"

#include "app.hpp"
#include "commands/squares.hpp"
#include "output.hpp"
#include "result_file.hpp"
#include "results_route.hpp"
#include "signals.hpp"
#include "watch.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct SquaresArgs {
    std::string n = "100";
    std::string gather = "all";
    std::string input = "range";
    std::string schedule;
    std::string journal;
    std::string grace;
    std::string chunksize;
    std::string work = "0";
    std::string output;
    std::string joblog;
    bool progress = false;
    bool no_progress = false;
    bool print = false;
    bool json = false;
};

SquaresOptions validate(const SquaresArgs& a) {
    SquaresOptions o;
    o.n = parse_count(a.n, "N", max_squares_n);
    o.work = parse_count(a.work, "--work", max_squares_work);
    o.print = a.print;
    if (a.gather == "all") {
        o.gather = GatherMode::all;
    } else if (a.gather == "none") {
        o.gather = GatherMode::none;
    } else {
        throw usage_error("--gather must be 'all' or 'none', got '" + a.gather + "'");
    }
    if (a.input == "range") {
        o.input = InputMode::range;
    } else if (a.input == "array") {
        o.input = InputMode::array;
    } else {
        throw usage_error("--input must be 'range' or 'array', got '" + a.input + "'");
    }
    if (o.gather == GatherMode::all && o.n > max_mpi_count) {
        throw usage_error("N = " + std::to_string(o.n) + " results exceed MPI's int counts (" +
                          std::to_string(max_mpi_count) +
                          ") for a gather; use --gather none to sum without gathering");
    }
    if (!a.schedule.empty()) {
        o.schedule = parse_schedule(a.schedule, "--schedule");
        if (o.input == InputMode::array) {
            throw usage_error("--schedule hands out indices: it does not take --input array");
        }
    }
    if (!a.chunksize.empty()) {
        if (!o.schedule) {
            throw usage_error("--chunksize goes with --schedule");
        }
        o.chunksize = parse_positive(a.chunksize, "--chunksize", max_chunksize);
    }
    for (const auto& [given, name] :
         {std::pair{!a.joblog.empty(), "--joblog"}, std::pair{a.progress, "--progress"},
          std::pair{a.no_progress, "--no-progress"}}) {
        if (given && !o.schedule) {
            throw usage_error(std::string(name) + " goes with --schedule");
        }
    }
    if (!a.journal.empty() || !a.grace.empty()) {
        if (!o.schedule) {
            throw usage_error(std::string(a.journal.empty() ? "--grace" : "--journal") +
                              " goes with --schedule: the collective path (one scatter, one "
                              "gather) finishes nothing before its end, so nothing could be "
                              "journaled or stopped");
        }
        o.journal = a.journal;
        o.grace = a.grace.empty() ? 10 : parse_seconds(a.grace, "--grace");
    }
    if (o.print && o.gather == GatherMode::none) {
        throw usage_error("--print needs the results gathered: drop --gather none");
    }
    if (!a.output.empty() && o.gather == GatherMode::none) {
        throw usage_error("--output needs the results gathered: drop --gather none");
    }
    return o;
}

/// What the command line adds to a squares --schedule run: a joblog, progress lines.
struct SquaresWatch {
    std::string joblog;
    ProgressMode progress = ProgressMode::off;
};

int run(const boost::mpi::communicator& comm, SquaresOptions o, const SquaresWatch& w,
        const std::optional<OutputFile>& output, Output& out) {
    RunWatch watch(comm, 0, w.joblog, w.progress,
                   [](std::uint64_t i) { return std::to_string(i); });
    if (!watch.problem().empty()) {
        if (out.is_root()) {
            out.error(watch.problem());
        }
        return exit_usage;
    }
    ExecutorOptions eo;
    watch.attach(eo);
    o.on_attempt = eo.on_attempt;
    o.on_progress = eo.on_progress;
    if (o.schedule) { // the collective path has nothing to stop: signals end it as they would
        install_stop_handlers();
        set_stop_hook(remove_temporary_on_stop); // --output's temporary
        o.stop_requested = &stop_signal();
    }
    ResultsRoute route(comm, out, o.print, output);
    const auto r = [&] {
        const std::optional<GraceWatch> grace =
            o.schedule ? std::optional<GraceWatch>(std::in_place, o.grace, comm.rank() == 0)
                       : std::nullopt;
        return run_squares(comm, o, route.sink());
    }();
    const std::string file_error = route.finish(comm, r.ok());
    ExecutionSummary done;
    done.tasks = o.n;
    done.completed = o.n;
    const auto joblog_error = watch.finish(done);
    show_report(comm, out, r, route.extras());
    if (!joblog_error.empty()) {
        out.error(joblog_error);
        return exit_failure;
    }
    if (r.stopped_by != 0) {
        out.flush();
        if (comm.rank() == 0) {
            std::fprintf(stderr, "%s\n",
                         stop_line(r.stopped_by, r.completed, o.n, "squares", o.journal).c_str());
            std::fflush(stderr);
        }
        return stopped_exit_code(r.stopped_by);
    }
    if (comm.rank() == 0 && !r.ok()) {
        out.error("checksum mismatch: gathered " + to_string(r.checksum) +
                  ", n(n-1)(2n-1)/6 = " + to_string(r.expected));
        return exit_failure;
    }
    if (!file_error.empty()) {
        out.error(file_error);
        return exit_failure;
    }
    return exit_ok;
}

} // namespace

void add_squares_command(CLI::App& app, std::optional<Command>& chosen) {
    auto args = std::make_shared<SquaresArgs>();
    auto* sq = app.add_subcommand(
        "squares",
        "Pool.map(x*x, range(N)): rank 0 scatters range(N) across the ranks in balanced blocks,\n"
        "every rank squares its block, the results are gathered in order on rank 0 and checked\n"
        "against n(n-1)(2n-1)/6. Prints a summary: ranks, n, checksum, phase times.");
    sq->add_option("N", args->n, "how many numbers: range(N), 0 <= N <= 2^32 (default 100)")
        ->type_name("INT");
    sq->add_flag("--print", args->print, "print each square on its own line, in input order");
    sq->add_option("--gather", args->gather,
                   "all: gather every result on rank 0 (default; N <= 2^31-1);\n"
                   "none: each rank sums its block and only the sums are combined")
        ->type_name("all|none");
    sq->add_option("--input", args->input,
                   "range: each rank derives its block from the bounds (default);\n"
                   "array: rank 0 builds the input array and scatters it (MPI_Scatterv)")
        ->type_name("range|array");
    sq->add_option("--schedule", args->schedule,
                   "run through the executor instead of one scatter and gather: static,\n"
                   "cyclic, dynamic or guided (see rankpool sleep --help)")
        ->type_name("NAME");
    sq->add_option("--chunksize", args->chunksize,
                   "numbers per message with --schedule (default ceil(N / (4 * ranks)),\n"
                   "as Pool.map chooses)")
        ->type_name("K");
    sq->add_option("--journal", args->journal,
                   "with --schedule: append each square to FILE as it arrives and, when FILE\n"
                   "holds squares of the same N, compute only the others (rerun to resume)")
        ->type_name("FILE");
    sq->add_option("--grace", args->grace,
                   "with --schedule, after SIGTERM, SIGINT or SIGUSR1: seconds running tasks get\n"
                   "to stop (default 10); the exit code is then 128 + the signal")
        ->type_name("SECONDS");
    sq->add_option("--work", args->work,
                   "K dependent multiply-adds per number before its square, about K ns of\n"
                   "compute per item: a compute-bound map for scaling runs (default 0)")
        ->type_name("K");
    add_output_option(*sq, args->output);
    sq->add_option("--joblog", args->joblog,
                   "with --schedule: one tab-separated line per task to FILE (see sleep --help)")
        ->type_name("FILE");
    sq->add_flag("--progress", args->progress,
                 "with --schedule: show tasks done, rate and ETA on stderr from the start\n"
                 "(default with --schedule: after 2 s on a terminal, every 10 s into a file)");
    sq->add_flag("--no-progress", args->no_progress, "with --schedule: no progress lines");
    sq->add_flag("--json", args->json, "print one JSON object instead of the text summary");
    sq->callback([args, &chosen] {
        const auto output = parse_output(args->output);
        const SquaresOptions o = validate(*args);
        SquaresWatch w{args->joblog, progress_mode(args->progress, args->no_progress)};
        if (!o.schedule) {
            w.progress = ProgressMode::off; // one scatter and gather: no tasks to count
        }
        auto echo = to_json(o);
        echo["output"] = to_json(output);
        chosen = Command{"squares", args->json, std::move(echo),
                         [o, w, output](const boost::mpi::communicator& comm, Output& out) {
                             return run(comm, o, w, output, out);
                         }};
        // --schedule: the executor's root runs tasks on a thread; the collective path has none.
        chosen->threads = o.schedule ? ExtraThreads::root : ExtraThreads::none;
    });
}

} // namespace rankpool::cli
