// Cooperative cancellation for tasks.
#include "rankpool/stop_token.hpp"

#include <algorithm>
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
        const auto now = std::chrono::steady_clock::now();
        if (now - last_probe_ >= interval_) {
            last_probe_ = now;
            seen_ = probe_();
        }
    }
    return seen_;
}

bool sleep_unless_stopped(double seconds, const StopToken& token) {
    if (seconds <= 0) {
        return true; // nothing to interrupt
    }
    using clock = std::chrono::steady_clock;
    constexpr auto slice = std::chrono::milliseconds(10);
    const auto end = clock::now() + std::chrono::duration_cast<clock::duration>(
                                        std::chrono::duration<double>(seconds));
    while (true) {
        if (token.stop_requested()) {
            return false;
        }
        const auto now = clock::now();
        if (now >= end) {
            return true;
        }
        std::this_thread::sleep_for(std::min<clock::duration>(end - now, slice));
    }
}

} // namespace rankpool
