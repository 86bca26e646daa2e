// The root's choice between running a chunk inline and on its task thread.
#include <doctest/doctest.h>

#include "rankpool/root_placement.hpp"

using namespace rankpool;

TEST_CASE("the root's first chunks run on its thread, however short they measure") {
    RootPlacement p;
    CHECK_FALSE(p.run_inline(1));
    CHECK(p.per_task() == 0);
    for (unsigned k = 1; k < RootPlacement::min_chunks; ++k) {
        p.measured(1e-7, 1);
        CHECK_FALSE(p.run_inline(1));
    }
    p.measured(1e-7, 1);
    CHECK(p.run_inline(1));
}

TEST_CASE("short measured tasks run inline, as long as the chunk stays under the limit") {
    RootPlacement p;
    for (unsigned k = 0; k < RootPlacement::min_chunks; ++k) {
        p.measured(10e-6, 10); // 1 us per task
    }
    CHECK(p.per_task() == doctest::Approx(1e-6));
    CHECK(p.run_inline(1));
    CHECK(p.run_inline(49));
    CHECK_FALSE(p.run_inline(51)); // 51 us > 50 us
}

TEST_CASE("one long task sends the next chunks to the thread until short ones are seen again") {
    RootPlacement p;
    for (unsigned k = 0; k < RootPlacement::min_chunks; ++k) {
        p.measured(1e-6, 1);
    }
    CHECK(p.run_inline(1));
    p.measured(5.0, 1); // rises at once
    CHECK(p.per_task() == 5.0);
    CHECK_FALSE(p.run_inline(1));
    int chunks = 0;
    while (!p.run_inline(1)) {
        p.measured(1e-6, 1); // falls by a quarter of the gap per chunk
        ++chunks;
        REQUIRE(chunks < 100);
    }
    CHECK(chunks == 41); // 5 s down to 50 us, a quarter of the gap to 1 us per chunk
}

TEST_CASE("a chunk that ran nothing teaches nothing") {
    RootPlacement p;
    p.measured(1.0, 0);
    CHECK_FALSE(p.run_inline(1));
    CHECK(p.per_task() == 0);
}
