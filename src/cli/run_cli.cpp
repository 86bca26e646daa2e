// The `run` subcommand's command line: GNU parallel's ::: and :::: after the options, and output.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "rankpool/parse.hpp"
#include "rankpool/run_template.hpp"

#include "app.hpp"
#include "commands/run.hpp"
#include "commands/shell_task.hpp"
#include "deadline_cli.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "watch.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct RunArgs {
    std::string tasks_file;
    std::string timeout;
    std::string results_dir;
    std::string journal;
    std::string deadline;
    WatchArgs watch; ///< --retries, --halt, --joblog, --progress, --no-progress
    bool unordered = false;
    bool summary = false;
    bool json = false;
};

/// Failed tasks listed one by one at the end; past this many, a count.
constexpr std::size_t max_failures_listed = 20;

RunOptions validate(const RunArgs& a, const std::vector<std::string>& words) {
    RunOptions o;
    o.input = parse_run_words(words, a.tasks_file);
    if (!a.timeout.empty()) {
        o.timeout = parse_seconds(a.timeout, "--timeout");
        if (o.timeout <= 0) {
            throw usage_error("--timeout must be > 0 seconds, got '" + a.timeout + "'");
        }
    }
    o.results_dir = a.results_dir;
    o.summary = a.summary;
    o.executor.ordered = !a.unordered;
    o.executor.halt = HaltPolicy::never(); // every task runs unless --halt says otherwise
    o.journal = a.journal;
    check_deadline(a.deadline);
    o.deadline = a.deadline;
    return o;
}

/// The failed tasks on stderr: each command's report (up to max_failures_listed), then tasks
/// that failed without output, then the count.
void report_failures(const RunReport& r, Output& out) {
    for (std::size_t k = 0; k < r.failures.size() && k < max_failures_listed; ++k) {
        const auto lines = describe_failure(r.failures[k].number, r.failures[k].result);
        out.error(lines.front());
        for (std::size_t l = 1; l < lines.size(); ++l) {
            out.write_err(lines[l] + "\n");
        }
    }
    if (r.failures.size() > max_failures_listed) {
        out.error("(and " + std::to_string(r.failures.size() - max_failures_listed) +
                  " more failed tasks)");
    }
    for (const auto& f : r.errors) { // no output to show: rankpool's own errors, given-up retries
        out.error("task " + std::to_string(f.index + 1) + " failed on rank " +
                  std::to_string(f.rank) + " (" + f.host + "): " + f.message);
    }
    out.error(std::to_string(r.failed) + " of " + std::to_string(r.summary.tasks) +
              " tasks failed" +
              (r.summary.halted
                   ? " (stopped by --halt " + to_string(r.options.executor.effective_halt()) + ")"
                   : ""));
}

int run(const boost::mpi::communicator& comm, RunOptions o, ProgressMode progress,
        const std::string& joblog, Output& out) {
    o.executor.deadline = resolve_deadline(comm, o.executor.root, o.deadline); // collective
    const RunItems items = share_items(comm, o); // collective; a file rank 0 cannot read: exit 2
    RunWatch watch(comm, o.executor.root, joblog, progress,
                   [&items](std::uint64_t i) { return items.items[i]; });
    // A stop kills the running commands at once: mpirun follows its SIGTERM with SIGKILL.
    if (!start_watch(watch, o.executor, out, kill_running_commands)) {
        return exit_usage;
    }
    const bool to_files = !o.results_dir.empty();
    auto values = nlohmann::ordered_json::array();
    const auto print = [&](std::uint64_t number, const TaskResult& t) {
        if (out.json()) {
            values.push_back(to_json(number, t));
        } else if (!to_files) {
            out.write(t.out);
            out.write_err(t.err);
            out.flush();
        }
    };
    const RunReport r = run_commands(comm, o, items, print);
    const auto joblog_error = watch.finish(r.summary);
    if (out.json()) {
        out.json_line(envelope(comm, to_json(r), std::move(values))); // collective
    }
    if (o.summary) {
        for (const auto& l : to_text(r)) {
            out.write_err(l + "\n");
        }
    }
    if (!joblog_error.empty()) {
        out.error(joblog_error);
        return exit_failure;
    }
    if (r.failed > 0) {
        report_failures(r, out);
    }
    if (r.stopped_by != 0) { // "stopped, resume me" outranks "some task failed"
        out.flush();
        if (out.is_root()) {
            std::fprintf(
                stderr, "%s\n",
                stop_line(r.stopped_by, r.summary.completed, r.summary.tasks, "tasks", o.journal)
                    .c_str());
            std::fflush(stderr);
        }
        return stopped_exit_code(r.stopped_by);
    }
    return r.ok() ? exit_ok : exit_failure;
}

