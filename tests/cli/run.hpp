// Runs the rankpool binary (alone or under mpiexec) and captures its exit code and output.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace rankpool::test {

struct RunResult {
    int exit_code = -1; ///< the launcher's exit code; 124 when the run was killed by its timeout
    std::string out;
    std::string err;
    double seconds = 0;
};

/// Runs `rankpool args...` under mpiexec with `ranks` ranks, or alone when ranks == 0. A run that
/// takes longer than `timeout` seconds is killed, so a hang fails the test instead of the suite.
RunResult run_rankpool(int ranks, const std::vector<std::string>& args, int timeout = 60);

/// Runs `launcher rankpool args...`, e.g. launcher = "mpiexec -n 2" without the suite's
/// --oversubscribe; an empty launcher runs rankpool alone. `stdout_to`, if given, is the shell
/// redirection of stdout instead of capturing it (">/dev/full", ">&-", "| head -c 1").
RunResult run_rankpool_with(const std::string& launcher, const std::vector<std::string>& args,
                            int timeout = 60, const std::string& stdout_to = "");

/// Runs like run_rankpool_with and, while it runs, calls `during` with the pid of the shell that
/// runs the command line: rankpool, and every process it starts, are below that pid.
RunResult run_rankpool_during(const std::string& launcher, const std::vector<std::string>& args,
                              const std::function<void(int shell)>& during, int timeout = 60);

/// The processes below `ancestor` (children, theirs, ...) whose command line contains `needle`.
std::vector<int> descendants_with(int ancestor, const std::string& needle);

/// CPU seconds (user + system) that process `pid` has used so far; -1 when there is none.
double cpu_seconds(int pid);

/// Bad command lines, each with the error line (or its start) it must give.
using Refusals = std::vector<std::pair<std::vector<std::string>, std::string>>;

/// Runs each refusal alone (0) and under mpiexec at each rank count, and checks that it exits 2
/// with exactly one "rankpool: error:" line, which contains the message, and prints nothing on
/// stdout.
void check_refusals(const Refusals& cases, const std::vector<int>& rank_counts = {0, 1, 3});

/// The lines of a text, without their newlines.
std::vector<std::string> lines(const std::string& text);

/// Counts the lines of `text` that contain `needle`.
int count_lines_with(const std::string& text, const std::string& needle);

} // namespace rankpool::test
