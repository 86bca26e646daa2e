// `rankpool run 'cmd {}' ::: a b c`: a task farm of shell commands over MPI ranks.
#include "run.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <sstream>
#include <unistd.h>
#include <unordered_map>

#include <boost/mpi/collectives/broadcast.hpp>

#include "rankpool/errors.hpp"
#include "rankpool/journal.hpp"
#include "rankpool/ordering.hpp"
#include "rankpool/parse.hpp"
#include "rankpool/schedule.hpp"

#include "journal_open.hpp"
#include "report_json.hpp"
#include "shell_task.hpp"

namespace rankpool::commands {

namespace {

std::string host_name() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

std::string read_text(const std::string& path, const std::string& what) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        throw usage_error(what + " cannot read '" + path + "': Is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw usage_error(what + " cannot read '" + path + "': " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw usage_error(what + " cannot read '" + path + "': read error");
    }
    return text.str();
}

/// The last few lines of a file, read from its last 64 KiB.
std::string file_tail(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        return {};
    }
    const std::streamoff size = in.tellg();
    const std::streamoff from = std::max<std::streamoff>(0, size - 65536);
    in.seekg(from);
    std::string text(static_cast<std::size_t>(size - from), '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    return last_lines(text, stderr_tail_lines);
}

TaskResult from_outcome(ShellOutcome&& s) {
    TaskResult r;
    r.code = s.code;
    r.seconds = s.seconds;
    r.out = std::move(s.out);
    r.err = std::move(s.err);
    switch (s.end) {
    case ShellOutcome::End::exited:
        r.ending = Ending::exited;
        break;
    case ShellOutcome::End::signaled:
        r.ending = Ending::signaled;
        break;
    case ShellOutcome::End::timed_out:
        r.ending = Ending::timed_out;
        r.code = 0;
        break;
    case ShellOutcome::End::stopped:
        throw task_cancelled();
    case ShellOutcome::End::not_started:
        r.ending = Ending::not_run;
        break;
    }
    return r;
}

/// Runs one task: its command, in its --results directory if asked.
class TaskRunner {
public:
    TaskRunner(const RunOptions& o, int rank) : o_(o), rank_(rank), host_(host_name()) {}

    std::string operator()(const TaskContext& c) const {
        const std::uint64_t number = c.index + 1;
        ShellCommand sc;
        sc.command =
            o_.input.source == RunSource::task_file
                ? std::string(c.payload_text())
                : expand_command(o_.input.command,
                                 {c.payload_text(), number, static_cast<std::uint64_t>(rank_) + 1});
        sc.timeout = o_.timeout;
        sc.grace = o_.grace;
        sc.extra_env = {"RANKPOOL_TASK=" + std::to_string(number),
                        "RANKPOOL_RANK=" + std::to_string(rank_), "RANKPOOL_HOST=" + host_,
                        "RANKPOOL_PID=" + std::to_string(::getpid())};
        const std::string dir =
            o_.results_dir.empty() ? "" : o_.results_dir + "/" + std::to_string(number);
        TaskResult r;
        if (!dir.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(dir, ec);
            if (ec) {
                r.ending = Ending::not_run;
                r.err = "--results cannot make '" + dir + "': " + ec.message();
            }
            sc.stdout_path = dir + "/stdout";
            sc.stderr_path = dir + "/stderr";
        }
        if (r.ending != Ending::not_run) {
            r = from_outcome(run_shell(sc, c.stop));
        }
        const auto* stop = o_.executor.stop_requested;
        if (r.ending == Ending::signaled && stop != nullptr && stop->load() != 0) {
            throw task_cancelled(); // killed by this rank's stop (kill_running_commands)
        }
        r.rank = rank_;
        r.host = host_;
        if (!dir.empty() && r.ending != Ending::not_run) {
            r.err = file_tail(sc.stderr_path);
            std::ofstream(dir + "/status") << describe_ending(r) << '\n';
            std::ofstream(dir + "/command") << sc.command << '\n';
        }
        if (!r.ok()) { // a failed attempt (retried, halted on) that still shows its output
            r.command = sc.command;
            throw failed_result(describe_ending(r), encode(r));
        }
        return encode(r);
    }

private:
    const RunOptions& o_;
    int rank_;
    std::string host_;
};

/// The root's side of a journaled run: the journal, the tasks left, the results waiting for
/// their turn, and the ordering window that hands them out in input order, journaled and new
/// alike.
struct Resume {
    Resume(const RunOptions& o, const RunItems& items)
        : writer(o.journal, journal_header(o, items.items)),
          todo(journal_todo(writer.contents(), items.n)), window(items.n, true) {}

