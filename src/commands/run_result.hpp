// What one `rankpool run` task sends back to rank 0, framed as bytes, and how a failure reads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rankpool::commands {

/// How a task's command ended.
enum class Ending : char {
    exited = 'x',    ///< exited with `code` (0: success)
    signaled = 's',  ///< killed by signal `code`
    timed_out = 't', ///< ran past --timeout: its process group got SIGTERM, then SIGKILL
    not_run = 'e',   ///< could not be started (or its --results files not made): see `err`
};

/// One task's result as it travels from the rank that ran it to rank 0.
struct TaskResult {
    Ending ending = Ending::exited;
    int code = 0;        ///< exit code or signal number (0 when timed out or not run)
    int rank = 0;        ///< the rank that ran it
    double seconds = 0;  ///< from start to end, on that rank
    std::string host;    ///< that rank's host
    std::string command; ///< the command as run (sent for failed tasks only)
    std::string out;     ///< its standard output (empty with --results: it is in the files)
    std::string err;     ///< its standard error (with --results: the last few lines only)

    [[nodiscard]] bool ok() const { return ending == Ending::exited && code == 0; }
};

/// The bytes of a result: one header line "rankpool-run 1 <ending> <code> <rank> <seconds>
/// <host bytes> <command bytes> <out bytes> <err bytes>\n", then host, command, out and err. Pure.
[[nodiscard]] std::string encode(const TaskResult& r);
/// A result from encode's bytes; throws std::runtime_error if they are not such bytes. Pure.
[[nodiscard]] TaskResult decode(std::string_view bytes);
/// Only the header of encode's bytes: ending, code, rank and seconds, the strings left empty
/// (and the bytes after the header not read). Throws as decode on a bad header. Pure.
[[nodiscard]] TaskResult decode_head(std::string_view bytes);

/// How a task ended in words: "exit code 2", "killed by signal 9 (Killed)", "timed out after
/// 5.01 s (process group killed)", "not run: <why>".
[[nodiscard]] std::string describe_ending(const TaskResult& r);

/// The last `n` lines of `text` (a final newline does not count as a line), without the last
/// newline.
[[nodiscard]] std::string last_lines(std::string_view text, std::size_t n);

/// The lines a failed task gets: "task 3 failed on rank 1 (host), exit code 2: COMMAND", then
/// its stderr's last lines, each as "  | line".
[[nodiscard]] std::vector<std::string> describe_failure(std::uint64_t number, const TaskResult& r);

/// How many lines of a failed task's stderr its report shows.
inline constexpr std::size_t stderr_tail_lines = 5;

} // namespace rankpool::commands
