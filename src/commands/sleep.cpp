// `rankpool sleep 5 4 3 2 1`: ProcessPoolExecutor(P).map(sleep_task, seconds) on MPI ranks.
#include "sleep.hpp"

#include <csignal>
#include <cstdio>
#include <stdexcept>

#include "report_json.hpp"

namespace rankpool::commands {

namespace {

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

} // namespace

std::string describe_failure(const SleepOptions& o, const TaskFailure& f) {
    return "task " + std::to_string(f.index) + " (sleep " + seconds_text(o.cost(f.index)) +
           ") failed on rank " + std::to_string(f.rank) + " (" + f.host + "): " + f.message;
}

SleepReport run_sleep(const boost::mpi::communicator& comm, const SleepOptions& o, Sink& sink) {
    const std::uint64_t n = o.tasks();
    const bool root = comm.rank() == o.executor.root;
    SleepReport r;
    r.options = o;
    r.ranks = comm.size();
    r.workers = o.executor.root_works || comm.size() == 1 ? comm.size() : comm.size() - 1;
    // The costs, the bound and the prediction are the root's alone (the executor reads costs
    // there), so other ranks hold nothing per task.
    std::vector<double> costs(root ? n : 0);
    for (std::uint64_t i = 0; i < costs.size(); ++i) {
        costs[i] = o.cost(i);
    }
    if (root) {
        r.lower_bound = makespan_lower_bound(costs, r.workers);
        r.predicted = simulate_makespan(costs, r.workers, o.executor.schedule, o.executor.chunksize,
                                        o.executor.longest_first);
    }
    if (!o.quiet && comm.rank() == o.executor.root) {
        sink.begin({"seconds", "slept", "Done ", n, true});
    }

    const int rank = comm.rank();
    const auto sleep_task = [&](std::uint64_t i, const StopToken& stop) -> double {
        const double s = o.cost(i);
        if (!o.quiet) {
            sink.worker_line("[rank " + std::to_string(rank) + "] Sleeping for " + seconds_text(s) +
                             " seconds.");
        }
        if (o.crash_task && *o.crash_task == i) {
            std::raise(SIGKILL);
        }
        if (o.fail_task && *o.fail_task == i) {
            throw std::runtime_error("injected failure (--fail-task " + std::to_string(i) + ")");
        }
        if (!sleep_unless_stopped(s, stop)) {
            throw task_cancelled();
        }
        return s;
    };
    const auto on_result = [&](std::uint64_t i, double s) {
        if (!o.quiet) {
            sink.result(i, Value{o.cost(i)}, Value{s});
        }
    };
    r.summary = execute(comm, n, sleep_task, on_result, o.executor, costs);
    if (!o.quiet && comm.rank() == o.executor.root) {
        sink.end();
    }
    return r;
}

nlohmann::ordered_json to_json(const SleepOptions& o) {
    nlohmann::ordered_json j = {
        {"seconds", o.seconds},
        {"repeat", o.repeat},
        {"schedule", to_string(o.executor.schedule)},
        {"chunksize", o.executor.chunksize},
        {"longest_first", o.executor.longest_first},
        {"ordered", o.executor.ordered},
        {"keep_going", o.executor.keep_going},
        {"root_works", o.executor.root_works},
        {"idle", o.executor.idle == IdleWait::spin ? "spin" : "backoff"},
        {"quiet", o.quiet},
    };
    j["fail_task"] =
        o.fail_task ? nlohmann::ordered_json(*o.fail_task) : nlohmann::ordered_json(nullptr);
    j["crash_task"] =
        o.crash_task ? nlohmann::ordered_json(*o.crash_task) : nlohmann::ordered_json(nullptr);
    return j;
}

nlohmann::ordered_json to_json(const SleepReport& r) {
    const auto& s = r.summary;
    auto failures = nlohmann::ordered_json::array();
    for (const auto& f : s.failures) {
        failures.push_back({{"index", f.index},
                            {"input", r.options.cost(f.index)},
                            {"rank", f.rank},
                            {"host", f.host},
                            {"message", f.message}});
    }
    return {
        {"command", "sleep"},
        {"ok", r.ok()},
        {"options", to_json(r.options)},
        {"seconds", {{"total", s.makespan}}},
        {"results",
         {{"count", s.tasks},
          {"completed", s.completed},
          {"failed", s.failed},
          {"failures", failures}}},
        {"detail",
         {{"workers", r.workers},
          {"makespan", s.makespan},
          {"lower_bound", r.lower_bound},
          {"predicted", r.predicted},
          {"chunks", s.chunks},
          {"tasks_per_rank", s.tasks_per_rank}}},
    };
}

std::vector<std::string> to_text(const SleepReport& r) {
    const auto& o = r.options;
    const auto& s = r.summary;
    char line[512];
    std::vector<std::string> lines;
    std::snprintf(line, sizeof line,
                  "sleep: %llu tasks on %d rank%s (%d working), %s schedule, chunksize %llu%s, %s",
                  static_cast<unsigned long long>(s.tasks), r.ranks, r.ranks == 1 ? "" : "s",
                  r.workers, std::string(to_string(o.executor.schedule)).c_str(),
                  static_cast<unsigned long long>(o.executor.chunksize),
                  o.executor.longest_first ? ", longest first" : "",
                  o.executor.ordered ? "results in input order" : "results as completed");
    lines.emplace_back(line);
    std::snprintf(line, sizeof line,
                  "makespan: %.3f s; %.3f s predicted for this schedule with free dispatch; lower "
                  "bound %.3f s = max(longest task, total / %d workers)",
                  s.makespan, r.predicted, r.lower_bound, r.workers);
    lines.emplace_back(line);
    if (s.failed > 0 || s.completed < s.tasks) {
        std::snprintf(line, sizeof line, "completed %llu of %llu tasks, %llu failed",
                      static_cast<unsigned long long>(s.completed),
                      static_cast<unsigned long long>(s.tasks),
                      static_cast<unsigned long long>(s.failed));
        lines.emplace_back(line);
    }
    return lines;
}

} // namespace rankpool::commands
