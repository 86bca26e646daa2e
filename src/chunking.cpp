// Adaptive chunk sizes: factoring with a measured floor.
#include "rankpool/chunking.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rankpool {

void ChunkTimes::add(std::uint64_t tasks, double seconds) {
    if (tasks == 0) {
        return;
    }
    const auto k = static_cast<double>(tasks);
    seconds = std::max(seconds, 0.0);
    ++chunks_;
    k_ += k;
    kk_ += k * k;
    r_ += seconds;
    kr_ += k * seconds;
    shortest_ = std::min(shortest_, seconds);
}

double ChunkTimes::per_task() const noexcept {
    return k_ > 0 ? r_ / k_ : 0.0;
}

double ChunkTimes::overhead() const noexcept {
    const auto c = static_cast<double>(chunks_);
    const double spread = c * kk_ - k_ * k_; // zero while every chunk had the same size
    if (chunks_ < 2 || spread <= 1e-9 * c * kk_) {
        return 0.0;
    }
    const double slope = (c * kr_ - k_ * r_) / spread;
    const double intercept = (r_ - slope * k_) / c;
    return std::clamp(intercept, 0.0, std::min(shortest_, max_overhead));
}

std::uint64_t max_auto_chunk(std::uint64_t n, int workers) {
    const auto twice = 2 * static_cast<std::uint64_t>(std::max(workers, 1));
    return std::max<std::uint64_t>(1, n / twice + (n % twice != 0 ? 1 : 0));
}

AutoChunker::AutoChunker(std::uint64_t n, int workers)
    : cap_(max_auto_chunk(n, workers)), workers_(workers) {
    if (workers < 1) {
        throw std::invalid_argument("auto chunks need at least one worker");
    }
}

std::uint64_t AutoChunker::floor(const ChunkTimes& times) const {
    const double overhead = times.overhead();
    if (times.chunks() == 0 || overhead <= 0) {
        return 1;
    }
    const double per_task = times.per_task();
    if (per_task <= 0) {
        return cap_;
    }
    const double k = std::ceil(overhead / (overhead_share * per_task));
    return k >= static_cast<double>(cap_)
               ? cap_
               : std::max<std::uint64_t>(1, static_cast<std::uint64_t>(k));
}

std::uint64_t AutoChunker::next(std::uint64_t remaining, const ChunkTimes& times) {
    if (remaining == 0) {
        return 0;
    }
    if (left_in_batch_ == 0) { // a new batch: half of what is left, shared by the workers
        const auto twice = 2 * static_cast<std::uint64_t>(workers_);
        batch_ = remaining / twice + (remaining % twice != 0 ? 1 : 0);
        left_in_batch_ = workers_;
    }
    --left_in_batch_;
    if (times.chunks() == 0) {
        return 1; // nothing measured yet: one task each, to learn how long tasks take
    }
    std::uint64_t size = std::max(batch_, floor(times));
    const double per_task = times.per_task();
    if (per_task > 0) { // and no chunk much longer than chunk_seconds
        const double fit = std::floor(chunk_seconds / per_task * (1 + 1e-9)); // not 499.9999
        if (fit < static_cast<double>(size)) {
            size = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(fit));
        }
    }
    return std::min({remaining, cap_, size});
}

std::vector<std::uint64_t> auto_chunk_sequence(std::uint64_t n, int workers, double per_task,
                                               double overhead) {
    AutoChunker chunker(n, workers);
    ChunkTimes times;
    std::vector<std::uint64_t> sizes;
    std::uint64_t left = n;
    std::size_t back = 0; // chunks before this one have come back
    while (left > 0) {
        const auto k = chunker.next(left, times);
        sizes.push_back(k);
        left -= k;
        // A chunk comes back once `workers` more are out: the first batch is in flight together.
        if (sizes.size() >= static_cast<std::size_t>(workers)) {
            const auto done = sizes[back++];
            times.add(done, overhead + static_cast<double>(done) * per_task);
        }
    }
    return sizes;
}

std::vector<double> exponential_durations(std::uint64_t n, double mean, std::uint64_t seed) {
    if (!(mean >= 0) || !std::isfinite(mean)) {
        throw std::invalid_argument("an exponential distribution needs a finite mean >= 0");
    }
    std::vector<double> d(n);
    std::uint64_t state = seed;
    for (auto& x : d) {
        state += 0x9e3779b97f4a7c15ULL; // splitmix64
        std::uint64_t z = state;
        z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
        z ^= z >> 31U;
        const double u = static_cast<double>(z >> 11U) * 0x1.0p-53; // [0, 1)
        x = -mean * std::log1p(-u);
    }
    return d;
}

} // namespace rankpool
