// Cooperative cancellation for tasks.
#include "rankpool/stop_token.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <stdexcept>
#include <thread>

namespace rankpool {

bool StopToken::stop_requested() const {
    if (seen_) {
        return true;
    }
    if (flag_ != nullptr && flag_->load(std::memory_order_relaxed)) {
        return seen_ = true;
    }
    if (probe_) {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        const auto now = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
        if (now - last_probe_ >= interval_) { // the first time too: the clock counts from boot
            last_probe_ = now;
            seen_ = probe_();
        }
    }
    return seen_;
}

bool sleep_unless_stopped(double seconds, const StopToken& token) {
    if (std::isnan(seconds)) {
        throw std::invalid_argument("sleep_unless_stopped: the number of seconds is NaN");
    }
    if (seconds <= 0) {
        return true; // nothing to interrupt
    }
    using clock = std::chrono::steady_clock;
    using dseconds = std::chrono::duration<double>;
    constexpr dseconds slice = std::chrono::milliseconds(10);
    // Time left in double seconds: seconds * 10^9 ns would overflow the clock's int64 past
    // 9.2e9 s and end the sleep at once.
    const auto start = clock::now();
    while (true) {
        if (token.stop_requested()) {
            return false;
        }
        const dseconds left = dseconds(seconds) - (clock::now() - start);
        if (left <= dseconds::zero()) {
            return true;
        }
        std::this_thread::sleep_for(std::min(left, slice));
    }
}

} // namespace rankpool