    JournalWriter writer;
    std::vector<std::uint64_t> todo;
    std::unordered_map<std::uint64_t, std::string> held; // results not yet released
    OrderedWindow window;
};

/// Opens the journal on the root; every rank learns whether that worked and throws alike.
std::unique_ptr<Resume> open_journal(const boost::mpi::communicator& comm, const RunOptions& o,
                                     const RunItems& items) {
    return open_journal_on_root<Resume>(comm, o.executor.root, !o.journal.empty(), [&] {
        auto resume = std::make_unique<Resume>(o, items);
        for (const auto& e : resume->writer.contents().entries) {
            try {
                (void)decode(std::string_view(reinterpret_cast<const char*>(e.result.data()),
                                              e.result.size()));
            } catch (const std::exception&) {
                throw journal_error("journal '" + o.journal + "' holds a result for task " +
                                    std::to_string(e.index + 1) +
                                    " that is no rankpool run result");
            }
        }
        return resume;
    });
}

} // namespace

RunItems share_items(const boost::mpi::communicator& comm, const RunOptions& o) {
    RunItems r;
    std::string refusal;
    if (comm.rank() == o.executor.root) {
        try {
            r.items = load_items(o.input);
        } catch (const usage_error& e) {
            refusal = e.what();
        }
    }
    boost::mpi::broadcast(comm, refusal, o.executor.root);
    if (!refusal.empty()) {
        throw usage_error(refusal);
    }
    r.n = r.items.size();
    boost::mpi::broadcast(comm, r.n, o.executor.root);
    return r;
}

std::string journal_header(const RunOptions& o, const std::vector<std::string>& items) {
    std::uint64_t h = fnv1a64({});
    const auto add = [&h](std::string_view text) { // length first: no two lists hash alike
        const std::uint64_t size = text.size();
        h = fnv1a64(std::span(reinterpret_cast<const unsigned char*>(&size), sizeof size), h);
        h = fnv1a64(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()), h);
    };
    add(std::to_string(static_cast<int>(o.input.source)));
    add(o.input.source == RunSource::task_file ? "" : o.input.command);
    add(o.results_dir);
    for (const auto& item : items) {
        add(item);
    }
    char text[160];
    std::snprintf(text, sizeof text, "rankpool run: %llu tasks, inputs fnv1a64 %016llx",
                  static_cast<unsigned long long>(items.size()),
                  static_cast<unsigned long long>(h));
    return text;
}

std::vector<std::string> load_items(const RunInput& in) {
    std::vector<std::string> items;
    if (in.source == RunSource::arguments) {
        items = in.arguments;
    } else {
        const std::string what = in.source == RunSource::arg_file ? "::::" : "--tasks";
        for (auto& line : parse_arg_lines(read_text(in.file, what))) {
            items.push_back(std::move(line.text));
        }
    }
    if (items.size() > max_run_tasks) {
        throw usage_error("run: " + std::to_string(items.size()) + " tasks is more than " +
                          std::to_string(max_run_tasks));
    }
    return items;
}

RunReport run_commands(const boost::mpi::communicator& comm, const RunOptions& o,
                       const RunOutput& output) {
    return run_commands(comm, o, share_items(comm, o), output);
}

