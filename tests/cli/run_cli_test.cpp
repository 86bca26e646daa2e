// End-to-end tests of `rankpool run` with real shell commands under mpiexec: output, failures,
// exits, and the long-jobs options (retries, halt, joblog, journal and resume, progress).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "rankpool/journal.hpp"

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::descendants_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;
using rankpool::test::run_rankpool_during;

namespace {

std::string temp_path(const std::string& what) {
    static int counter = 0;
    return "/tmp/rankpool-run-test-" + std::to_string(::getpid()) + "-" + what + "-" +
           std::to_string(counter++);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// `rankpool run COMMAND ::: args...`
std::vector<std::string> run_args(const std::string& command, const std::vector<std::string>& args,
                                  const std::vector<std::string>& options = {}) {
    std::vector<std::string> a = {"run"};
    a.insert(a.end(), options.begin(), options.end());
    a.push_back(command);
    a.push_back(":::");
    a.insert(a.end(), args.begin(), args.end());
    return a;
}

/// Whether a process with this pid is alive (not gone, not a zombie).
bool alive(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) {
        return false;
    }
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

/// Pids of live processes whose command line contains `needle`.
std::vector<int> processes_with(const std::string& needle) {
    std::vector<int> pids;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::string cmdline = slurp(e.path() / "cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (cmdline.find(needle) != std::string::npos && alive(std::stoi(name))) {
            pids.push_back(std::stoi(name));
        }
    }
    return pids;
}

/// The seconds after "timed out after " in a failure line.
double timed_out_after(const std::string& err) {
    const auto at = err.find("timed out after ");
    REQUIRE(at != std::string::npos);
    return std::stod(err.substr(at + 16));
}

/// The makespan --summary printed, in seconds.
double summary_makespan(const std::string& err) {
    const auto at = err.find("makespan: ");
    REQUIRE(at != std::string::npos);
    return std::stod(err.substr(at + 10));
}

} // namespace

TEST_CASE("sleeps of 0.5 .. 0.1 s on 4 ranks: 'done' lines in input order, in parallel") {
    const auto r = run_rankpool(4, run_args("sh -c \"sleep {}; echo done {}\"",
                                            {"0.5", "0.4", "0.3", "0.2", "0.1"}, {"--summary"}));
    CHECK(r.exit_code == 0);
    CHECK(r.out == "done 0.5\ndone 0.4\ndone 0.3\ndone 0.2\ndone 0.1\n");
    CHECK(r.err.find("run: 5 tasks on 4 ranks (4 working), 5 completed, 0 failed") !=
          std::string::npos);
    CHECK(summary_makespan(r.err) < 1.5); // the sum: the tasks overlapped
}

TEST_CASE("every task runs once, output in input order, at 1, 2 and 4 ranks") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(
            ranks, run_args("echo {#} {}", {"a", "b", "c", "d", "e", "f", "g", "h", "i"}));
        CHECK(r.exit_code == 0);
        CHECK(r.out == "1 a\n2 b\n3 c\n4 d\n5 e\n6 f\n7 g\n8 h\n9 i\n");
        CHECK(r.err.empty());
    }
}

TEST_CASE("--unordered prints as tasks complete; the default waits for input order") {
    // Task 1 cannot end before task 2 has: it waits for task 2's file.
    for (const bool unordered : {true, false}) {
        CAPTURE(unordered);
        const std::string flag = temp_path("flag");
        const std::string cmd = "if [ {} = first ]; then while [ ! -e " + flag +
                                " ]; do sleep 0.01; done; else touch " + flag + "; fi; echo {}";
        const auto r = run_rankpool(2, run_args(cmd, {"first", "second"},
                                                unordered ? std::vector<std::string>{"--unordered"}
                                                          : std::vector<std::string>{}));
        CHECK(r.exit_code == 0);
        CHECK(r.out == (unordered ? "second\nfirst\n" : "first\nsecond\n"));
        std::remove(flag.c_str());
    }
}