constexpr const char* description =
    "GNU parallel on MPI ranks: shell commands as tasks, run by whichever rank is idle (rank 0\n"
    "too), each one's output printed whole in input order; COMMAND ::: ARG..., COMMAND :::: FILE\n"
    "or --tasks FILE after the options.";

constexpr const char* details =
    R"(Inputs:
  rankpool run [OPTIONS] COMMAND... ::: ARG...   one task per ARG
  rankpool run [OPTIONS] COMMAND... :::: FILE    one task per line of FILE
  rankpool run [OPTIONS] --tasks FILE            one whole command per line of FILE
Options come before COMMAND: every word from COMMAND on is the command or its input.
In FILEs (read on rank 0 only) blank lines and lines starting with # are skipped.
COMMAND runs with /bin/sh -c in a process group of its own, stdin /dev/null, and
RANKPOOL_TASK (= {#}), RANKPOOL_RANK, RANKPOOL_HOST, RANKPOOL_PID in its environment.
Replacement strings: {} the argument, {.} without extension, {/} basename, {//} dirname,
{/.} basename without extension (each quoted for the shell), {#} the task number (1-based),
{%} the slot (the rank + 1). A COMMAND without any gets ' {}' appended.
Each task's stdout and stderr are printed whole, never interleaved, in input order.
A task that exits non-zero, is killed by a signal or times out is failed (its output is still
printed): --retries runs it again, on another rank when there is one; every task runs unless
--halt says otherwise; each failure is reported at the end with the tail of its stderr, and
the exit code is 1. --journal FILE keeps each successful task's output and status: rerun the
same command to run only the rest (output as if uninterrupted). SIGTERM, SIGINT or SIGUSR1
stop the run: running commands' process groups are killed, the journal is synced, and the
exit code is 128 + the signal. --deadline TIME starts no task that the tasks' measured times say
cannot finish before TIME; running ones finish, and the exit code is 142 when tasks were left.)";

} // namespace

void add_run_command(CLI::App& app, std::optional<Command>& chosen) {
    auto a = std::make_shared<RunArgs>();
    auto* run_cmd = app.add_subcommand("run", description);
    run_cmd->footer(std::string(details) + "\n\n" + run_cmd->get_footer());
    run_cmd->prefix_command(); // COMMAND and ::: ARG... are ours, whatever they look like
    run_cmd
        ->add_option("--tasks", a->tasks_file,
                     "read whole commands from FILE, one per line (no COMMAND, no :::)")
        ->type_name("FILE");
    run_cmd
        ->add_option("--timeout", a->timeout,
                     "kill a task's process group after S seconds (SIGTERM, then SIGKILL 1 s\n"
                     "later): the task fails as timed out")
        ->type_name("S");
    run_cmd->add_flag("--unordered", a->unordered,
                      "print each task's output as it completes, not in input order");
    run_cmd
        ->add_option("--results", a->results_dir,
                     "write each task's output on its rank's host to DIR/<task number>/stdout,\n"
                     "stderr, status and command, instead of printing it")
        ->type_name("DIR");
    add_watch_options(*run_cmd, a->watch, "never");
    run_cmd
        ->add_option("--journal", a->journal,
                     "append each successful task's output and status to FILE (checksummed,\n"
                     "synced every second) and, when FILE holds tasks of the same run, run only\n"
                     "the others: rerun the same command after a stop or a crash to resume")
        ->type_name("FILE");
    add_deadline_option(*run_cmd, a->deadline);
    run_cmd->add_flag("--summary", a->summary,
                      "after the run, print tasks per rank and the makespan beside its lower\n"
                      "bound on stderr");
    run_cmd->add_flag("--json", a->json,
                      "print one JSON object (the report, each task's output in results.values)\n"
                      "instead of the tasks' output");
    run_cmd->callback([a, run_cmd, &chosen] {
        RunOptions o = validate(*a, run_cmd->remaining());
        const ProgressMode progress = apply_watch_options(a->watch, o.executor);
        auto options = to_json(o);
        options["joblog"] = a->watch.joblog.empty() ? nlohmann::ordered_json(nullptr)
                                                    : nlohmann::ordered_json(a->watch.joblog);
        chosen = Command{"run", a->json, options,
                         [o, progress, joblog = a->watch.joblog](
                             const boost::mpi::communicator& comm, Output& out) {
                             return run(comm, o, progress, joblog, out);
                         }};
        chosen->threads = o.executor.root_works ? ExtraThreads::root : ExtraThreads::none;
    });
}

} // namespace rankpool::cli
