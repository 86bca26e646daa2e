// Tests of rankpool/map.hpp under mpiexec: gathered values against formulas, every root, errors.
#include <numeric>
#include <stdexcept>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <doctest/doctest.h>

#include "rankpool/checksum.hpp"
#include "rankpool/map.hpp"

using namespace rankpool;

namespace {
const std::vector<std::uint64_t> sizes = {0, 1, 2, 3, 5, 7, 13, 100, 1009};
}

TEST_CASE("map gathers f(x) in input order on every root") {
    const boost::mpi::communicator world;
    for (int root = 0; root < world.size(); ++root) {
        for (const std::uint64_t n : sizes) {
            CAPTURE(root);
            CAPTURE(n);
            // Only the root holds the input; the others pass an empty span.
            std::vector<std::int64_t> input;
            if (world.rank() == root) {
                input.resize(n);
                std::iota(input.begin(), input.end(), -3);
            }
            MapTimes t;
            const auto out = map(world, std::span<const std::int64_t>(input),
                                 [](std::int64_t x) { return static_cast<double>(x) * 2.5; },
                                 {.root = root, .times = &t});
            if (world.rank() == root) {
                REQUIRE(out.size() == n);
                for (std::uint64_t i = 0; i < n; ++i) {
                    CHECK(out[i] == (static_cast<double>(i) - 3) * 2.5);
                }
            } else {
                CHECK(out.empty());
            }
            CHECK(t.total >= t.compute);
        }
    }
}

TEST_CASE("map_range squares range(a, b) without an input array") {
    const boost::mpi::communicator world;
    for (int root = 0; root < world.size(); ++root) {
        for (const std::uint64_t n : sizes) {
            CAPTURE(root);
            CAPTURE(n);
            const std::uint64_t a = 17;
            const auto out =
                map_range(world, a, a + n, [](std::uint64_t x) { return x * x; }, {.root = root});
            if (world.rank() == root) {
                REQUIRE(out.size() == n);
                uint128 sum = 0;
                bool in_order = true;
                for (std::uint64_t i = 0; i < n; ++i) {
                    in_order = in_order && out[i] == (a + i) * (a + i);
                    sum += out[i];
                }
                CHECK(in_order);
                CHECK(sum == sum_of_squares(a, a + n));
            } else {
                CHECK(out.empty());
            }
        }
    }
}

TEST_CASE("bounds are read on the root only") {
    const boost::mpi::communicator world;
    // Non-root ranks pass nonsense bounds; the root's win.
    const bool root = world.rank() == 0;
    const auto out = map_range(world, root ? 0 : 999, root ? 10 : 5,
                               [](std::uint64_t x) { return x + 1; }, {.root = 0});
    if (root) {
        REQUIRE(out.size() == 10);
        CHECK(out[0] == 1);
        CHECK(out[9] == 10);
    }
}

TEST_CASE("map_reduce sums without gathering") {
    const boost::mpi::communicator world;
    for (int root = 0; root < world.size(); ++root) {
        for (const std::uint64_t n : sizes) {
            CAPTURE(root);
            CAPTURE(n);
            const uint128 s = map_reduce(
                world, 0, n, uint128{0}, [](uint128 acc, uint128 v) { return acc + v; },
                [](std::uint64_t x) { return x * x; }, {.root = root});
            CHECK(s == (world.rank() == root ? sum_of_squares(n) : 0));
        }
    }
}

TEST_CASE("map_reduce is exact where partial sums exceed 64 bits") {
    const boost::mpi::communicator world;
    // Squares of [2^32 - 3000, 2^32): each about 2^64, their sum far above it.
    const std::uint64_t b = max_squares_n;
    const uint128 s = map_reduce(
        world, b - 3000, b, uint128{0}, [](uint128 acc, uint128 v) { return acc + v; },
        [](std::uint64_t x) { return x * x; });
    if (world.rank() == 0) {
        CHECK(s == sum_of_squares(b - 3000, b));
    }
}

TEST_CASE("a throwing f raises task_error on every rank, with its origin on the root") {
    const boost::mpi::communicator world;
    const std::uint64_t n = 20;
    const std::uint64_t bad = n - 1; // in the last rank's block
    bool raised = false;
    try {
        (void)map_range(world, 0, n, [&](std::uint64_t x) -> std::uint64_t {
            if (x == bad) {
                throw std::runtime_error("nineteen is unlucky");
            }
            return x;
        });
    } catch (const task_error& e) {
        raised = true;
        if (world.rank() == 0) {
            REQUIRE(e.failures().size() == 1);
            const auto& f = e.failures().front();
            CHECK(f.index == bad);
            CHECK(f.rank == world.size() - 1);
            CHECK(f.message == "nineteen is unlucky");
            CHECK(std::string(e.what()).find("task 19 failed on rank") == 0);
        }
    }
    CHECK(raised);
}

TEST_CASE("every failing rank is reported, in task order") {
    const boost::mpi::communicator world;
    const std::uint64_t n = 40;
    try {
        // Each rank throws at the first item of its block.
        (void)map_range(world, 0, n, [&](std::uint64_t x) -> std::uint64_t {
            if (x == block_of(n, world.size(), world.rank()).begin) {
                throw std::runtime_error("first of block");
            }
            return x;
        });
        FAIL("no task_error");
    } catch (const task_error& e) {
        if (world.rank() == 0) {
            REQUIRE(e.failures().size() == static_cast<std::size_t>(world.size()));
            for (int r = 0; r < world.size(); ++r) {
                CHECK(e.failures()[static_cast<std::size_t>(r)].rank == r);
            }
        }
    }
}

TEST_CASE("works on a sub-communicator") {
    const boost::mpi::communicator world;
    const auto half = world.split(world.rank() % 2);
    const auto out = map_range(half, 0, 11, [](std::uint64_t x) { return 3 * x; });
    if (half.rank() == 0) {
        REQUIRE(out.size() == 11);
        CHECK(out[10] == 30);
    }
}

TEST_CASE("a root outside the communicator is refused") {
    const boost::mpi::communicator world;
    CHECK_THROWS_AS(
        (void)map_range(world, 0, 1, [](std::uint64_t x) { return x; }, {.root = world.size()}),
        std::invalid_argument);
}