TEST_CASE("more than a pipe buffer on stdout and stderr: whole, never interleaved") {
    const auto r = run_rankpool(
        2, run_args("head -c 1048576 /dev/zero | tr '\\0' {}; head -c 1100000 /dev/zero | tr "
                    "'\\0' {} >&2",
                    {"a", "b", "c"}));
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          std::string(1048576, 'a') + std::string(1048576, 'b') + std::string(1048576, 'c'));
    CHECK(r.err ==
          std::string(1100000, 'a') + std::string(1100000, 'b') + std::string(1100000, 'c'));
}

TEST_CASE("exit codes and signals: failed tasks, their output still printed, exit 1") {
    const auto r = run_rankpool(
        2, run_args("echo out {}; echo err {} >&2; case {} in ok) ;; kill) kill -9 $$ ;; *) "
                    "exit {} ;; esac",
                    {"ok", "3", "kill", "ok"}));
    CHECK(r.exit_code == 1);
    CHECK(r.out == "out ok\nout 3\nout kill\nout ok\n");
    CHECK(count_lines_with(r.err, "rankpool: error: task 2 failed on rank ") == 1);
    CHECK(r.err.find("), exit code 3: echo out 3; echo err 3 >&2; case 3 in ok) ;; kill) kill -9 "
                     "$$ ;; *) exit 3 ;; esac\n  | err 3\n") != std::string::npos);
    CHECK(r.err.find("), killed by signal 9 (Killed): echo out kill;") != std::string::npos);
    CHECK(count_lines_with(r.err, "rankpool: error: task 3 failed on rank ") == 1);
    CHECK(count_lines_with(r.err, "rankpool: error: 2 of 4 tasks failed") == 1);
    CHECK(count_lines_with(r.err, "failed on rank") == 2);
}

TEST_CASE("a command that does not exist: exit 127 from sh, a failed task") {
    const auto r = run_rankpool(2, run_args("no-such-command-rankpool", {"x"}));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("rankpool: error: task 1 failed on rank 0 (") != std::string::npos);
    CHECK(r.err.find("), exit code 127: no-such-command-rankpool x\n  | ") != std::string::npos);
    CHECK(r.err.find("not found") != std::string::npos);
}

TEST_CASE("--timeout kills the task's whole process group, background children too") {
    const std::string pid_file = temp_path("pid");
    const auto r =
        run_rankpool(2, run_args("sleep 60 & echo $! > " + pid_file + "; echo started; wait; : {}",
                                 {"x"}, {"--timeout", "0.5"}));
    CHECK(r.exit_code == 1);
    CHECK(r.out == "started\n");
    CHECK(timed_out_after(r.err) >= 0.5);
    CHECK(r.err.find(" s (process group killed): sleep 60 & echo $! > " + pid_file) !=
          std::string::npos);
    const int child = std::stoi(slurp(pid_file));
    CHECK(child > 0);
    CHECK_FALSE(alive(child));
    std::remove(pid_file.c_str());
}

TEST_CASE("--timeout: a task that ignores SIGTERM gets SIGKILL after the grace") {
    const auto r =
        run_rankpool(1, run_args("trap '' TERM; sleep {}", {"60"}, {"--timeout", "0.3"}));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("rankpool: error: task 1 failed on rank 0 (") != std::string::npos);
    CHECK(timed_out_after(r.err) >= 1.3); // SIGTERM was ignored: SIGKILL 1 s later
    CHECK(r.seconds < 30);
}

TEST_CASE("--tasks FILE: blank and comment lines skipped, no final newline needed") {
    const std::string path = temp_path("tasks");
    std::ofstream(path) << "echo one\n\n# a comment\n   # indented\necho \"two  words\"\r\n"
                           "echo $RANKPOOL_TASK";
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(ranks, {"run", "--tasks", path});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "one\ntwo  words\n3\n");
        CHECK(r.err.empty());
    }
    std::remove(path.c_str());
}

