// The `sleep` subcommand's command line: its options, their checks, and how it runs.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "rankpool/parse.hpp"

#include "app.hpp"
#include "commands/sleep.hpp"
#include "output.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct SleepArgs {
    std::vector<std::string> seconds = {"5", "4", "3", "2", "1"};
    std::string schedule = "dynamic";
    std::string chunksize = "1";
    std::string repeat = "1";
    std::string fail_task;
    std::string crash_task;
    std::string idle = "backoff";
    std::string arg_file;
    bool seconds_given = false; ///< SECONDS were on the command line
    bool longest_first = false;
    bool unordered = false;
    bool keep_going = false;
    bool quiet = false;
    bool root_dispatches_only = false;
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

/// The durations: SECONDS from the command line, or one per line of --arg-file.
std::vector<double> durations(const SleepArgs& a) {
    std::vector<double> seconds;
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

SleepOptions validate(const SleepArgs& a) {
    SleepOptions o;
    o.seconds = durations(a);
    o.repeat = parse_positive(a.repeat, "--repeat", max_sleep_tasks);
    if (o.seconds.size() > max_sleep_tasks / o.repeat) {
        throw usage_error("sleep: " + std::to_string(o.seconds.size()) + " durations x --repeat " +
                          std::to_string(o.repeat) + " is more than " +
                          std::to_string(max_sleep_tasks) + " tasks");
    }
    o.executor.schedule = parse_schedule(a.schedule, "--schedule");
    o.executor.chunksize = parse_positive(a.chunksize, "--chunksize", max_chunksize);
    if (a.idle != "backoff" && a.idle != "spin") {
        throw usage_error("--idle must be 'backoff' or 'spin', got '" + a.idle + "'");
    }
    o.executor.idle = a.idle == "spin" ? IdleWait::spin : IdleWait::backoff;
    o.executor.longest_first = a.longest_first;
    o.executor.ordered = !a.unordered;
    o.executor.keep_going = a.keep_going;
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
    if (o.fail_task && o.crash_task && *o.fail_task == *o.crash_task) {
        throw usage_error("--fail-task and --crash-task contradict each other: task " +
                          std::to_string(*o.fail_task) + " can fail or crash, not both");
    }
    return o;
}

int run(const boost::mpi::communicator& comm, const SleepOptions& o, Output& out) {
    const auto r = run_sleep(comm, o, out.sink());
    show_report(comm, out, r);
    if (r.summary.failed == 0) {
        return exit_ok;
    }
    const auto& fs = r.summary.failures;
    if (o.executor.keep_going) {
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
    sl->add_option("--chunksize", a->chunksize, "tasks per message (default 1)")->type_name("K");
    sl->add_flag("--longest-first", a->longest_first,
                 "hand out the longest tasks first (results still in input order)");
    sl->add_flag("--unordered", a->unordered,
                 "print each result as it completes (as_completed), not in input order");
    sl->add_flag("--keep-going", a->keep_going,
                 "run every task despite failures and report each failure at the end\n"
                 "(default: stop at the first failure)");
    sl->add_option("--fail-task", a->fail_task,
                   "make task I (0-based) throw: a way to test failure handling")
        ->type_name("I");
    sl->add_option("--crash-task", a->crash_task,
                   "the rank running task I kills itself (SIGKILL): shows that a dead rank ends\n"
                   "the job instead of hanging it")
        ->type_name("I");
    sl->add_flag("--quiet", a->quiet, "no per-task lines ('Sleeping for', 'Done'): for benchmarks");
    sl->add_option("--repeat", a->repeat, "run the list of tasks K times over (default 1)")
        ->type_name("K");
    sl->add_option("--idle", a->idle,
                   "how waiting ranks wait: backoff (default: poll ~50 us, then sleep up to\n"
                   "1 ms between polls, little CPU) or spin (poll without pause, lowest latency,\n"
                   "a busy core per waiting rank)")
        ->type_name("backoff|spin");
    sl->add_flag("--root-dispatches-only", a->root_dispatches_only,
                 "rank 0 only hands out tasks and runs none (as a classic master)");
    sl->add_flag("--json", a->json, "print one JSON object instead of the text output");
    sl->callback([a, seconds, &chosen] {
        a->seconds_given = seconds->count() > 0;
        const SleepOptions o = validate(*a);
        chosen = Command{
            "sleep", a->json, to_json(o),
            [o](const boost::mpi::communicator& comm, Output& out) { return run(comm, o, out); }};
    });
}

} // namespace rankpool::cli