RunReport run_commands(const boost::mpi::communicator& comm, const RunOptions& o,
                       const RunItems& items, const RunOutput& output) {
    const std::uint64_t n = items.n;
    const bool root = comm.rank() == o.executor.root;
    auto resume = open_journal(comm, o, items);
    RunReport r;
    r.options = o;
    r.ranks = comm.size();
    r.workers = o.executor.root_works || comm.size() == 1 ? comm.size() : comm.size() - 1;
    std::vector<double> durations(root ? n : 0);
    const TaskRunner task(o, comm.rank());
    const auto show = [&](std::uint64_t i, TaskResult t) {
        output(i + 1, t);
        if (!t.ok()) {
            t.out.clear();
            r.failures.push_back({i + 1, std::move(t)});
        }
    };
    // With a journal the executor hands results over as they complete, so that each is journaled
    // at once; the window puts them (and the journaled ones) back in input order.
    const bool reorder = resume && o.executor.ordered;
    const auto release = [&] {
        resume->window.release([&](std::uint64_t i) {
            const auto it = resume->held.find(i);
            show(i, decode(it->second));
            resume->held.erase(it);
        });
    };
    const auto on_result = [&](std::uint64_t i, std::string_view bytes) {
        TaskResult t = decode(bytes);
        durations[i] = t.seconds;
        // Failed tasks are not journaled, nor results too large for a record (over 64 MiB):
        // a rerun runs them again.
        if (resume && t.ok() && bytes.size() <= journal_max_result) {
            resume->writer.append(
                i, std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
        }
        if (!reorder) {
            show(i, std::move(t));
            return;
        }
        resume->held.emplace(i, bytes);
        resume->window.put(i, true);
        release();
    };
    if (resume) {
        for (const auto& e : resume->writer.contents().entries) {
            const std::string bytes(e.result.begin(), e.result.end());
            if (reorder) {
                resume->held.emplace(e.index, bytes);
                resume->window.put(e.index, true);
            } else {
                show(e.index, decode(bytes));
            }
        }
        r.journaled = n - resume->todo.size();
        if (reorder) {
            release();
        }
    }
    const KillTasksOnTermination no_orphans;
    Tasks tasks(n);
    if (root) {
        tasks.with_payloads(items.items);
    }
    if (resume) {
        tasks.only(resume->todo);
    }
    ExecutorOptions eo = o.executor;
    eo.ordered = o.executor.ordered && !resume;
    if (resume && eo.deadline > 0 && eo.deadline_task_seconds <= 0 && r.journaled > 0) {
        double sum = 0; // until tasks finish here: the journaled tasks' measured times
        for (const auto& e : resume->writer.contents().entries) { // (their headers only)
            sum += decode_head(std::string_view(reinterpret_cast<const char*>(e.result.data()),
                                                e.result.size()))
                       .seconds;
        }
        eo.deadline_task_seconds = sum / static_cast<double>(r.journaled);
    }
    try {
        r.summary = execute(comm, tasks, task, on_result, eo);
    } catch (const execution_error& e) {
        r.summary = e.summary();
    }
    if (root) {
        std::sort(r.failures.begin(), r.failures.end(),
                  [](const RunFailure& a, const RunFailure& b) { return a.number < b.number; });
        for (const auto& f : r.summary.failures) { // those without output to show
            const bool shown =
                std::any_of(r.failures.begin(), r.failures.end(),
                            [&f](const RunFailure& x) { return x.number == f.index + 1; });
            if (!shown) {
                r.errors.push_back(f);
                if (reorder) {
                    resume->window.put(f.index, false); // the window passes over it
                }
            }
        }
        if (reorder) {
            release();
        }
    }
    // Failed commands count as done: a stop is a run with tasks neither done nor failed.
    r.stopped_by = finish_resumable(comm, o.executor.root, resume ? &resume->writer : nullptr,
                                    r.journaled, r.summary, n, o.executor.stop_requested, true);
    r.failed = r.summary.failed; // the same on every rank: the executor shares its counts
    r.stopped_by = deadline_stop(comm, o.executor.root, r.stopped_by, r.summary,
                                 r.summary.completed + r.failed);
    if (!r.summary.root_worked && comm.size() > 1) {
        r.workers = comm.size() - 1;
    }
    if (root) {
        std::vector<double> ran; // this run's tasks, in input order
        if (resume) {
            for (const auto i : resume->todo) {
                ran.push_back(durations[i]);
            }
        }
        const auto& d = resume ? ran : durations;
        for (const double x : d) {
            r.task_seconds += x;
            r.longest = std::max(r.longest, x);
        }
        r.lower_bound = makespan_lower_bound(d, r.workers);
        r.predicted =
            simulate_makespan(d, r.workers, o.executor.schedule, o.executor.chunksize, false);
    }
    return r;
}

nlohmann::ordered_json to_json(const RunOptions& o) {
    const char* sources[] = {"arguments", "arg_file", "task_file"};
    return {
        {"command", o.input.command},
        {"source", sources[static_cast<int>(o.input.source)]},
        {"arguments", o.input.arguments},
        {"file", o.input.file},
        {"timeout", o.timeout},
        {"results", o.results_dir},
        {"ordered", o.executor.ordered},
        {"summary", o.summary},
        {"retries", o.executor.retries},
        {"halt", to_string(o.executor.effective_halt())},
        {"journal",
         o.journal.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.journal)},
        {"deadline",
         o.deadline.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.deadline)},
    };
}