TEST_CASE(":::: FILE: one argument a line, spaces, quotes and $ taken literally") {
    const std::string path = temp_path("args");
    std::ofstream(path) << "a  b\nit's \"quoted\"\n$HOME `x`\n\n# skipped";
    const auto r = run_rankpool(3, {"run", "printf '[%s]\\n'", "::::", path});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "[a  b]\n[it's \"quoted\"]\n[$HOME `x`]\n");
    std::remove(path.c_str());
}

TEST_CASE("replacement strings, quoted, and the task's environment") {
    for (const int ranks : {1, 2}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(
            ranks, run_args("printf '%s|' {} {.} {/} {//} {/.} {#}; echo "
                            "\"$RANKPOOL_TASK $((RANKPOOL_RANK + 1)) {%} $RANKPOOL_HOST\"",
                            {"my dir/it's a.tar.gz", "-n"}));
        CHECK(r.exit_code == 0);
        const auto l = lines(r.out);
        REQUIRE(l.size() == 2);
        CHECK(l[0].rfind("my dir/it's a.tar.gz|my dir/it's a.tar|it's a.tar.gz|my dir|it's "
                         "a.tar|1|1 ",
                         0) == 0);
        CHECK(l[1].rfind("-n|-n|-n|.|-n|2|2 ", 0) == 0);
        for (const auto& line : l) {
            std::istringstream words(line.substr(line.rfind('|') + 1));
            std::string task, slot_from_rank, slot, host;
            words >> task >> slot_from_rank >> slot >> host;
            CHECK(slot == slot_from_rank);
            CHECK(std::stoi(slot) >= 1);
            CHECK(std::stoi(slot) <= ranks);
            CHECK_FALSE(host.empty());
        }
    }
}

