// End-to-end tests of `rankpool run` with real shell commands under mpiexec: output, failures,
// exits.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

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
    a.emplace_back(":::");
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
        std::string cmd = "if [ {} = first ]; then while [ ! -e " + flag;
        cmd += " ]; do sleep 0.01; done; else touch " + flag;
        cmd += "; fi; echo {}";
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
            std::string task;
            std::string slot_from_rank;
            std::string slot;
            std::string host;
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
    CHECK(j["results"]["completed"] == 2);
    CHECK(j["results"]["failed"] == 1);
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
