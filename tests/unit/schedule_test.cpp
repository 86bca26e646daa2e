// Tests of rankpool/schedule.hpp and ordering.hpp: who gets which tasks, makespans, release order.
#include <algorithm>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "rankpool/ordering.hpp"
#include "rankpool/schedule.hpp"

using namespace rankpool;

namespace {
const std::vector<double> tutorial = {5, 4, 3, 2, 1};
const Schedule all[] = {Schedule::static_block, Schedule::cyclic, Schedule::dynamic,
                        Schedule::guided};

/// Asks workers round-robin until none gets anything; returns each worker's chunks.
using Chunk = std::vector<std::uint64_t>;
Chunk to_vector(std::span<const std::uint64_t> c) {
    return {c.begin(), c.end()};
}

std::vector<std::vector<std::vector<std::uint64_t>>> drain(Dispatcher& d, int workers) {
    std::vector<std::vector<std::vector<std::uint64_t>>> got(static_cast<std::size_t>(workers));
    bool any = true;
    while (any) {
        any = false;
        for (int w = 0; w < workers; ++w) {
            const auto c = d.next(w);
            if (!c.empty()) {
                got[static_cast<std::size_t>(w)].emplace_back(c.begin(), c.end());
                any = true;
            }
        }
    }
    return got;
}
} // namespace

TEST_CASE("the tutorial's makespans: static 9 s, cyclic 6 s, dynamic 5 s on 4 workers") {
    CHECK(simulate_makespan(tutorial, 4, Schedule::static_block, 1, false) == 9.0);
    CHECK(simulate_makespan(tutorial, 4, Schedule::cyclic, 1, false) == 6.0);
    CHECK(simulate_makespan(tutorial, 4, Schedule::dynamic, 1, false) == 5.0);
    // guided's first chunk is ceil(5 / 4) = 2 tasks: [5, 4] on one worker
    CHECK(simulate_makespan(tutorial, 4, Schedule::guided, 1, false) == 9.0);
    CHECK(makespan_lower_bound(tutorial, 4) == 5.0);
    CHECK(makespan_lower_bound(tutorial, 2) == 7.5);
}

TEST_CASE("longest-first rescues an unlucky input order") {
    const std::vector<double> costs = {1, 1, 1, 1, 4};
    CHECK(simulate_makespan(costs, 2, Schedule::dynamic, 1, false) == 6.0);
    CHECK(simulate_makespan(costs, 2, Schedule::dynamic, 1, true) == 4.0);
    CHECK(task_order(5, costs, true) == std::vector<std::uint64_t>{4, 0, 1, 2, 3});
    CHECK(task_order(3, {}, false) == std::vector<std::uint64_t>{0, 1, 2});
}

TEST_CASE("every schedule hands out every task exactly once") {
    for (const Schedule s : all) {
        for (const std::uint64_t n : {0, 1, 3, 10, 101}) {
            for (const int workers : {1, 2, 3, 4, 7}) {
                for (const std::uint64_t chunk : {1, 3, 200}) {
                    CAPTURE(to_string(s));
                    CAPTURE(n);
                    CAPTURE(workers);
                    CAPTURE(chunk);
                    Dispatcher d(task_order(n, {}, false), workers, s, chunk);
                    std::vector<std::uint64_t> seen;
                    for (const auto& chunks : drain(d, workers)) {
                        for (const auto& c : chunks) {
                            seen.insert(seen.end(), c.begin(), c.end());
                            CHECK(c.size() <= max_chunk(n, workers, s, chunk));
                        }
                    }
                    std::sort(seen.begin(), seen.end());
                    std::vector<std::uint64_t> expected(n);
                    for (std::uint64_t i = 0; i < n; ++i) {
                        expected[i] = i;
                    }
                    CHECK(seen == expected);
                    CHECK(d.remaining() == 0);
                }
            }
        }
    }
}

TEST_CASE("static gives one balanced block per worker, cyclic deals chunks round-robin") {
    Dispatcher st(task_order(10, {}, false), 3, Schedule::static_block, 1);
    const auto s = drain(st, 3);
    CHECK(s[0] == std::vector<std::vector<std::uint64_t>>{{0, 1, 2, 3}});
    CHECK(s[1] == std::vector<std::vector<std::uint64_t>>{{4, 5, 6}});
    CHECK(s[2] == std::vector<std::vector<std::uint64_t>>{{7, 8, 9}});

    Dispatcher cy(task_order(10, {}, false), 3, Schedule::cyclic, 2);
    CHECK(to_vector(cy.next(1)) == Chunk{2, 3});
    CHECK(to_vector(cy.next(1)) == Chunk{8, 9});
    CHECK(cy.next(1).empty());
    CHECK(to_vector(cy.next(0)) == Chunk{0, 1});
    CHECK(to_vector(cy.next(0)) == Chunk{6, 7});
    CHECK(to_vector(cy.next(2)) == Chunk{4, 5});
    CHECK(cy.next(2).empty());
}

