// The ordering window: releases results in input order as soon as all before them are in. No MPI.
#pragma once

#include <cstdint>
#include <vector>

namespace rankpool {

/// Tasks finish in any order; `release` names them in index order, each as soon as it and every
/// earlier one have finished, so a caller can hand out results in input order while later ones
/// are still running. A task that failed leaves a gap: with `skip_failed` the window passes over
/// it, otherwise it stops releasing there for good (as iterating Executor.map raises at the first
/// failed item). The caller keeps the results themselves.
class OrderedWindow {
public:
    OrderedWindow(std::uint64_t n, bool skip_failed)
        : state_(n, pending), skip_failed_(skip_failed) {}

    /// Records that task i finished, with a result (`ok`) or without.
    void put(std::uint64_t i, bool ok) { state_[i] = ok ? succeeded : failed; }

    /// Calls emit(index) for every task whose result is now releasable, in order.
    template <class Emit>
    void release(Emit&& emit) {
        while (!halted_ && next_ < state_.size() && state_[next_] != pending) {
            if (state_[next_] == succeeded) {
                emit(next_);
            } else if (!skip_failed_) {
                halted_ = true;
                break;
            }
            ++next_;
        }
    }

    /// Whether task i is the next to release, so that a caller holding the results of i, i+1,
    /// ... may hand them out itself, in order, and then say so with passed().
    [[nodiscard]] bool is_next(std::uint64_t i) const noexcept { return !halted_ && next_ == i; }
    /// The caller released the next `count` tasks itself (see is_next): release() goes on after
    /// them.
    void passed(std::uint64_t count) noexcept { next_ += count; }

    /// Index of the next task to release (== n once all were released or skipped).
    [[nodiscard]] std::uint64_t next() const noexcept { return next_; }
    /// True once a failure stopped the window for good.
    [[nodiscard]] bool halted() const noexcept { return halted_; }

private:
    enum State : unsigned char { pending, succeeded, failed };
    std::vector<unsigned char> state_;
    bool skip_failed_;
    bool halted_ = false;
    std::uint64_t next_ = 0;
};

} // namespace rankpool
