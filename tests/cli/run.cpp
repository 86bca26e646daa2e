// Runs the rankpool binary and captures what it did.
#include "run.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
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

RunResult run_rankpool_with(const std::string& launcher, const std::vector<std::string>& args,
                            int timeout, const std::string& stdout_to) {
    static int counter = 0;
    const std::string base =
        "/tmp/rankpool-cli-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    std::string cmd = "timeout -k 5 " + std::to_string(timeout) + " ";
    if (!launcher.empty()) {
        cmd += launcher + " ";
    }
    cmd += quote(RANKPOOL_EXE);
    for (const auto& a : args) {
        cmd += " " + quote(a);
    }
    if (stdout_to.rfind('|', 0) == 0) {
        // A pipeline: the exit code must be rankpool's (its launcher's), not the reader's.
        cmd = "bash -c " + quote("set -o pipefail; " + cmd + " 2>" + base + ".err </dev/null " +
                                 stdout_to + " >" + base + ".out; exit ${PIPESTATUS[0]}");
    } else {
        cmd += " " + (stdout_to.empty() ? ">" + base + ".out" : stdout_to) + " 2>" + base +
               ".err </dev/null";
    }

    const auto t0 = std::chrono::steady_clock::now();
    const int status = std::system(cmd.c_str());
    const auto t1 = std::chrono::steady_clock::now();

    RunResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(base + ".out");
    r.err = slurp(base + ".err");
    r.seconds = std::chrono::duration<double>(t1 - t0).count();
    std::remove((base + ".out").c_str());
    std::remove((base + ".err").c_str());
    return r;
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
