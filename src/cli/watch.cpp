// What the command line watches of an executor run: --joblog FILE, progress lines, --halt text.
#include "watch.hpp"

#include <cstdio>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/serialization/string.hpp>

#include "rankpool/errors.hpp"
#include "rankpool/parse.hpp"
#include "rankpool/run_info.hpp"

#include "output.hpp"
#include "signals.hpp"

namespace rankpool::cli {

HaltPolicy parse_halt_option(const std::string& text) {
    std::string why;
    if (const auto p = parse_halt(text, &why)) {
        return *p;
    }
    throw usage_error("--halt " + why + ", got '" + text + "'");
}

ProgressMode progress_mode(bool progress, bool no_progress) {
    if (progress && no_progress) {
        throw usage_error("--progress and --no-progress contradict each other: give one");
    }
    return progress ? ProgressMode::on : no_progress ? ProgressMode::off : ProgressMode::automatic;
}

void check_halt_and_keep_going(bool halt_given, bool keep_going) {
    if (halt_given && keep_going) {
        throw usage_error("--halt and --keep-going contradict each other: --keep-going is "
                          "--halt never; give one");
    }
}

void add_watch_options(CLI::App& cmd, WatchArgs& a, const std::string& halt_default) {
    cmd.add_option("--retries", a.retries,
                   "run a failed task again, on another rank when there is one, up to N more\n"
                   "times before it counts as failed (default 0, at most 255)")
        ->type_name("N");
    cmd.add_option(
           "--halt", a.halt,
           "when failed tasks stop the run, as GNU parallel's --halt: never, now,fail=N\n"
           "or soon,fail=N (after N failed tasks: cancel the running ones, or let them\n"
           "finish), now,fail=P% or soon,fail=P% (after P% of all tasks failed);\ndefault " +
               halt_default)
        ->type_name("WHEN,fail=N");
    cmd.add_option("--joblog", a.joblog,
                   "write one tab-separated line per task attempt to FILE (index, input, rank,\n"
                   "host, pid, start, seconds, attempt, status, error), with a header")
        ->type_name("FILE");
    cmd.add_flag("--progress", a.progress,
                 "show tasks done, rate and ETA on stderr from the start (default: a live line\n"
                 "after 2 s on a terminal, a line every 10 s into a file)");
    cmd.add_flag("--no-progress", a.no_progress, "never show progress lines");
}

ProgressMode apply_watch_options(const WatchArgs& a, ExecutorOptions& o) {
    if (!a.halt.empty()) {
        o.halt = parse_halt_option(a.halt);
    }
    if (!a.retries.empty()) {
        o.retries = static_cast<unsigned>(parse_count(a.retries, "--retries", max_retries));
    }
    return progress_mode(a.progress, a.no_progress);
}

bool start_watch(RunWatch& watch, ExecutorOptions& o, Output& out, void (*stop_hook)() noexcept) {
    if (!watch.problem().empty()) {
        if (out.is_root()) {
            out.error(watch.problem());
        }
        return false;
    }
    watch.attach(o);
    install_stop_handlers();
    set_stop_hook(stop_hook);
    o.stop_requested = &stop_signal();
    return true;
}

RunWatch::RunWatch(const boost::mpi::communicator& comm, int root, const std::string& joblog,
                   ProgressMode mode, std::function<std::string(std::uint64_t)> input)
    : root_(comm.rank() == root),
      meter_(plan_progress(root_ ? mode : ProgressMode::off, ::isatty(STDERR_FILENO) == 1)),
      progress_on_(root_ && mode != ProgressMode::off), input_(std::move(input)) {
    if (joblog.empty()) {
        return;
    }
    const auto ranks = gather_rank_info(comm, root);
    if (root_) {
        std::vector<std::string> hosts;
        std::vector<std::uint64_t> pids;
        for (const auto& r : ranks) {
            hosts.push_back(r.host);
            pids.push_back(r.pid);
        }
        try {
            joblog_ = std::make_unique<JoblogWriter>(joblog, std::move(hosts), std::move(pids));
        } catch (const std::exception& e) {
            problem_ = e.what();
        }
    }
    boost::mpi::broadcast(comm, problem_, root);
}

void RunWatch::attach(ExecutorOptions& o) {
    if (!root_) {
        return;
    }
    if (joblog_) {
        o.on_attempt = [this](const TaskAttempt& a) { joblog_->write(a, input_(a.index)); };
    }
    if (progress_on_) {
        start_ = std::chrono::steady_clock::now();
        o.on_progress = [this](std::uint64_t done, std::uint64_t total) {
            show(meter_.update(done, total, elapsed()));
        };
    }
}

std::string RunWatch::finish(const ExecutionSummary& s) {
    if (!root_) {
        return {};
    }
    if (progress_on_) {
        show(meter_.finish(s.completed + s.failed, s.tasks, elapsed()));
    }
    return joblog_ ? joblog_->close() : std::string();
}

double RunWatch::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void RunWatch::show(const std::optional<std::string>& text) const {
    if (text) {
        std::fputs(text->c_str(), stderr);
        std::fflush(stderr);
    }
}

} // namespace rankpool::cli
