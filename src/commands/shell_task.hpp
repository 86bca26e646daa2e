// One shell command run to its end: /bin/sh -c in a process group of its own, output captured.
#pragma once

#include <string>
#include <vector>

#include "rankpool/stop_token.hpp"

namespace rankpool::commands {

/// What to run and how.
struct ShellCommand {
    std::string command;                ///< given to /bin/sh -c
    std::vector<std::string> extra_env; ///< "NAME=value" set beside (over) the inherited ones
    double timeout = 0;                 ///< seconds; 0: none
    double grace = 1;                   ///< seconds between SIGTERM and SIGKILL on timeout
    std::string stdout_path; ///< write stdout to this file instead of capturing it (if set)
    std::string stderr_path; ///< likewise stderr
};

/// How it ended.
struct ShellOutcome {
    enum class End { exited, signaled, timed_out, stopped, not_started } end = End::exited;
    int code = 0;       ///< exit code or signal number
    double seconds = 0; ///< from spawn to the end of its output
    std::string out;    ///< captured stdout (empty when written to a file)
    std::string err;    ///< captured stderr (empty when written to a file); why, if not started
};

/// Runs `c` with posix_spawn (no fork of this process): stdin /dev/null, stdout and stderr read
/// through pipes polled together (no deadlock however much it prints) or written to files, the
/// default signal dispositions and an empty signal mask, no descriptors but 0-2. It is done
/// when the shell has exited and both pipes are closed (as GNU parallel: a background child
/// that keeps them open is waited for). On timeout, or when `stop` is requested, its whole
/// process group gets SIGTERM, then SIGKILL after c.grace seconds.
[[nodiscard]] ShellOutcome run_shell(const ShellCommand& c, const StopToken& stop);

/// SIGKILLs the process groups of the commands run_shell is running in this process. Async-signal
/// safe: for a stop signal's handler, so that no command outlives a rank that is killed soon
/// after the signal (mpirun follows its SIGTERM with SIGKILL).
void kill_running_commands() noexcept;

/// While one lives, SIGTERM, SIGINT and SIGHUP (how mpirun and Slurm end a job whose rank died)
/// first SIGKILL the process groups of the commands run_shell is running in this process, then
/// end it with the signal's default action: no task outlives its rank. A handler installed
/// before (a clean stop) is called instead; its stop reaches the commands through the stop
/// token. An ignored signal stays ignored.
class KillTasksOnTermination {
public:
    KillTasksOnTermination();
    KillTasksOnTermination(const KillTasksOnTermination&) = delete;
    KillTasksOnTermination& operator=(const KillTasksOnTermination&) = delete;
    ~KillTasksOnTermination();
};

} // namespace rankpool::commands