namespace {
const char* ending_name(Ending e) {
    switch (e) {
    case Ending::exited:
        return "exit";
    case Ending::signaled:
        return "signal";
    case Ending::timed_out:
        return "timeout";
    case Ending::not_run:
        return "not run";
    }
    return "?";
}
} // namespace

nlohmann::ordered_json to_json(std::uint64_t number, const TaskResult& t) {
    return {{"task", number},  {"rank", t.rank},
            {"host", t.host},  {"ending", ending_name(t.ending)},
            {"code", t.code},  {"seconds", t.seconds},
            {"stdout", t.out}, {"stderr", t.err}};
}

nlohmann::ordered_json to_json(const RunReport& r) {
    const auto& s = r.summary;
    auto failures = nlohmann::ordered_json::array();
    for (const auto& f : r.failures) {
        failures.push_back({{"task", f.number},
                            {"command", f.result.command},
                            {"rank", f.result.rank},
                            {"host", f.result.host},
                            {"ending", ending_name(f.result.ending)},
                            {"code", f.result.code},
                            {"message", describe_ending(f.result)},
                            {"stderr_tail", last_lines(f.result.err, stderr_tail_lines)}});
    }
    for (const auto& f : r.errors) {
        failures.push_back({{"task", f.index + 1},
                            {"rank", f.rank},
                            {"host", f.host},
                            {"ending", "error"},
                            {"message", f.message}});
    }
    return {
        {"command", "run"},
        {"ok", r.ok()},
        {"options", to_json(r.options)},
        {"seconds", {{"total", s.makespan}}},
        {"results",
         {{"count", s.tasks},
          {"completed", s.completed},
          {"failed", r.failed},
          {"attempts", s.attempts},
          {"retries", s.retries},
          {"journaled", r.journaled},
          {"failures", failures}}},
        {"detail",
         {{"workers", r.workers},
          {"root_worked", s.root_worked},
          {"notes", s.notes},
          {"makespan", s.makespan},
          {"lower_bound", r.lower_bound},
          {"predicted", r.predicted},
          {"task_seconds", r.task_seconds},
          {"longest", r.longest},
          {"chunks", s.chunks},
          {"halted", s.halted},
          {"stopped_by", r.stopped_by},
          {"deadline", r.options.executor.deadline > 0
                           ? nlohmann::ordered_json(r.options.executor.deadline)
                           : nlohmann::ordered_json(nullptr)},
          {"deadline_stopped", r.stopped_by == stopped_by_deadline},
          {"tasks_per_rank", s.tasks_per_rank},
          {"overhead", overhead_json(s)}}},
    };
}

std::vector<std::string> to_text(const RunReport& r) {
    const auto& s = r.summary;
    char line[512];
    std::vector<std::string> lines;
    std::snprintf(
        line, sizeof line, "run: %llu tasks on %d rank%s (%d working), %llu completed, %llu failed",
        static_cast<unsigned long long>(s.tasks), r.ranks, r.ranks == 1 ? "" : "s", r.workers,
        static_cast<unsigned long long>(s.completed), static_cast<unsigned long long>(r.failed));
    lines.emplace_back(line);
    std::snprintf(line, sizeof line,
                  "makespan: %.3f s; %.3f s predicted for these task durations with free "
                  "dispatch; lower bound %.3f s = max(longest task %.3f s, total %.3f s / %d "
                  "workers)",
                  s.makespan, r.predicted, r.lower_bound, r.longest, r.task_seconds, r.workers);
    lines.emplace_back(line);
    std::string per_rank = "tasks per rank:";
    for (const auto t : s.tasks_per_rank) {
        per_rank += " " + std::to_string(t);
    }
    lines.push_back(per_rank);
    for (auto& l : retry_and_halt_lines(s, r.options.executor.effective_halt())) {
        lines.push_back(std::move(l));
    }
    if (r.stopped_by == stopped_by_deadline) {
        lines.push_back(deadline_stop_line(r.options.executor.deadline));
    }
    for (auto& l : resumed_lines(r.journaled, s.tasks, r.options.journal)) {
        lines.push_back(std::move(l));
    }
    if (auto overhead = overhead_text(s); !overhead.empty()) {
        lines.push_back(std::move(overhead));
    }
    for (const auto& note : s.notes) {
        lines.push_back("note: " + note);
    }
    return lines;
}

} // namespace rankpool::commands