TEST_CASE("fewer tasks than ranks, and none at all") {
    const auto one = run_rankpool(4, run_args("echo {}", {"only"}));
    CHECK(one.exit_code == 0);
    CHECK(one.out == "only\n");
    const auto none = run_rankpool(2, run_args("echo {}", {}));
    CHECK(none.exit_code == 0);
    CHECK(none.out.empty());
    CHECK(none.err.empty());
    const std::string path = temp_path("empty");
    std::ofstream(path) << "# nothing\n\n";
    const auto empty_file = run_rankpool(2, {"run", "--tasks", path, "--summary"});
    CHECK(empty_file.exit_code == 0);
    CHECK(empty_file.out.empty());
    CHECK(empty_file.err.find("run: 0 tasks on 2 ranks") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("--results DIR: each task's stdout, stderr, status and command in files") {
    const std::string dir = temp_path("results");
    const auto r = run_rankpool(
        2, run_args("echo out {}; echo err {} >&2; exit {}", {"0", "2"}, {"--results", dir}));
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(slurp(dir + "/1/stdout") == "out 0\n");
    CHECK(slurp(dir + "/1/stderr") == "err 0\n");
    CHECK(slurp(dir + "/1/status") == "exit code 0\n");
    CHECK(slurp(dir + "/1/command") == "echo out 0; echo err 0 >&2; exit 0\n");
    CHECK(slurp(dir + "/2/stdout") == "out 2\n");
    CHECK(slurp(dir + "/2/status") == "exit code 2\n");
    CHECK(r.err.find("rankpool: error: task 2 failed on rank ") != std::string::npos);
    CHECK(r.err.find("), exit code 2: echo out 2; echo err 2 >&2; exit 2\n  | err 2\n") !=
          std::string::npos);
    CHECK(count_lines_with(r.err, "err 0") == 0);
    std::filesystem::remove_all(dir);

    const auto blocked = run_rankpool(1, run_args("true", {"x"}, {"--results", "/proc/x"}));
    CHECK(blocked.exit_code == 1);
    CHECK(blocked.err.find("), not run: --results cannot make '/proc/x/1': ") != std::string::npos);
}

TEST_CASE("a task that kills its rank ends the job, and no task outlives it") {
    const std::string marker = "31.4159" + std::to_string(::getpid() % 1000);
    const std::string flag = temp_path("started");
    // Task 1 waits until task 2 runs, then kills its own rankpool process.
    const auto r =
        run_rankpool(2,
                     run_args("if [ {} = killer ]; then while [ ! -e " + flag +
                                  " ]; do sleep 0.01; done; kill -9 $RANKPOOL_PID; else touch " +
                                  flag + "; sleep " + marker + "; fi",
                              {"killer", "victim"}),
                     120);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != 124); // ended by itself, not by the test's timeout
    CHECK(r.seconds < 30);
    for (int k = 0; k < 50 && !processes_with("sleep " + marker).empty(); ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(processes_with("sleep " + marker).empty());
    std::remove(flag.c_str());
}

TEST_CASE("--json: the envelope, each task's output in results.values, failures listed") {
    const auto r = run_rankpool(
        2, run_args("printf 'out {}\\377'; echo err {} >&2; exit {}", {"0", "3"}, {"--json"}));
    CHECK(r.exit_code == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["command"] == "run");
    CHECK(j["ok"] == false);
    CHECK(j["ranks"] == 2);
    CHECK(j["hosts"].size() == 2);
    CHECK(j["results"]["count"] == 2);
    CHECK(j["results"]["completed"] == 1); // succeeded; the failed one is counted in failed
    CHECK(j["results"]["failed"] == 1);
    CHECK(j["results"]["attempts"] == 2);
    CHECK(j["results"]["failures"][0]["task"] == 2);
    CHECK(j["results"]["failures"][0]["code"] == 3);
    CHECK(j["results"]["failures"][0]["stderr_tail"] == "err 3");
    REQUIRE(j["results"]["values"].size() == 2);
    CHECK(j["results"]["values"][0]["task"] == 1);
    CHECK(j["results"]["values"][0]["ending"] == "exit");
    CHECK(j["results"]["values"][0]["stdout"] == "out 0\xEF\xBF\xBD"); // \377: U+FFFD
    CHECK(j["results"]["values"][1]["stderr"] == "err 3\n");
    CHECK(j["results"]["values"][1]["code"] == 3);
    CHECK(j["detail"]["workers"] == 2);
    CHECK(j["detail"]["lower_bound"].get<double>() <= j["detail"]["makespan"].get<double>());
    CHECK(count_lines_with(r.err, "rankpool: error: task 2 failed on rank ") == 1);
    const auto& o = j["detail"]["overhead"]; // the executor's breakdown, as in sleep's
    REQUIRE(o["ranks"].size() == 2);
    CHECK(o["ranks"][0]["tasks"].get<int>() + o["ranks"][1]["tasks"].get<int>() == 2);
    CHECK(o["bytes"].get<int>() > 0);
}

TEST_CASE("refusals: one line, exit 2, on every rank, before any work") {
    const std::string tasks = temp_path("tasks");
    check_refusals({
        {{"run"}, "run needs a COMMAND"},
        {{"run", "echo"}, "run needs its arguments: COMMAND ::: ARG... or COMMAND :::: FILE"},
        {{"run", "echo", ":::", "a", ":::", "b"}, "give one input source"},
        {{"run", "echo", "::::", "a", "b"}, ":::: takes one FILE, got 2"},
        {{"run", "--tasks", tasks, "echo"}, "--tasks FILE and COMMAND contradict each other"},
        {{"run", "--timeout", "0", "echo", ":::", "a"}, "--timeout must be > 0 seconds, got '0'"},
        {{"run", "--timeout", "-1", "echo", ":::", "a"}, "--timeout"},
        {{"run", "echo", "::::", "/nonexistent/args"},
         ":::: cannot read '/nonexistent/args': No such file or directory"},
        {{"run", "--tasks", "/nonexistent/tasks"},
         "--tasks cannot read '/nonexistent/tasks': No such file or directory"},
        {{"run", "--tasks", "/"}, "--tasks cannot read '/'"},
    });
}

// The long-jobs options on run: --retries, --halt, --joblog, --journal (stopped by SIGTERM,
// resumed), --progress, and their refusals.

namespace {

std::string launcher(int ranks) {
    return std::string(RANKPOOL_MPIEXEC) + " -n " + std::to_string(ranks) + " " +
           RANKPOOL_MPIEXEC_FLAGS;
}

/// Results the journal holds now (a torn tail is no result).
std::size_t journaled(const std::string& path) {
    const std::string text = slurp(path);
    try {
        return rankpool::read_journal(
                   std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()))
            .entries.size();
    } catch (const rankpool::journal_error&) {
        return 0;
    }
}

/// A command that fails (exit 3, a line on stderr) the first time it runs for an argument and
/// succeeds after: a marker file in `dir` remembers the first run.
std::string flaky_command(const std::string& dir) {
    return "if test -e " + dir + "/{}; then echo ok {}; else touch " + dir +
           "/{}; echo first {} >&2; exit 3; fi";
}

} // namespace

TEST_CASE("run --retries 1: a command that fails once recovers; the joblog shows both attempts, "
          "at 1, 2 and 4 ranks") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const std::string dir = temp_path("markers");
        std::filesystem::create_directories(dir);
        const std::string joblog = temp_path("joblog");
        const auto r = run_rankpool(ranks, run_args(flaky_command(dir), {"a", "b"},
                                                    {"--retries", "1", "--joblog", joblog}));
        CAPTURE(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "ok a\nok b\n");
        CHECK(r.err.find("first") == std::string::npos); // only the last attempt's output
        const auto log = lines(slurp(joblog));
        REQUIRE(log.size() == 5); // the header, two attempts per task
        CHECK(log[0].rfind("index\tinput\trank\thost\tpid\tstart\tseconds\tattempt\tstatus\terror",
                           0) == 0);
        for (const std::string input : {"a", "b"}) {
            CAPTURE(input);
            const std::string index = input == "a" ? "0" : "1";
            int failed = 0;
            int ok = 0;
            for (std::size_t k = 1; k < log.size(); ++k) {
                std::vector<std::string> cols;
                std::stringstream ss(log[k]);
                for (std::string c; std::getline(ss, c, '\t');) {
                    cols.push_back(c);
                }
                cols.resize(10);
                if (cols[0] != index) {
                    continue;
                }
                CHECK(cols[1] == input);
                if (cols[7] == "1") {
                    CHECK(cols[8] == "failed");
                    CHECK(cols[9] == "exit code 3");
                    ++failed;
                } else {
                    CHECK(cols[7] == "2");
                    CHECK(cols[8] == "ok");
                    ++ok;
                }
            }
            CHECK(failed == 1);
            CHECK(ok == 1);
        }
        std::filesystem::remove_all(dir);
        std::remove(joblog.c_str());
    }
}

