// The `sleep` subcommand's command line: its options, their checks, and how it runs.
#include <CLI/CLI.hpp>

#include "cli/output.hpp"
#include "cli/parse.hpp"
#include "sleep.hpp"

namespace rankpool::commands {

namespace {

struct SleepArgs {
    std::vector<std::string> seconds = {"5", "4", "3", "2", "1"};
    std::string schedule = "dynamic";
    std::string chunksize = "1";
    std::string repeat = "1";
    std::string fail_task;
    std::string crash_task;
    std::string idle = "backoff";
    bool longest_first = false;
    bool unordered = false;
    bool keep_going = false;
    bool quiet = false;
    bool root_dispatches_only = false;
    bool json = false;
};

SleepOptions validate(const SleepArgs& a) {
    using cli::usage_error;
    SleepOptions o;
    o.seconds.clear();
    for (const auto& s : a.seconds) {
        o.seconds.push_back(cli::parse_seconds(s, "SECONDS"));
    }
    o.repeat = cli::parse_positive(a.repeat, "--repeat", 100000000);
    o.executor.schedule = cli::parse_schedule(a.schedule, "--schedule");
    o.executor.chunksize = cli::parse_positive(a.chunksize, "--chunksize", cli::max_chunksize);
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
        o.fail_task = cli::parse_count(a.fail_task, "--fail-task", o.tasks() - 1);
    }
    if (!a.crash_task.empty()) {
        if (o.tasks() == 0) {
            throw usage_error("--crash-task needs at least one task");
        }
        o.crash_task = cli::parse_count(a.crash_task, "--crash-task", o.tasks() - 1);
    }
    return o;
}

int run(const boost::mpi::communicator& comm, const SleepOptions& o, cli::Output& out) {
    const auto r = run_sleep(comm, o, out);
    if (r.summary.failed == 0) {
        return cli::exit_ok;
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
    return cli::exit_failure;
}

} // namespace

void add_sleep_command(CLI::App& app, std::optional<cli::Command>& chosen) {
    auto a = std::make_shared<SleepArgs>();
    auto* sl = app.add_subcommand(
        "sleep",
        "ProcessPoolExecutor(P).map(sleep_task, SECONDS): rank 0 hands tasks to whichever rank is\n"
        "idle (itself included, on a thread of its own); each task prints 'Sleeping for S\n"
        "seconds.' on the rank that runs it; rank 0 prints 'Done S' in input order and the\n"
        "makespan beside its lower bound max(longest task, total / ranks).");
    sl->add_option("SECONDS", a->seconds, "task lengths in seconds, >= 0 (default 5 4 3 2 1)")
        ->type_name("S...");
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
                   "how waiting ranks wait: backoff (default: poll 20 us, yield, then sleep up to\n"
                   "1 ms between polls, little CPU) or spin (poll without pause, lowest latency,\n"
                   "a busy core per waiting rank)")
        ->type_name("backoff|spin");
    sl->add_flag("--root-dispatches-only", a->root_dispatches_only,
                 "rank 0 only hands out tasks and runs none (as a classic master)");
    sl->add_flag("--json", a->json, "print one JSON object instead of the text output");
    sl->callback([a, &chosen] {
        const SleepOptions o = validate(*a);
        chosen = cli::Command{"sleep", a->json, to_json(o),
                              [o](const boost::mpi::communicator& comm, cli::Output& out) {
                                  return run(comm, o, out);
                              }};
    });
}

} // namespace rankpool::commands
