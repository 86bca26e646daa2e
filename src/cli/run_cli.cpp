// The `run` subcommand's command line: GNU parallel's ::: and :::: after the options, and output.
#include <CLI/CLI.hpp>

#include "rankpool/parse.hpp"
#include "rankpool/run_template.hpp"

#include "app.hpp"
#include "commands/run.hpp"
#include "output.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct RunArgs {
    std::string tasks_file;
    std::string timeout;
    std::string results_dir;
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
    o.executor.keep_going = true; // every task runs; failures are counted at the end
    return o;
}

int run(const boost::mpi::communicator& comm, const RunOptions& o, Output& out) {
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
    const RunReport r = run_commands(comm, o, print);
    if (out.json()) {
        out.json_line(envelope(comm, to_json(r), std::move(values))); // collective
    }
    if (o.summary) {
        for (const auto& l : to_text(r)) {
            out.write_err(l + "\n");
        }
    }
    if (r.ok()) {
        return exit_ok;
    }
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
    for (const auto& f : r.summary.failures) { // tasks that threw inside rankpool itself
        out.error("task " + std::to_string(f.index + 1) + " failed on rank " +
                  std::to_string(f.rank) + " (" + f.host + "): " + f.message);
    }
    out.error(std::to_string(r.failed) + " of " + std::to_string(r.summary.tasks) +
              " tasks failed");
    return exit_failure;
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
Every task runs; a task that exits non-zero, is killed by a signal or times out is failed:
each is reported at the end with the tail of its stderr, and the exit code is 1.)";

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
    run_cmd->add_flag("--summary", a->summary,
                      "after the run, print tasks per rank and the makespan beside its lower\n"
                      "bound on stderr");
    run_cmd->add_flag("--json", a->json,
                      "print one JSON object (the report, each task's output in results.values)\n"
                      "instead of the tasks' output");
    run_cmd->callback([a, run_cmd, &chosen] {
        const RunOptions o = validate(*a, run_cmd->remaining());
        chosen = Command{
            "run", a->json, to_json(o),
            [o](const boost::mpi::communicator& comm, Output& out) { return run(comm, o, out); }};
    });
}

} // namespace rankpool::cli