TEST_CASE("dynamic takes chunks from a shared queue; guided chunks shrink") {
    Dispatcher dy(task_order(7, {}, false), 2, Schedule::dynamic, 3);
    CHECK(to_vector(dy.next(1)) == Chunk{0, 1, 2});
    CHECK(to_vector(dy.next(1)) == Chunk{3, 4, 5});
    CHECK(to_vector(dy.next(0)) == Chunk{6});
    CHECK(dy.next(0).empty());

    Dispatcher gu(task_order(100, {}, false), 4, Schedule::guided, 2);
    std::vector<std::size_t> sizes;
    for (auto c = gu.next(0); !c.empty(); c = gu.next(0)) {
        sizes.push_back(c.size());
    }
    CHECK(sizes.front() == 25);
    CHECK(std::is_sorted(sizes.rbegin(), sizes.rend()));
    CHECK(sizes.back() >= 1);
    CHECK(*(sizes.end() - 2) == 2); // never below chunksize but for the tail
}

TEST_CASE("schedule names") {
    for (const Schedule s : all) {
        CHECK(schedule_from_string(to_string(s)) == s);
    }
    CHECK(to_string(Schedule::static_block) == "static");
    CHECK_FALSE(schedule_from_string("fastest"));
}

TEST_CASE("bad dispatcher arguments are refused") {
    CHECK_THROWS_AS(Dispatcher({}, 0, Schedule::dynamic, 1), std::invalid_argument);
    for (const auto s : {Schedule::static_block, Schedule::cyclic, Schedule::guided}) {
        CHECK_THROWS_AS(Dispatcher({}, 1, s, chunksize_auto), std::invalid_argument);
    }
    Dispatcher d({0}, 2, Schedule::dynamic, 1);
    CHECK_THROWS_AS((void)d.next(2), std::invalid_argument);
    CHECK_THROWS_AS((void)task_order(3, std::vector<double>{1.0}, true), std::invalid_argument);
}

TEST_CASE("the ordering window releases in input order as soon as it can") {
    OrderedWindow w(5, false);
    std::vector<std::uint64_t> out;
    const auto emit = [&](std::uint64_t i) { out.push_back(i); };
    w.put(3, true);
    w.put(1, true);
    w.release(emit);
    CHECK(out.empty());
    w.put(0, true);
    w.release(emit);
    CHECK(out == std::vector<std::uint64_t>{0, 1});
    w.put(2, true);
    w.put(4, true);
    w.release(emit);
    CHECK(out == std::vector<std::uint64_t>{0, 1, 2, 3, 4});
    CHECK(w.next() == 5);
}

TEST_CASE("results next in order may pass the window; the window goes on after them") {
    OrderedWindow w(6, false);
    std::vector<std::uint64_t> out;
    const auto emit = [&](std::uint64_t i) { out.push_back(i); };
    w.put(4, true); // waits for 0..3
    CHECK(w.is_next(0));
    CHECK_FALSE(w.is_next(1));
    w.passed(2); // the caller released 0 and 1 itself
    CHECK(w.next() == 2);
    CHECK(w.is_next(2));
    w.put(3, true);
    w.release(emit);
    CHECK(out.empty()); // 2 is still out
    w.put(2, true);
    w.release(emit);
    CHECK(out == std::vector<std::uint64_t>{2, 3, 4});
    CHECK(w.is_next(5));
    w.put(5, false);
    w.release(emit);
    CHECK(w.halted());
    CHECK_FALSE(w.is_next(6)); // a halted window passes nothing
}

TEST_CASE("a failed task halts the window, or is skipped when keeping going") {
    std::vector<std::uint64_t> out;
    const auto emit = [&](std::uint64_t i) { out.push_back(i); };
    OrderedWindow halt(4, false);
    halt.put(0, true);
    halt.put(1, false);
    halt.put(2, true);
    halt.put(3, true);
    halt.release(emit);
    CHECK(out == std::vector<std::uint64_t>{0});
    CHECK(halt.halted());

    out.clear();
    OrderedWindow skip(4, true);
    skip.put(1, false);
    skip.put(3, true);
    skip.put(0, true);
    skip.release(emit);
    CHECK(out == std::vector<std::uint64_t>{0});
    skip.put(2, true);
    skip.release(emit);
    CHECK(out == std::vector<std::uint64_t>{0, 2, 3});
    CHECK_FALSE(skip.halted());
}
