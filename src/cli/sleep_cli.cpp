// The `sleep` subcommand's command line: its options, their checks, and how it runs.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <CLI/CLI.hpp>

#include "rankpool/chunking.hpp"
#include "rankpool/parse.hpp"

#include "app.hpp"
#include "commands/sleep.hpp"
#include "deadline_cli.hpp"
#include "output.hpp"
#include "result_file.hpp"
#include "results_route.hpp"
#include "signals.hpp"
#include "watch.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct SleepArgs {
    std::vector<std::string> seconds = {"5", "4", "3", "2", "1"};
    std::string schedule = "dynamic";
    std::string chunksize; // empty: auto (dynamic, not longest first) or 1
    std::string repeat = "1";
    std::string dist;
    std::string seed;
    std::string fail_task;
    std::string crash_task;
    std::string flaky_task;
    WatchArgs watch; ///< --retries, --halt, --joblog, --progress, --no-progress
    std::string idle = "backoff";
    std::string arg_file;
    std::string output;
    std::string journal;
    std::string grace = "10";
    std::string deadline;
    bool seconds_given = false; ///< SECONDS were on the command line
    bool longest_first = false;
    bool unordered = false;
    bool keep_going = false;
    bool quiet = false;
    bool root_dispatches_only = false;
    bool resume_failed = false;
    bool json = false;
};

