// Tests of rankpool/chunking.hpp: auto chunk sizes, the measured floor, the seeded generator, and
// auto through the Dispatcher and the simulator.
#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "rankpool/chunking.hpp"
#include "rankpool/schedule.hpp"

using namespace rankpool;

namespace {
std::uint64_t sum(const std::vector<std::uint64_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}
bool non_increasing(const std::vector<std::uint64_t>& v) {
    return std::is_sorted(v.rbegin(), v.rend());
}
} // namespace

TEST_CASE("factoring: batches of one chunk per worker, each half of what is left over workers") {
    // 100 tasks of 10 ms, 2 workers, no dispatch cost: a probe of 1 task each, then
    // ceil(98/4) = 25 twice, ceil(48/4) = 12 twice, ceil(24/4) = 6 twice, ceil(12/4) = 3 twice,
    // ceil(6/4) = 2 twice, ceil(2/4) = 1 twice.
    const auto seq = auto_chunk_sequence(100, 2, 0.01, 0);
    CHECK(seq == std::vector<std::uint64_t>{1, 1, 25, 25, 12, 12, 6, 6, 3, 3, 2, 2, 1, 1});
    CHECK(max_auto_chunk(100, 2) == 25);
}

TEST_CASE("auto chunks sum to n, shrink to 1s for uneven tasks, and stay under the cap") {
    for (const std::uint64_t n : {1ULL, 2ULL, 3ULL, 7ULL, 64ULL, 1000ULL, 12345ULL, 1000000ULL}) {
        for (const int w : {1, 2, 3, 4, 16}) {
            CAPTURE(n);
            CAPTURE(w);
            // 1 ms tasks, free dispatch: floor 1, ceiling 500 tasks
            const auto seq = auto_chunk_sequence(n, w, 0.001, 0);
            CHECK(sum(seq) == n);
            CHECK(seq.back() == 1);
            CHECK(*std::max_element(seq.begin(), seq.end()) <= max_auto_chunk(n, w));
            // A probe of one task per worker, then batches of w chunks, each ceil(R / 2w) of the
            // R left when its batch started (at most 500 tasks, 0.5 s), non-increasing.
            const auto probes = std::min<std::size_t>(seq.size(), static_cast<std::size_t>(w));
            CHECK(std::all_of(seq.begin(), seq.begin() + static_cast<std::ptrdiff_t>(probes),
                              [](std::uint64_t k) { return k == 1; }));
            CHECK(non_increasing({seq.begin() + static_cast<std::ptrdiff_t>(probes), seq.end()}));
            std::uint64_t left = n;
            std::uint64_t batch = 0;
            const auto twice = 2 * static_cast<std::uint64_t>(w);
            for (std::size_t j = 0; j < seq.size(); ++j) {
                if (j % static_cast<std::size_t>(w) == 0) {
                    batch =
                        j < probes ? 1 : std::min<std::uint64_t>(500, (left + twice - 1) / twice);
                }
                CHECK(seq[j] == std::min(batch, left));
                left -= seq[j];
            }
        }
    }
}

TEST_CASE("few long tasks: chunks of 1 (the tutorial's sleep 5 4 3 2 1 on 4 ranks)") {
    CHECK(auto_chunk_sequence(5, 4, 3, 0) == std::vector<std::uint64_t>(5, 1));
    CHECK(auto_chunk_sequence(3, 4, 1, 0) == std::vector<std::uint64_t>(3, 1)); // n < workers
    CHECK(auto_chunk_sequence(8, 4, 1, 0) == std::vector<std::uint64_t>(8, 1));
}

TEST_CASE("zero-cost tasks: a large start and a floor that keeps chunks large to the end") {
    // 10^6 tasks of 30 ns on 4 workers, 10 us per chunk: after the probes (one round trip),
    // chunks of 0.5 s by the probes' measure (10 us a task), then n / 8 once those came back.
    const auto seq = auto_chunk_sequence(1000000, 4, 30e-9, 10e-6);
    CHECK(sum(seq) == 1000000);
    CHECK(std::vector<std::uint64_t>(seq.begin(), seq.begin() + 4) ==
          std::vector<std::uint64_t>(4, 1));
    CHECK(seq[4] == 49850); // floor(0.5 / 10.03e-6)
    CHECK(*std::max_element(seq.begin(), seq.end()) > 90000);
    CHECK(seq.size() < 60); // without the floor factoring takes ~80 chunks, ending in 1s
    CHECK(seq.back() > 1);
    // The floor: 10 us is 10% of the run time of ceil(10e-6 / (0.1 * 30e-9)) = 3334 tasks (a
    // little less: the measured per-task time includes the dispatch cost); no chunk but the
    // last, the remainder, is smaller.
    CHECK(std::all_of(seq.begin() + 4, seq.end() - 1, [](std::uint64_t k) { return k >= 3000; }));
}

