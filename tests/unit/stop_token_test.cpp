// Tests of cooperative cancellation: stop tokens, and sleeps of any length that end when stopped.
#include <atomic>
#include <limits>
#include <stdexcept>

#include <doctest/doctest.h>

#include "rankpool/stop_token.hpp"

using rankpool::sleep_unless_stopped;
using rankpool::StopToken;

namespace {

/// A token whose probe says "stop" on its `n`th call; `calls` counts them.
StopToken stops_on_probe(int n, int& calls) {
    return StopToken(
        nullptr, [n, &calls] { return ++calls >= n; }, std::chrono::microseconds(0));
}

} // namespace

TEST_CASE("a token stops once its flag is set or its probe says so, and stays stopped") {
    std::atomic<bool> flag{false};
    const StopToken by_flag(&flag);
    CHECK_FALSE(by_flag.stop_requested());
    flag = true;
    CHECK(by_flag.stop_requested());
    flag = false;
    CHECK(by_flag.stop_requested());
    int calls = 0;
    const StopToken by_probe = stops_on_probe(2, calls);
    CHECK_FALSE(by_probe.stop_requested());
    CHECK(by_probe.stop_requested());
    CHECK(by_probe.stop_requested());
    CHECK(calls == 2); // once stopped, the probe is not asked again
    CHECK_FALSE(StopToken().stop_requested());
}

TEST_CASE("sleeps of no length are done at once; short ones complete") {
    const StopToken never;
    CHECK(sleep_unless_stopped(0, never));
    CHECK(sleep_unless_stopped(-1, never));
    CHECK(sleep_unless_stopped(-std::numeric_limits<double>::infinity(), never));
    CHECK(sleep_unless_stopped(-0.0, never));
    CHECK(sleep_unless_stopped(std::numeric_limits<double>::denorm_min(), never));
    CHECK(sleep_unless_stopped(0.002, never));
}

TEST_CASE("a stopped token ends a sleep at once: not done") {
    std::atomic<bool> flag{true};
    CHECK_FALSE(sleep_unless_stopped(60, StopToken(&flag)));
}

TEST_CASE("sleeps past the clock's range (9.2e9 s) sleep until stopped, never 'done' at once") {
    // Before: seconds * 10^9 ns overflowed int64, the deadline was in the past, the task 'done'.
    const double lengths[] = {9.2e9,
                              9.3e9,
                              1e12,
                              1e300,
                              std::numeric_limits<double>::max(),
                              std::numeric_limits<double>::infinity()};
    for (const double s : lengths) {
        CAPTURE(s);
        int calls = 0;
        CHECK_FALSE(sleep_unless_stopped(s, stops_on_probe(3, calls)));
        CHECK(calls == 3); // it slept between the checks until the third said stop
    }
}

TEST_CASE("the longest length the command line accepts sleeps until stopped too") {
    int calls = 0;
    CHECK_FALSE(sleep_unless_stopped(1e9, stops_on_probe(2, calls)));
    CHECK(calls == 2);
}

TEST_CASE("NaN is no length: refused, not slept") {
    const StopToken never;
    CHECK_THROWS_AS(sleep_unless_stopped(std::numeric_limits<double>::quiet_NaN(), never),
                    std::invalid_argument);
}