/// The whole of a text file, or usage_error saying why it cannot be read.
std::string read_file(const std::string& path, const std::string& option) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw usage_error(option + " cannot read '" + path + "': " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

/// --dist exp:MEAN with --repeat K: K lengths drawn from the exponential distribution (seed
/// --seed, default 1).
std::vector<double> drawn(const SleepArgs& a) {
    if (a.seconds_given || !a.arg_file.empty()) {
        throw usage_error(std::string(a.seconds_given ? "SECONDS" : "--arg-file") +
                          " and --dist contradict each other: give the durations one way");
    }
    constexpr std::string_view exp = "exp:";
    if (a.dist.rfind(exp, 0) != 0 || a.dist.size() == exp.size()) {
        throw usage_error("--dist must be exp:MEAN (MEAN in seconds), got '" + a.dist + "'");
    }
    const double mean = parse_seconds(std::string_view(a.dist).substr(exp.size()), "--dist's MEAN");
    const std::uint64_t n = parse_positive(a.repeat, "--repeat", max_sleep_tasks);
    const std::uint64_t seed =
        a.seed.empty() ? 1
                       : parse_count(a.seed, "--seed", std::numeric_limits<std::uint64_t>::max());
    return exponential_durations(n, mean, seed);
}

/// The durations: SECONDS from the command line, one per line of --arg-file, or drawn (--dist).
std::vector<double> durations(const SleepArgs& a) {
    std::vector<double> seconds;
    if (!a.seed.empty() && a.dist.empty()) {
        throw usage_error("--seed goes with --dist");
    }
    if (!a.dist.empty()) {
        return drawn(a);
    }
    if (a.arg_file.empty()) {
        for (const auto& s : a.seconds) {
            seconds.push_back(parse_seconds(s, "SECONDS"));
        }
        return seconds;
    }
    if (a.seconds_given) {
        throw usage_error("SECONDS and --arg-file contradict each other: give the durations one "
                          "way");
    }
    for (const auto& line : parse_arg_lines(read_file(a.arg_file, "--arg-file"))) {
        seconds.push_back(parse_seconds(line.text, "--arg-file " + a.arg_file + " line " +
                                                       std::to_string(line.number)));
    }
    return seconds;
}

/// --chunksize K or auto; without it auto for the dynamic schedule (unless the longest tasks go
/// first: then in order, one by one), else 1.
std::uint64_t parse_chunksize(const std::string& text, Schedule schedule, bool longest_first) {
    if (text.empty()) {
        return schedule == Schedule::dynamic && !longest_first ? chunksize_auto : 1;
    }
    if (text == "auto") {
        if (schedule != Schedule::dynamic) {
            throw usage_error("--chunksize auto goes with --schedule dynamic, not " +
                              std::string(to_string(schedule)));
        }
        return chunksize_auto;
    }
    if (!text.empty() && (text[0] < '0' || text[0] > '9')) {
        throw usage_error("--chunksize must be a number of tasks or auto, got '" + text + "'");
    }
    return parse_positive(text, "--chunksize", max_chunksize);
}

/// --flaky-task I: task I fails on its first attempt only; with --fail-task or --crash-task on
/// the same task it contradicts them.
void check_flaky(const SleepArgs& a, SleepOptions& o) {
    if (a.flaky_task.empty()) {
        return;
    }
    if (o.tasks() == 0) {
        throw usage_error("--flaky-task needs at least one task");
    }
    o.flaky_task = parse_count(a.flaky_task, "--flaky-task", o.tasks() - 1);
    for (const auto& [other, name] :
         {std::pair{o.fail_task, "--fail-task"}, std::pair{o.crash_task, "--crash-task"}}) {
        if (other && *other == *o.flaky_task) {
            throw usage_error(std::string("--flaky-task and ") + name +
                              " contradict each other: task " + std::to_string(*other) +
                              " is given both");
        }
    }
}

SleepOptions validate(const SleepArgs& a) {
    SleepOptions o;
    o.seconds = durations(a);
    o.repeat = a.dist.empty() ? parse_positive(a.repeat, "--repeat", max_sleep_tasks) : 1;
    if (o.seconds.size() > max_sleep_tasks / o.repeat) {
        throw usage_error("sleep: " + std::to_string(o.seconds.size()) + " durations x --repeat " +
                          std::to_string(o.repeat) + " is more than " +
                          std::to_string(max_sleep_tasks) + " tasks");
    }
    o.executor.schedule = parse_schedule(a.schedule, "--schedule");
    o.executor.longest_first = a.longest_first;
    o.executor.chunksize = parse_chunksize(a.chunksize, o.executor.schedule, a.longest_first);
    if (a.idle != "backoff" && a.idle != "spin") {
        throw usage_error("--idle must be 'backoff' or 'spin', got '" + a.idle + "'");
    }
    o.executor.idle = a.idle == "spin" ? IdleWait::spin : IdleWait::backoff;
    o.executor.ordered = !a.unordered;
    o.executor.keep_going = a.keep_going;
    check_halt_and_keep_going(!a.watch.halt.empty(), a.keep_going);
    (void)apply_watch_options(a.watch, o.executor);
    o.executor.root_works = !a.root_dispatches_only;
    o.quiet = a.quiet;
    if (!a.fail_task.empty()) {
        if (o.tasks() == 0) {
            throw usage_error("--fail-task needs at least one task");
        }
        o.fail_task = parse_count(a.fail_task, "--fail-task", o.tasks() - 1);
    }
    if (!a.crash_task.empty()) {
        if (o.tasks() == 0) {
            throw usage_error("--crash-task needs at least one task");
        }
        o.crash_task = parse_count(a.crash_task, "--crash-task", o.tasks() - 1);
    }
    o.journal = a.journal;
    if (a.resume_failed && a.journal.empty()) {
        throw usage_error(
            "--resume-failed goes with --journal: the journal says which tasks failed");
    }
    o.resume_failed = a.resume_failed;
    o.grace = parse_seconds(a.grace, "--grace");
    check_deadline(a.deadline);
    o.deadline = a.deadline;
    if (o.fail_task && o.crash_task && *o.fail_task == *o.crash_task) {
        throw usage_error("--fail-task and --crash-task contradict each other: task " +
                          std::to_string(*o.fail_task) + " can fail or crash, not both");
    }
    check_flaky(a, o);
    return o;
}

/// What the command line adds to a sleep run: a joblog, progress lines.
struct SleepWatch {
    std::string joblog;
    ProgressMode progress = ProgressMode::automatic;
};

/// The one line a stopped run ends with (rank 0), and its exit code.
int stopped(Output& out, const SleepReport& r) {
    out.flush();
    if (out.is_root()) {
        std::fprintf(stderr, "%s\n",
                     stop_line(r.stopped_by, r.summary.completed, r.summary.tasks, "tasks",
                               r.options.journal)
                         .c_str());
        std::fflush(stderr);
    }
    return stopped_exit_code(r.stopped_by);
}

int run(const boost::mpi::communicator& comm, SleepOptions o, const SleepWatch& w,
        const std::optional<OutputFile>& output, Output& out) {
    o.executor.deadline = resolve_deadline(comm, o.executor.root, o.deadline);
    RunWatch watch(comm, o.executor.root, w.joblog, w.progress,
                   [&o](std::uint64_t i) { return task_input(o, i); });
    if (!start_watch(watch, o.executor, out, remove_temporary_on_stop)) { // --output's temporary
        return exit_usage;
    }
    ResultsRoute route(comm, out, !o.quiet, output);
    const auto r = [&] {
        const GraceWatch grace(o.grace, comm.rank() == o.executor.root);
        return run_sleep(comm, o, route.sink());
    }();
    const std::string file_error = route.finish(comm, r.ok());
    const auto joblog_error = watch.finish(r.summary);
    show_report(comm, out, r, route.extras());
    if (!joblog_error.empty()) {
        out.error(joblog_error);
        return exit_failure;
    }
    if (r.stopped_by != 0 && r.summary.failed == 0) {
        return stopped(out, r); // no --output file: a stopped run's results are partial
    }
    if (r.summary.failed == 0 && !file_error.empty()) {
        out.error(file_error);
        return exit_failure;
    }
    if (r.summary.failed == 0) {
        return exit_ok;
    }
    const auto& fs = r.summary.failures;
    if (o.executor.effective_halt() == HaltPolicy::never()) {
        for (const auto& f : fs) {
            out.error(describe_failure(o, f));
        }
    } else if (!fs.empty()) {
        out.error(describe_failure(o, fs.front()) +
                  (fs.size() > 1 ? " (and " + std::to_string(fs.size() - 1) + " more)" : ""));
    }
    return exit_failure;
}

} // namespace

