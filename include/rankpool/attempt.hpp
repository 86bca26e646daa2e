// One run of one task (a task runs again when retried): what the root learns of it. No MPI.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rankpool {

/// How one attempt of a task ended.
enum class AttemptStatus { ok, failed, cancelled };

/// "ok", "failed" or "cancelled".
[[nodiscard]] constexpr std::string_view to_string(AttemptStatus s) {
    return s == AttemptStatus::ok ? "ok" : s == AttemptStatus::failed ? "failed" : "cancelled";
}

/// One attempt of one task, as the root learns it (ExecutorOptions::on_attempt).
struct TaskAttempt {
    std::uint64_t index = 0; ///< the task
    unsigned attempt = 1;    ///< 1 for the first run, 2 for the first retry, ...
    int rank = 0;            ///< the rank that ran it
    double start = 0;        ///< when it started on that rank: Unix seconds (its host's clock)
    double seconds = 0;      ///< how long it ran (a steady clock)
    AttemptStatus status = AttemptStatus::ok;
    std::string error; ///< the exception's text when it failed
};

} // namespace rankpool
