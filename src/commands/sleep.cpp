// `rankpool sleep 5 4 3 2 1`: ProcessPoolExecutor(P).map(sleep_task, seconds) on MPI ranks.
#include "sleep.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>

#include <boost/mpi/collectives/broadcast.hpp>

#include "rankpool/deadline.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/journal.hpp"
#include "rankpool/ordering.hpp"

#include "journal_open.hpp"
#include "report_json.hpp"

namespace rankpool::commands {

namespace {

std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

} // namespace

std::string task_input(const SleepOptions& o, std::uint64_t i) {
    return seconds_text(o.cost(i));
}

std::string describe_failure(const SleepOptions& o, const TaskFailure& f) {
    return "task " + std::to_string(f.index) + " (sleep " + seconds_text(o.cost(f.index)) +
           ") failed on rank " + std::to_string(f.rank) + " (" + f.host + "): " + f.message;
}

std::string journal_header(const SleepOptions& o) {
    std::uint64_t h = fnv1a64({});
    for (const double d : o.seconds) {
        h = fnv1a64(std::span(reinterpret_cast<const unsigned char*>(&d), sizeof d), h);
    }
    h = fnv1a64(std::span(reinterpret_cast<const unsigned char*>(&o.repeat), sizeof o.repeat), h);
    char text[160];
    std::snprintf(text, sizeof text, "rankpool sleep: %llu tasks, inputs fnv1a64 %016llx",
                  static_cast<unsigned long long>(o.tasks()), static_cast<unsigned long long>(h));
    return text;
}

namespace {

/// The root's side of a journaled run: the journal, every result so far, and the ordering
/// window that hands them to the sink in input order, journaled and new alike.
struct Resume {
    Resume(const SleepOptions& o, std::uint64_t n)
        : writer(o.journal, journal_header(o)), missing(journal_todo(writer.contents(), n)),
          todo(o.resume_failed ? journal_failed(writer.contents(), n) : missing), values(n, 0.0),
          window(n, o.executor.keep_going || o.resume_failed) {}