void add_sleep_command(CLI::App& app, std::optional<Command>& chosen) {
    auto a = std::make_shared<SleepArgs>();
    auto* sl = app.add_subcommand(
        "sleep",
        "ProcessPoolExecutor(P).map(sleep_task, SECONDS): rank 0 hands tasks to whichever rank is\n"
        "idle (itself included, on a thread of its own); each task prints 'Sleeping for S\n"
        "seconds.' on the rank that runs it; rank 0 prints 'Done S' in input order and the\n"
        "makespan beside its lower bound max(longest task, total / ranks).");
    auto* seconds =
        sl->add_option("SECONDS", a->seconds, "task lengths in seconds, >= 0 (default 5 4 3 2 1)")
            ->type_name("S...");
    sl->add_option("--arg-file", a->arg_file,
                   "read the task lengths from FILE, one per line (blank lines and lines\n"
                   "starting with # are skipped): for lists longer than a command line can\n"
                   "carry (mpirun fails with E2BIG past ~100 000 values)")
        ->type_name("FILE");
    sl->add_option("--schedule", a->schedule,
                   "static: one contiguous block per rank, fixed up front (Pool.map's split);\n"
                   "cyclic: chunks dealt round-robin up front;\n"
                   "dynamic: the next chunk to whichever rank is idle (default);\n"
                   "guided: dynamic with chunks of max(chunksize, tasks left / ranks)")
        ->type_name("NAME");
    sl->add_option("--chunksize", a->chunksize,
                   "tasks per message, or auto: chunks of tasks / (2 ranks) that halve as the\n"
                   "work runs out (factoring), never below what the measured dispatch cost\n"
                   "needs (default: auto with the dynamic schedule, 1 with --longest-first or\n"
                   "another schedule)")
        ->type_name("K|auto");
    sl->add_flag("--longest-first", a->longest_first,
                 "hand out the longest tasks first (results still in input order)");
    sl->add_flag("--unordered", a->unordered,
                 "print each result as it completes (as_completed), not in input order");
    sl->add_flag("--keep-going", a->keep_going,
                 "run every task despite failures and report each failure at the end\n"
                 "(the same as --halt never; default: stop at the first failure)");
    sl->add_option("--fail-task", a->fail_task,
                   "make task I (0-based) throw: a way to test failure handling")
        ->type_name("I");
    sl->add_option("--flaky-task", a->flaky_task,
                   "make task I (0-based) throw on its first attempt only: a retry succeeds")
        ->type_name("I");
    add_watch_options(*sl, a->watch, "now,fail=1 (never is --keep-going)");
    sl->add_option("--crash-task", a->crash_task,
                   "the rank running task I kills itself (SIGKILL): shows that a dead rank ends\n"
                   "the job instead of hanging it")
        ->type_name("I");
    sl->add_flag("--quiet", a->quiet,
                 "no per-task lines ('Sleeping for', 'Done') on the screen: for benchmarks\n"
                 "(--output still gets every result)");
    sl->add_option("--repeat", a->repeat,
                   "run the list of tasks K times over (default 1); with --dist: K tasks")
        ->type_name("K");
    sl->add_option("--dist", a->dist,
                   "draw each task's length from a distribution instead of SECONDS: exp:MEAN,\n"
                   "exponential with MEAN seconds (uneven tasks for benchmarks; --repeat K tasks)")
        ->type_name("exp:MEAN");
    sl->add_option("--seed", a->seed, "the seed of --dist's lengths (default 1)")->type_name("S");
    sl->add_option("--idle", a->idle,
                   "how waiting ranks wait: backoff (default: poll 20 us, yield, then sleep up to\n"
                   "1 ms between polls, little CPU) or spin (poll without pause, lowest latency,\n"
                   "a busy core per waiting rank)")
        ->type_name("backoff|spin");
    sl->add_flag("--root-dispatches-only", a->root_dispatches_only,
                 "rank 0 only hands out tasks and runs none (as a classic master)");
    sl->add_option(
          "--journal", a->journal,
          "append each finished task's result to FILE (checksummed, synced every second)\n"
          "and, when FILE holds results of the same tasks, run only the others: rerun\n"
          "the same command after a stop or a crash to resume (output as if uninterrupted)")
        ->type_name("FILE");
    sl->add_option("--grace", a->grace,
                   "after SIGTERM, SIGINT or SIGUSR1: seconds running tasks get to stop before\n"
                   "the run ends anyway (default 10); the exit code is then 128 + the signal")
        ->type_name("SECONDS");
    sl->add_flag("--resume-failed", a->resume_failed,
                 "with --journal: run only the tasks the journal records as failed (their\n"
                 "retries spent), not the ones never run; the output holds the journal's results\n"
                 "and theirs, in input order");
    add_deadline_option(*sl, a->deadline);
    add_output_option(*sl, a->output);
    sl->add_flag("--json", a->json, "print one JSON object instead of the text output");
    sl->callback([a, seconds, &chosen] {
        a->seconds_given = seconds->count() > 0;
        const auto output = parse_output(a->output);
        const SleepOptions o = validate(*a);
        const SleepWatch w{a->watch.joblog, progress_mode(a->watch.progress, a->watch.no_progress)};
        auto options = to_json(o);
        options["joblog"] =
            w.joblog.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(w.joblog);
        options["progress"] = w.progress == ProgressMode::on    ? "on"
                              : w.progress == ProgressMode::off ? "off"
                                                                : "auto";
        options["output"] = to_json(output);
        chosen = Command{"sleep", a->json, options,
                         [o, w, output](const boost::mpi::communicator& comm, Output& out) {
                             return run(comm, o, w, output, out);
                         }};
        // The root that works runs tasks on a thread; every other rank on its one thread.
        chosen->threads = o.executor.root_works ? ExtraThreads::root : ExtraThreads::none;
    });
}

} // namespace rankpool::cli
