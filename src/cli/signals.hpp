// A clean stop: SIGTERM, SIGINT and SIGUSR1 set a flag the executor polls; a grace watch ends late
// tasks.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace rankpool::cli {

/// Installs (once; sigaction) handlers for SIGTERM, SIGINT and SIGUSR1 that only record the
/// signal's number in stop_signal(): a command that polls it stops cleanly instead of dying.
void install_stop_handlers();

/// An async-signal-safe function the stop handler calls after setting the flag (null: none).
void set_stop_hook(void (*hook)() noexcept);

/// The number of the first stop signal received, 0 before any. Lock-free, set by the handler.
[[nodiscard]] const std::atomic<int>& stop_signal() noexcept;

/// "SIGTERM", "SIGINT", "SIGUSR1", "the --deadline" (SIGALRM: a run the deadline stopped), or
/// "signal N".
[[nodiscard]] std::string signal_name(int signo);

/// The exit code of a run stopped by signal `signo`: 128 + signo, as a shell reports a process
/// killed by it (143 for SIGTERM, 130 for SIGINT, 138 for SIGUSR1; 142, SIGALRM's, for a run the
/// --deadline stopped). Never 0, 1 or 2.
[[nodiscard]] constexpr int stopped_exit_code(int signo) noexcept {
    return 128 + signo;
}

/// The line a stopped run ends with on stderr: "rankpool: stopped by SIGTERM: 37 of 100 tasks
/// done (journal F; rerun the same command to resume)". `what` names the tasks ("tasks").
[[nodiscard]] std::string stop_line(int signo, std::uint64_t done, std::uint64_t total,
                                    const std::string& what, const std::string& journal);

/// While it lives: once a stop signal arrives, waits `grace` seconds for the run to end, then
/// says so on stderr (rank 0) and ends this process with stopped_exit_code. Every record the
/// journal appended is written already (write(2) per record), so ending here loses none.
/// It starts no thread: the stop handler arms a one-shot timer (timer_settime, which is
/// async-signal-safe) whose SIGALRM writes the line and ends the process, so that a rank that
/// runs its tasks on its main thread has that one thread only (MPI_THREAD_SINGLE; see
/// thread_level.hpp). One at a time.
class GraceWatch {
public:
    GraceWatch(double grace, bool speaks);
    GraceWatch(const GraceWatch&) = delete;
    GraceWatch& operator=(const GraceWatch&) = delete;
    ~GraceWatch();
};

} // namespace rankpool::cli