TEST_CASE("run without --retries: the same command fails, its output printed, exit 1") {
    const std::string dir = temp_path("markers");
    std::filesystem::create_directories(dir);
    const auto r = run_rankpool(2, run_args(flaky_command(dir), {"a", "b"}, {"--json"}));
    CHECK(r.exit_code == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["results"]["failed"] == 2);
    CHECK(j["results"]["attempts"] == 2);
    CHECK(j["results"]["failures"].size() == 2);
    CHECK(j["results"]["failures"][0]["message"] == "exit code 3");
    CHECK(j["results"]["values"][1]["stderr"] == "first b\n");
    std::filesystem::remove_all(dir);
}

TEST_CASE("run --halt now,fail=1 stops at the first failed command; the default runs them all") {
    // Task 1 fails after 0.3 s; every other task sleeps 0.3 s and succeeds.
    const std::vector<std::string> args = {"0", "1", "0", "0", "0", "0", "0", "0", "0", "0"};
    for (const int ranks : {1, 2}) {
        CAPTURE(ranks);
        const auto halted = run_rankpool(
            ranks, run_args("sleep 0.3; exit {}", args, {"--halt", "now,fail=1", "--json"}));
        CAPTURE(halted.err);
        CHECK(halted.exit_code == 1);
        const auto j = nlohmann::json::parse(halted.out);
        CHECK(j["results"]["failed"] == 1);
        CHECK(j["results"]["completed"].get<int>() < 9);
        CHECK(j["detail"]["halted"] == true);
        CHECK(j["options"]["halt"] == "now,fail=1");
        CHECK(halted.err.find("1 of 10 tasks failed (stopped by --halt now,fail=1)") !=
              std::string::npos);
        const auto all = run_rankpool(ranks, run_args("sleep 0.01; exit {}", args, {"--json"}));
        CHECK(all.exit_code == 1);
        const auto k = nlohmann::json::parse(all.out);
        CHECK(k["results"]["failed"] == 1);
        CHECK(k["results"]["completed"] == 9);
        CHECK(k["detail"]["halted"] == false);
    }
}

