// Cooperative cancellation for tasks: a task that checks its token can be stopped mid-way.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>

namespace rankpool {

/// Handed to every task. stop_requested() turns true once the executor is stopping (another
/// task failed); a long task that checks it ends early, so a failure never waits on it. Cheap to
/// call often: remote checks are rate-limited.
class StopToken {
public:
    StopToken() = default;
    /// `flag` is set by the owner; `probe`, if given, is asked at most once per `interval`. The
    /// interval is measured with the kernel's coarse monotonic clock (about 3 ns a read instead
    /// of 21 here: a token is asked between every two tasks), which advances in ticks of a few
    /// ms (4 on Debian's kernels): a shorter interval is asked about once per tick.
    explicit StopToken(const std::atomic<bool>* flag, std::function<bool()> probe = {},
                       std::chrono::microseconds interval = std::chrono::microseconds(500))
        : flag_(flag), probe_(std::move(probe)), interval_(interval) {}

    [[nodiscard]] bool stop_requested() const;

private:
    const std::atomic<bool>* flag_ = nullptr;
    std::function<bool()> probe_;
    std::chrono::microseconds interval_{500};
    mutable bool seen_ = false;
    mutable std::chrono::nanoseconds last_probe_{};
};

/// Thrown by a task that saw its stop token and gave up: the task counts as not run, not failed.
class task_cancelled : public std::exception {
public:
    [[nodiscard]] const char* what() const noexcept override { return "task cancelled"; }
};

/// Sleeps for `seconds`, waking every 10 ms to check the token. Returns true once that time has
/// passed (at once for seconds <= 0), false if it was stopped first. Any length is safe: time is
/// counted in double seconds, never converted whole to clock ticks, so lengths past what the
/// clock can count (about 292 years) and +infinity sleep until stopped. Throws
/// std::invalid_argument for NaN, which is no length.
bool sleep_unless_stopped(double seconds, const StopToken& token);

} // namespace rankpool