TEST_CASE("edge cases: no tasks, one worker, bad arguments") {
    CHECK(auto_chunk_sequence(0, 4, 1, 0).empty());
    AutoChunker c(10, 2);
    const ChunkTimes none;
    CHECK(c.next(0, none) == 0);
    CHECK(auto_chunk_sequence(16, 1, 1e-3, 0) == std::vector<std::uint64_t>{1, 8, 4, 2, 1});
    // Tasks of a second: the 0.5 s ceiling sends them one by one.
    CHECK(auto_chunk_sequence(40, 2, 1, 0) == std::vector<std::uint64_t>(40, 1));
    CHECK_THROWS_AS(AutoChunker(10, 0), std::invalid_argument);
    CHECK(max_auto_chunk(0, 4) == 1);
    CHECK(max_auto_chunk(9, 4) == 2);
}

TEST_CASE("chunk times: per task, the fitted dispatch cost and its clamps") {
    ChunkTimes t;
    CHECK(t.per_task() == 0);
    CHECK(t.overhead() == 0);
    t.add(10, 5e-6 + 10 * 1e-6);
    CHECK(t.overhead() == 0); // one size only: no fit yet
    t.add(100, 5e-6 + 100 * 1e-6);
    t.add(1000, 5e-6 + 1000 * 1e-6);
    CHECK(t.overhead() == doctest::Approx(5e-6));
    CHECK(t.per_task() == doctest::Approx((15e-6 + 1110e-6) / 1110));
    AutoChunker c(100000, 2);
    CHECK(c.floor(t) == 50); // 5 us is 10% of 50 tasks of ~1.01 us
    ChunkTimes noisy; // long uneven tasks whose fit says 2 s of "dispatch": clamped to 200 us
    noisy.add(1, 0.1);
    noisy.add(10, 2.1);
    noisy.add(20, 2.2);
    CHECK(noisy.overhead() == doctest::Approx(ChunkTimes::max_overhead));
    CHECK(c.floor(noisy) == 1);
    ChunkTimes zero; // nothing measurable
    zero.add(1, 0);
    zero.add(2, 0);
    CHECK(c.floor(zero) == 1); // and no measured overhead means no floor
    ChunkTimes free_tasks;     // all dispatch, no work: 1 us per chunk, per task 2 us / 3 tasks
    free_tasks.add(1, 1e-6);
    free_tasks.add(2, 1e-6);
    CHECK(free_tasks.overhead() == doctest::Approx(1e-6));
    CHECK(c.floor(free_tasks) == 15); // ceil(1e-6 / (0.1 * 2e-6 / 3))
}

TEST_CASE("auto through the dispatcher: every task once, in order, cap respected") {
    std::vector<std::uint64_t> order(1000);
    std::iota(order.begin(), order.end(), std::uint64_t{0});
    Dispatcher d(order, 3, Schedule::dynamic, chunksize_auto);
    CHECK(d.adaptive());
    std::vector<std::uint64_t> seen;
    for (int w = 0; d.remaining() > 0; w = (w + 1) % 3) {
        const auto c = d.next(w);
        CHECK(c.size() <= max_chunk(1000, 3, Schedule::dynamic, chunksize_auto));
        seen.insert(seen.end(), c.begin(), c.end());
        d.observe(c.size(), 0.001 * static_cast<double>(c.size()));
    }
    CHECK(seen == order);
    CHECK(d.next(0).empty());
    CHECK(max_chunk(1000, 3, Schedule::dynamic, chunksize_auto) == 167);
}

TEST_CASE("the simulator predicts auto: near the bound for uneven tasks, 5 s for the tutorial") {
    const std::vector<double> tutorial = {5, 4, 3, 2, 1};
    CHECK(simulate_makespan(tutorial, 4, Schedule::dynamic, chunksize_auto, false) == 5.0);
    for (const int w : {2, 4}) {
        for (const std::uint64_t seed : {1ULL, 2ULL, 3ULL}) {
            const auto costs = exponential_durations(2000, 0.01, seed);
            const double bound = makespan_lower_bound(costs, w);
            const double auto_ms =
                simulate_makespan(costs, w, Schedule::dynamic, chunksize_auto, false);
            CAPTURE(w);
            CAPTURE(seed);
            CHECK(auto_ms <= 1.05 * bound);
            CHECK(auto_ms >= bound);
        }
    }
}

TEST_CASE("exponential durations: seeded, repeatable, with the given mean") {
    const auto a = exponential_durations(100000, 0.5, 42);
    CHECK(a == exponential_durations(100000, 0.5, 42));
    CHECK(a != exponential_durations(100000, 0.5, 43));
    CHECK(std::all_of(a.begin(), a.end(), [](double x) { return x >= 0; }));
    const double mean = std::accumulate(a.begin(), a.end(), 0.0) / static_cast<double>(a.size());
    CHECK(mean == doctest::Approx(0.5).epsilon(0.02));
    CHECK(exponential_durations(0, 1, 1).empty());
    CHECK(exponential_durations(3, 0, 1) == std::vector<double>(3, 0.0));
    CHECK_THROWS_AS((void)exponential_durations(1, -1, 1), std::invalid_argument);
}