namespace {

/// 12 tasks of 0.3 s, each printing a line on stdout and one on stderr.
std::vector<std::string> resumable_args(const std::string& journal) {
    std::vector<std::string> numbers;
    for (int k = 1; k <= 12; ++k) {
        numbers.push_back(std::to_string(k));
    }
    std::vector<std::string> options;
    if (!journal.empty()) {
        options = {"--journal", journal};
    }
    return run_args("sleep 0.3; echo out {} $RANKPOOL_TASK; echo err {} >&2", numbers, options);
}

} // namespace

TEST_CASE("run --journal: stopped by SIGTERM, resumed, the same stdout as an uninterrupted run, "
          "at 1, 2 and 4 ranks") {
    const auto reference = run_rankpool(2, resumable_args(""));
    REQUIRE(reference.exit_code == 0);
    REQUIRE(lines(reference.out).size() == 12);
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const std::string journal = temp_path("journal");
        std::remove(journal.c_str());
        const auto first = run_rankpool_during(
            launcher(ranks), resumable_args(journal),
            [&](int shell) {
                for (int k = 0; k < 3000 && journaled(journal) < 3; ++k) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                }
                for (const int pid : descendants_with(shell, " run --journal ")) {
                    std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
                    std::string first_word;
                    std::getline(cmdline, first_word, '\0');
                    if (first_word == RANKPOOL_EXE) {
                        ::kill(pid, SIGTERM); // every rank, as srun and scancel send it
                    }
                }
            },
            60);
        CAPTURE(first.err);
        CHECK(first.exit_code == 143);
        CHECK(first.err.find("rankpool: stopped by SIGTERM: ") != std::string::npos);
        CHECK(first.err.find(" of 12 tasks done (journal " + journal +
                             "; rerun the same command to resume)") != std::string::npos);
        const std::size_t kept = journaled(journal);
        CHECK(kept >= 3);
        CHECK(kept < 12);
        const auto resumed = run_rankpool(ranks, resumable_args(journal));
        CAPTURE(resumed.err);
        CHECK(resumed.exit_code == 0);
        CHECK(resumed.out == reference.out); // byte for byte
        CHECK(count_lines_with(resumed.err, "err ") == 12);
        CHECK(journaled(journal) == 12);
        // A third run finds every task journaled and runs none: still the same output.
        const auto again = run_rankpool(ranks, resumable_args(journal));
        CHECK(again.exit_code == 0);
        CHECK(again.out == reference.out);
        std::remove(journal.c_str());
    }
}