    JournalWriter writer;
    std::vector<std::uint64_t> missing; // tasks without a result
    std::vector<std::uint64_t> todo;    // those this run runs: missing, or the failed among them
    std::vector<double> values;
    OrderedWindow window;
};

/// Opens the journal on the root; every rank learns whether that worked and throws alike.
std::unique_ptr<Resume> open_journal(const boost::mpi::communicator& comm, const SleepOptions& o) {
    return open_journal_on_root<Resume>(comm, o.executor.root, !o.journal.empty(), [&o] {
        auto resume = std::make_unique<Resume>(o, o.tasks());
        for (const auto& e : resume->writer.contents().entries) {
            if (e.result.size() != sizeof(double)) {
                throw journal_error("journal '" + o.journal + "' holds a result of " +
                                    std::to_string(e.result.size()) + " bytes for task " +
                                    std::to_string(e.index) + ", not a duration");
            }
        }
        return resume;
    });
}

} // namespace

SleepReport run_sleep(const boost::mpi::communicator& comm, const SleepOptions& o, Sink& sink) {
    const std::uint64_t n = o.tasks();
    const bool root = comm.rank() == o.executor.root;
    auto resume = open_journal(comm, o);
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
    const auto predict = [&] {
        std::vector<double> left;
        if (resume) { // what this run still has to do
            for (const auto i : resume->todo) {
                left.push_back(costs[i]);
            }
        }
        const auto& c = resume ? left : costs;
        r.lower_bound = makespan_lower_bound(c, r.workers);
        r.predicted = simulate_makespan(c, r.workers, o.executor.schedule, o.executor.chunksize,
                                        o.executor.longest_first);
    };
    if (root) {
        predict();
        sink.begin({"seconds", "slept", "Done ", n, true, ValueKind::real});
    }
    const int rank = comm.rank();
    const auto sleep_task = [&](const TaskContext& c) -> double {
        const std::uint64_t i = c.index;
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
        if (o.flaky_task && *o.flaky_task == i && c.attempt == 1) {
            throw std::runtime_error("injected failure on the first attempt (--flaky-task " +
                                     std::to_string(i) + ")");
        }
        if (!sleep_unless_stopped(s, c.stop)) {
            throw task_cancelled();
        }
        return s;
    };
    const auto show = [&](std::uint64_t i, double s) {
        sink.result(i, Value{o.cost(i)}, Value{s});
    };
    // With a journal the executor hands results over as they complete, so that each is journaled
    // at once; the window below puts them (and the journaled ones) back in input order.
    const bool reorder = resume && o.executor.ordered;
    const auto release = [&] {
        resume->window.release([&](std::uint64_t i) { show(i, resume->values[i]); });
    };
    const auto on_result = [&](std::uint64_t i, double s) {
        if (!resume) {
            show(i, s);
            return;
        }
        resume->writer.append(i, std::span(reinterpret_cast<const unsigned char*>(&s), sizeof s));
        if (!reorder) {
            show(i, s);
            return;
        }
        resume->values[i] = s;
        resume->window.put(i, true);
        release();
    };
    if (resume) {
        for (const auto& e : resume->writer.contents().entries) {
            std::memcpy(&resume->values[e.index], e.result.data(), sizeof(double));
            resume->window.put(e.index, true);
            if (!reorder) {
                show(e.index, resume->values[e.index]);
            }
        }
        r.journaled = n - resume->missing.size();
        r.untried = resume->missing.size() - resume->todo.size();
        if (o.resume_failed) { // the tasks never run stay out: the window passes over them
            std::vector<bool> rerun(n, false);
            for (const auto i : resume->todo) {
                rerun[i] = true;
            }
            for (const auto i : resume->missing) {
                if (!rerun[i]) {
                    resume->window.put(i, false);
                }
            }
        }
        if (reorder) {
            release();
        }
    }
    ExecutorOptions eo = o.executor;
    eo.ordered = o.executor.ordered && !resume;
    if (resume && eo.deadline > 0 && eo.deadline_task_seconds <= 0 && r.journaled > 0) {
        double sum = 0; // a sleep's result is its seconds: the journal's measured task times
        for (const auto& e : resume->writer.contents().entries) {
            sum += resume->values[e.index];
        }
        eo.deadline_task_seconds = sum / static_cast<double>(r.journaled);
    }
    Tasks tasks(n);
    tasks.with_costs(costs);
    if (resume) {
        tasks.only(resume->todo);
    }
    try {
        r.summary = execute(comm, tasks, sleep_task, on_result, eo);
    } catch (const execution_error& e) {
        r.summary = e.summary(); // the report lists the failures; the caller prints them
    }
    if (resume) {
        try { // recorded for --resume-failed; a plain rerun runs them again anyway
            for (const auto& f : r.summary.failures) {
                resume->writer.append_failure(f.index, f.message);
            }
        } catch (const journal_error& e) {
            r.summary.notes.push_back(std::string("failures not journaled: ") + e.what());
        }
    }
    if (reorder) {
        for (const auto& f : r.summary.failures) {
            resume->window.put(f.index, false); // with --keep-going the window passes over them
        }
        release();
    }
    r.stopped_by = finish_resumable(comm, o.executor.root, resume ? &resume->writer : nullptr,
                                    r.journaled, r.summary, n, o.executor.stop_requested, false);
    boost::mpi::broadcast(comm, r.untried, o.executor.root);
    r.stopped_by =
        deadline_stop(comm, o.executor.root, r.stopped_by, r.summary, r.summary.completed);
    if (root) {
        sink.end();
    }
    if (!r.summary.root_worked && comm.size() > 1 && r.workers == comm.size()) {
        r.workers = comm.size() - 1; // MPI's thread level made the root dispatch only
        if (root) {
            predict();
        }
    }
    return r;
}

nlohmann::ordered_json to_json(const SleepOptions& o) {
    nlohmann::ordered_json j = {
        {"seconds", o.seconds},
        {"repeat", o.repeat},
        {"schedule", to_string(o.executor.schedule)},
        {"chunksize", o.executor.chunksize == chunksize_auto
                          ? nlohmann::ordered_json("auto")
                          : nlohmann::ordered_json(o.executor.chunksize)},
        {"longest_first", o.executor.longest_first},
        {"ordered", o.executor.ordered},
        {"keep_going", o.executor.keep_going},
        {"halt", to_string(o.executor.effective_halt())},
        {"retries", o.executor.retries},
        {"root_works", o.executor.root_works},
        {"idle", o.executor.idle == IdleWait::spin ? "spin" : "backoff"},
        {"quiet", o.quiet},
    };
    j["fail_task"] =
        o.fail_task ? nlohmann::ordered_json(*o.fail_task) : nlohmann::ordered_json(nullptr);
    j["crash_task"] =
        o.crash_task ? nlohmann::ordered_json(*o.crash_task) : nlohmann::ordered_json(nullptr);
    j["flaky_task"] =
        o.flaky_task ? nlohmann::ordered_json(*o.flaky_task) : nlohmann::ordered_json(nullptr);
    j["journal"] =
        o.journal.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.journal);
    j["grace"] = o.grace;
    j["resume_failed"] = o.resume_failed;
    j["deadline"] =
        o.deadline.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.deadline);
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
          {"attempts", s.attempts},
          {"retries", s.retries},
          {"failures", failures},
          {"journaled", r.journaled},
          {"untried", r.untried}}},
        {"detail",
         {{"workers", r.workers},
          {"root_worked", s.root_worked},
          {"notes", s.notes},
          {"makespan", s.makespan},
          {"lower_bound", r.lower_bound},
          {"predicted", r.predicted},
          {"chunks", s.chunks},
          {"halted", s.halted},
          {"tasks_per_rank", s.tasks_per_rank},
          {"stopped_by", r.stopped_by},
          {"deadline", r.options.executor.deadline > 0
                           ? nlohmann::ordered_json(r.options.executor.deadline)
                           : nlohmann::ordered_json(nullptr)},
          {"deadline_stopped", r.stopped_by == stopped_by_deadline},
          {"overhead", overhead_json(s)}}},
    };
}

