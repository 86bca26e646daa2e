// Runs the rankpool binary and captures what it did.
#include "run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace rankpool::test {

namespace {

std::string quote(const std::string& s) {
    std::string q = "'";
    for (const char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

RunResult run_rankpool(int ranks, const std::vector<std::string>& args, int timeout) {
    const std::string launcher = ranks > 0
                                     ? std::string(RANKPOOL_MPIEXEC) + " -n " +
                                           std::to_string(ranks) + " " + RANKPOOL_MPIEXEC_FLAGS
                                     : std::string();
    return run_rankpool_with(launcher, args, timeout);
}

namespace {

/// `timeout ... [launcher] rankpool args... >base.out 2>base.err`, for /bin/sh; `stdout_to`, if
/// given, replaces `>base.out` (a pipeline starting with '|' runs under bash, exiting with the
/// launcher's code).
std::string command_line(const std::string& launcher, const std::vector<std::string>& args,
                         int timeout, const std::string& base, const std::string& stdout_to = "") {
    std::string cmd = "timeout -k 5 " + std::to_string(timeout) + " ";
    if (!launcher.empty()) {
        cmd += launcher + " ";
    }
    cmd += quote(RANKPOOL_EXE);
    for (const auto& a : args) {
        cmd += " " + quote(a);
    }
    if (stdout_to.rfind('|', 0) == 0) {
        return "bash -c " + quote("set -o pipefail; " + cmd + " 2>" + base + ".err </dev/null " +
                                  stdout_to + " >" + base + ".out; exit ${PIPESTATUS[0]}");
    }
    return cmd + " " + (stdout_to.empty() ? ">" + base + ".out" : stdout_to) + " 2>" + base +
           ".err </dev/null";
}

std::string fresh_base() {
    static int counter = 0;
    return "/tmp/rankpool-cli-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

RunResult collect(int status, const std::string& base, double seconds) {
    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(base + ".out");
    r.err = slurp(base + ".err");
    r.seconds = seconds;
    std::remove((base + ".out").c_str());
    std::remove((base + ".err").c_str());
    return r;
}

/// The parent pid in /proc/PID/stat (after the command name, which may hold spaces), or -1.
int parent_of(int pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
        return -1;
    }
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    int ppid = -1;
    rest >> state >> ppid;
    return ppid;
}

} // namespace

RunResult run_rankpool_with(const std::string& launcher, const std::vector<std::string>& args,
                            int timeout, const std::string& stdout_to) {
    const std::string base = fresh_base();
    const std::string cmd = command_line(launcher, args, timeout, base, stdout_to);
    const auto t0 = std::chrono::steady_clock::now();
    const int status = std::system(cmd.c_str());
    const auto t1 = std::chrono::steady_clock::now();
    return collect(status, base, std::chrono::duration<double>(t1 - t0).count());
}

RunResult run_rankpool_during(const std::string& launcher, const std::vector<std::string>& args,
                              const std::function<void(int shell)>& during, int timeout) {
    const std::string base = fresh_base();
    const std::string cmd = command_line(launcher, args, timeout, base);
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t shell = fork();
    if (shell == 0) {
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    REQUIRE(shell > 0);
    during(shell);
    int status = 0;
    waitpid(shell, &status, 0);
    const auto t1 = std::chrono::steady_clock::now();
    return collect(status, base, std::chrono::duration<double>(t1 - t0).count());
}

std::vector<int> descendants_with(int ancestor, const std::string& needle) {
    std::map<int, int> parent;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") == std::string::npos) {
            parent[std::stoi(name)] = parent_of(std::stoi(name));
        }
    }
    std::vector<int> found;
    for (const auto& [pid, ppid] : parent) {
        bool below = false;
        for (int p = ppid, hops = 0; p > 1 && hops < 64 && !below; ++hops) {
            below = p == ancestor;
            const auto it = parent.find(p);
            p = it == parent.end() ? -1 : it->second;
        }
        std::string cmdline = slurp("/proc/" + std::to_string(pid) + "/cmdline");
        std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
        if (below && cmdline.find(needle) != std::string::npos) {
            found.push_back(pid);
        }
    }
    return found;
}

double cpu_seconds(int pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
        return -1;
    }
    // After the name: state, then fields 4..13, then utime (14) and stime (15), in clock ticks.
    std::istringstream rest(stat.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 13; ++i) {
        rest >> field;
    }
    double utime = 0;
    double stime = 0;
    rest >> utime >> stime;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void check_refusals(const Refusals& cases, const std::vector<int>& rank_counts) {
    for (const int ranks : rank_counts) {
        for (const auto& refusal : cases) {
            // Named copies, not a structured binding: CAPTURE's lambda cannot name one in
            // clang 14 (clang-tidy's compiler).
            const auto& args = refusal.first;
            const std::string& message = refusal.second;
            CAPTURE(ranks);
            CAPTURE(message);
            const auto r = run_rankpool(ranks, args);
            CHECK(r.exit_code == 2);
            CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
            CHECK(r.err.find(message) != std::string::npos);
            CHECK(r.out.empty());
        }
    }
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        v.push_back(line);
    }
    return v;
}

int count_lines_with(const std::string& text, const std::string& needle) {
    int n = 0;
    for (const auto& l : lines(text)) {
        n += l.find(needle) != std::string::npos ? 1 : 0;
    }
    return n;
}

} // namespace rankpool::test
