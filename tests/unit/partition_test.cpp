// Tests of rankpool/partition.hpp: balanced blocks, edge sizes, MPI int limits.
#include <cstdint>
#include <limits>

#include <doctest/doctest.h>

#include "rankpool/partition.hpp"

using rankpool::block_of;
using rankpool::mpi_counts;

namespace {
// Blocks of every rank tile [0, n) in order, and sizes differ by at most one.
void check_tiling(std::uint64_t n, int p) {
    CAPTURE(n);
    CAPTURE(p);
    std::uint64_t next = 0;
    std::uint64_t smallest = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t largest = 0;
    for (int r = 0; r < p; ++r) {
        const auto b = block_of(n, p, r);
        CHECK(b.begin == next);
        CHECK(b.end >= b.begin);
        next = b.end;
        smallest = std::min(smallest, b.size());
        largest = std::max(largest, b.size());
    }
    CHECK(next == n);
    CHECK(largest - smallest <= 1);
}
} // namespace

TEST_CASE("blocks tile the range in rank order, balanced") {
    for (const std::uint64_t n : {0ull, 1ull, 2ull, 3ull, 7ull, 10ull, 97ull, 100ull, 1000003ull}) {
        for (const int p : {1, 2, 3, 4, 5, 7, 8, 13, 64}) {
            check_tiling(n, p);
        }
    }
}

TEST_CASE("the first n % p ranks take one item more") {
    // 10 over 3: [0,4) [4,7) [7,10)
    CHECK(block_of(10, 3, 0) == rankpool::Block{0, 4});
    CHECK(block_of(10, 3, 1) == rankpool::Block{4, 7});
    CHECK(block_of(10, 3, 2) == rankpool::Block{7, 10});
    // n < p: the last ranks get empty blocks at the end
    CHECK(block_of(2, 4, 0) == rankpool::Block{0, 1});
    CHECK(block_of(2, 4, 1) == rankpool::Block{1, 2});
    CHECK(block_of(2, 4, 2) == rankpool::Block{2, 2});
    CHECK(block_of(2, 4, 3) == rankpool::Block{2, 2});
    // n = 0, p = 1
    CHECK(block_of(0, 3, 1).size() == 0);
    CHECK(block_of(5, 1, 0) == rankpool::Block{0, 5});
}

TEST_CASE("exact near the 64-bit limit") {
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    check_tiling(max, 1);
    check_tiling(max, 3);
    check_tiling(max, 1024);
    check_tiling(max - 1, 7);
    CHECK(block_of(max, 2, 1).end == max);
    CHECK(block_of(max, 2, 0).size() == max / 2 + 1);
}

TEST_CASE("bad rank or rank count is refused") {
    CHECK_THROWS_AS((void)block_of(10, 0, 0), std::invalid_argument);
    CHECK_THROWS_AS((void)block_of(10, 2, 2), std::invalid_argument);
    CHECK_THROWS_AS((void)block_of(10, 2, -1), std::invalid_argument);
}

TEST_CASE("MPI counts and displacements") {
    const auto c = mpi_counts(10, 4);
    CHECK(c.counts == std::vector<int>{3, 3, 2, 2});
    CHECK(c.displs == std::vector<int>{0, 3, 6, 8});
    const auto z = mpi_counts(0, 3);
    CHECK(z.counts == std::vector<int>{0, 0, 0});
    CHECK(z.displs == std::vector<int>{0, 0, 0});
    const auto top = mpi_counts(rankpool::max_mpi_count, 2);
    CHECK(top.counts[0] == 1073741824);
    CHECK(top.displs[1] == 1073741824);
}

TEST_CASE("splits MPI's int counts cannot express are refused with a reason") {
    CHECK_THROWS_WITH_AS((void)mpi_counts(rankpool::max_mpi_count + 1, 64),
                         "n = 2147483648 items exceed MPI's int counts and displacements (at "
                         "most 2147483647)",
                         rankpool::limit_error);
}