TEST_CASE("run --journal --unordered, and a failed task is not journaled: the rerun runs it") {
    const std::string journal = temp_path("journal");
    const std::string dir = temp_path("markers");
    std::filesystem::create_directories(dir);
    const auto args =
        run_args(flaky_command(dir), {"a", "b", "c"}, {"--journal", journal, "--unordered"});
    const auto first = run_rankpool(2, args);
    CHECK(first.exit_code == 1);
    CHECK(journaled(journal) == 0);      // every task failed its first run
    std::filesystem::remove(dir + "/b"); // b fails again
    const auto second = run_rankpool(2, args);
    CHECK(second.exit_code == 1);
    CHECK(journaled(journal) == 2);
    auto out = lines(second.out);
    std::sort(out.begin(), out.end());
    CHECK(out == std::vector<std::string>{"ok a", "ok c"});
    const auto third = run_rankpool(2, args);
    CHECK(third.exit_code == 0);
    out = lines(third.out);
    std::sort(out.begin(), out.end());
    CHECK(out == std::vector<std::string>{"ok a", "ok b", "ok c"});
    std::filesystem::remove_all(dir);
    std::remove(journal.c_str());
}

TEST_CASE("run --journal of another task list or command is refused: one line, exit 2, "
          "untouched") {
    const std::string journal = temp_path("other");
    std::remove(journal.c_str());
    REQUIRE(run_rankpool(1, run_args("echo {}", {"a", "b"}, {"--journal", journal})).exit_code ==
            0);
    const std::string before = slurp(journal);
    const std::string other = "journal '" + journal + "' was written for other inputs";
    check_refusals(
        {{run_args("echo {}", {"a", "c"}, {"--journal", journal}), other},
         {run_args("echo {}", {"a", "b", "c"}, {"--journal", journal}), other},
         {run_args("echo x{}", {"a", "b"}, {"--journal", journal}), other},
         {run_args("echo {}", {"a", "b"}, {"--journal", journal, "--results", "/tmp/rankpool-x"}),
          other}},
        {1, 3});
    CHECK(slurp(journal) == before);
    std::remove(journal.c_str());
}

TEST_CASE("run: bad values of the long-jobs options, one line, exit 2") {
    check_refusals(
        {{run_args("echo", {"a"}, {"--retries", "256"}),
          "--retries = 256 is too large (at most 255)"},
         {run_args("echo", {"a"}, {"--retries", "x"}), "--retries"},
         {run_args("echo", {"a"}, {"--retries", "1.5"}), "--retries"},
         {run_args("echo", {"a"}, {"--halt", "always"}), "--halt must be 'never', 'now,fail=N'"},
         {run_args("echo", {"a"}, {"--halt", "now,fail=0"}),
          "--halt fail=N needs N >= 1, got 'now,fail=0'"},
         {run_args("echo", {"a"}, {"--halt", "soon,fail=101%"}),
          "--halt fail=P% needs 1 <= P <= 100, got 'soon,fail=101%'"},
         {run_args("echo", {"a"}, {"--progress", "--no-progress"}),
          "--progress and --no-progress contradict each other"},
         {run_args("echo", {"a"}, {"--joblog", "/nonexistent-dir/joblog"}),
          "--joblog cannot write '/nonexistent-dir/joblog': No such file or directory"},
         {run_args("echo", {"a"}, {"--journal", "/"}),
          "journal '/' cannot be opened: Is a directory"},
         {run_args("echo", {"a"}, {"--journal", "/nonexistent/j"}),
          "journal '/nonexistent/j' cannot be opened: No such file or directory"}},
        {0, 1, 3});
}

TEST_CASE("run --progress writes progress lines into a non-terminal stderr; --no-progress none") {
    const auto on = run_rankpool(2, run_args("true", {"a", "b", "c"}, {"--progress"}));
    CHECK(on.exit_code == 0);
    CHECK(count_lines_with(on.err, "progress: 3/3 tasks (100.0%)") == 1);
    const auto off = run_rankpool(2, run_args("true", {"a", "b", "c"}, {"--no-progress"}));
    CHECK(off.exit_code == 0);
    CHECK(count_lines_with(off.err, "progress:") == 0);
}