std::vector<std::string> to_text(const SleepReport& r) {
    const auto& o = r.options;
    const auto& s = r.summary;
    char line[512];
    std::vector<std::string> lines;
    std::snprintf(line, sizeof line,
                  "sleep: %llu tasks on %d rank%s (%d working), %s schedule, chunksize %s%s, %s",
                  static_cast<unsigned long long>(s.tasks), r.ranks, r.ranks == 1 ? "" : "s",
                  r.workers, std::string(to_string(o.executor.schedule)).c_str(),
                  o.executor.chunksize == chunksize_auto
                      ? "auto"
                      : std::to_string(o.executor.chunksize).c_str(),
                  o.executor.longest_first ? ", longest first" : "",
                  o.executor.ordered ? "results in input order" : "results as completed");
    lines.emplace_back(line);
    std::snprintf(line, sizeof line,
                  "makespan: %.3f s; %.3f s predicted for this schedule with free dispatch; lower "
                  "bound %.3f s = max(longest task, total / %d workers)",
                  s.makespan, r.predicted, r.lower_bound, r.workers);
    lines.emplace_back(line);
    for (auto& l : retry_and_halt_lines(s, o.executor.effective_halt())) {
        lines.push_back(std::move(l));
    }
    if (r.stopped_by == stopped_by_deadline) {
        lines.push_back(deadline_stop_line(o.executor.deadline));
    }
    if (s.failed > 0 || s.completed < s.tasks) {
        std::snprintf(line, sizeof line, "completed %llu of %llu tasks, %llu failed",
                      static_cast<unsigned long long>(s.completed),
                      static_cast<unsigned long long>(s.tasks),
                      static_cast<unsigned long long>(s.failed));
        lines.emplace_back(line);
    }
    for (auto& l : resumed_lines(r.journaled, s.tasks, o.journal)) {
        lines.push_back(std::move(l));
    }
    if (auto overhead = overhead_text(s); !overhead.empty()) {
        lines.push_back(std::move(overhead));
    }
    if (o.resume_failed) {
        std::snprintf(line, sizeof line,
                      "--resume-failed: ran the %llu task%s the journal records as failed; %llu "
                      "task%s never run left (rerun without --resume-failed to run them)",
                      static_cast<unsigned long long>(s.tasks - r.journaled - r.untried),
                      s.tasks - r.journaled - r.untried == 1 ? "" : "s",
                      static_cast<unsigned long long>(r.untried), r.untried == 1 ? "" : "s");
        lines.emplace_back(line);
    }
    for (const auto& note : s.notes) {
        lines.push_back("note: " + note);
    }
    return lines;
}

} // namespace rankpool::commands
