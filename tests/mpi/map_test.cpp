// Tests of rankpool/map.hpp under mpiexec: gathered values against formulas, every root, errors.
#include <array>
#include <list>
#include <numeric>
#include <span>
#include <stdexcept>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <doctest/doctest.h>
#include <mpi.h>

#include "rankpool/checksum.hpp"
#include "rankpool/map.hpp"

using namespace rankpool;

// Counts MPI_Barrier calls through MPI's profiling interface, to see which calls pay one.
namespace {
int barriers = 0;
}
extern "C" int MPI_Barrier(MPI_Comm comm) {
    ++barriers;
    return PMPI_Barrier(comm);
}

namespace {

/// Sizes that find partition bugs on p ranks: none, fewer items than ranks, exactly p, p*k + 1,
/// and a few fixed ones.
std::vector<std::uint64_t> sizes_for(int ranks) {
    const auto p = static_cast<std::uint64_t>(ranks);
    return {0, 1, p - 1, p, p + 1, 2 * p + 1, 3 * p + 1, 13, 1009};
}

/// The rank that computes item i of n on p ranks: the first n % p ranks take q + 1 items, the
/// others q (q = n / p). Written out here, independently of block_of.
int expected_rank(std::uint64_t i, std::uint64_t n, int p) {
    const auto P = static_cast<std::uint64_t>(p);
    const std::uint64_t q = n / P;
    const std::uint64_t extra = n % P;
    if (i < extra * (q + 1)) {
        return static_cast<int>(i / (q + 1));
    }
    return static_cast<int>(extra + (i - extra * (q + 1)) / q);
}

/// A 2x2 matrix of integers mod 2^64: multiplication is associative and not commutative.
struct Mat {
    std::uint64_t a = 1, b = 0, c = 0, d = 1; // the identity
    friend bool operator==(const Mat&, const Mat&) = default;
};

Mat operator*(const Mat& x, const Mat& y) {
    return {x.a * y.a + x.b * y.c, x.a * y.b + x.b * y.d, x.c * y.a + x.d * y.c,
            x.c * y.b + x.d * y.d};
}

/// A matrix per index; M(i) M(j) != M(j) M(i) whenever i != j.
Mat mat_of(std::uint64_t x) {
    return {x + 1, 1, 1, 0};
}

/// map accepts the range type In with an element function.
template <class In>
concept mappable = requires(const boost::mpi::communicator& c, const In& in) {
    rankpool::map(c, in, [](const auto& x) { return x; });
};

} // namespace

static_assert(mappable<std::vector<int>>);
static_assert(mappable<std::array<double, 3>>);
static_assert(mappable<int[4]>);
static_assert(mappable<Buffer<std::uint64_t>>);
static_assert(mappable<std::span<const float>>);
static_assert(mappable<std::span<float>>);
static_assert(!mappable<std::list<int>>); // not contiguous
static_assert(!mappable<int>);

TEST_CASE("map takes a vector, an array, a C array, a Buffer and a span") {
    const boost::mpi::communicator world;
    const auto twice = [](std::int32_t x) { return 2 * x; };
    const std::vector<std::int32_t> v = {1, 2, 3, 4, 5, 6, 7};
    const std::array<std::int32_t, 7> a = {1, 2, 3, 4, 5, 6, 7};
    const std::int32_t c[7] = {1, 2, 3, 4, 5, 6, 7};
    Buffer<std::int32_t> b(7);
    std::iota(b.begin(), b.end(), 1);
    const std::vector<std::int32_t> expected = {2, 4, 6, 8, 10, 12, 14};
    const auto check = [&](const Buffer<std::int32_t>& out) {
        if (world.rank() == 0) {
            CHECK(std::vector<std::int32_t>(out.begin(), out.end()) == expected);
        } else {
            CHECK(out.empty());
        }
    };
    check(map(world, v, twice));
    check(map(world, a, twice));
    check(map(world, c, twice));
    check(map(world, b, twice));
    check(map(world, std::span<const std::int32_t>(v), twice));
    check(map(world, std::span<std::int32_t>(b), twice));
    // The element type is deduced from the range; f's result type is the result's.
    const auto halves = map(world, std::vector<double>{1.0, 3.0}, [](double x) { return x / 2; });
    if (world.rank() == 0) {
        REQUIRE(halves.size() == 2);
        CHECK(halves[0] == 0.5);
        CHECK(halves[1] == 1.5);
    }
}

TEST_CASE("map over a std::vector at every root, sizes around the rank count, input read on "
          "the root only, item i computed by its block's rank") {
    const boost::mpi::communicator world;
    const int p = world.size();
    for (int root = 0; root < p; ++root) {
        for (const std::uint64_t n : sizes_for(p)) {
            CAPTURE(root);
            CAPTURE(n);
            // Only the root's input counts: the others pass junk of another length.
            std::vector<std::int64_t> input(world.rank() == root ? n : 5, 999);
            if (world.rank() == root) {
                std::iota(input.begin(), input.end(), -3);
            }
            // Each result says which rank computed it: x * 1000 + rank.
            const auto out =
                map(world, input, [&](std::int64_t x) { return x * 1000 + world.rank(); },
                    {.root = root});
            if (world.rank() == root) {
                REQUIRE(out.size() == n);
                bool values = true;
                bool ranks = true;
                for (std::uint64_t i = 0; i < n; ++i) {
                    const std::int64_t r = out[i] - (static_cast<std::int64_t>(i) - 3) * 1000;
                    values = values && r >= 0 && r < p;
                    ranks = ranks && r == expected_rank(i, n, p);
                }
                CHECK(values);
                CHECK(ranks);
            } else {
                CHECK(out.empty());
            }
        }
    }
}

TEST_CASE("map_range squares range(a, b) at every root, sizes around the rank count") {
    const boost::mpi::communicator world;
    for (int root = 0; root < world.size(); ++root) {
        for (const std::uint64_t n : sizes_for(world.size())) {
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
    const auto out =
        map_range(world, root ? 0 : 999, root ? 10 : 5, [](std::uint64_t x) { return x + 1; });
    if (root) {
        REQUIRE(out.size() == 10);
        CHECK(out[0] == 1);
        CHECK(out[9] == 10);
    }
}

TEST_CASE("map_reduce sums without gathering, at every root") {
    const boost::mpi::communicator world;
    for (int root = 0; root < world.size(); ++root) {
        for (const std::uint64_t n : sizes_for(world.size())) {
            CAPTURE(root);
            CAPTURE(n);
            const uint128 s = map_reduce(world, 0, n, uint128{0}, std::plus<>{},
                                         [](std::uint64_t x) { return x * x; }, {.root = root});
            CHECK(s == (world.rank() == root ? sum_of_squares(n) : 0));
        }
    }
}

TEST_CASE("map_reduce with an associative, non-commutative op folds in index order") {
    const boost::mpi::communicator world;
    const auto times = [](const Mat& x, const Mat& y) { return x * y; };
    for (int root = 0; root < world.size(); ++root) {
        for (const std::uint64_t n : sizes_for(world.size())) {
            CAPTURE(root);
            CAPTURE(n);
            Mat expected;
            Mat reversed;
            for (std::uint64_t x = 5; x < 5 + n; ++x) {
                expected = expected * mat_of(x);
                reversed = mat_of(x) * reversed;
            }
            // The op really does not commute on these inputs: another order gives another value.
            CHECK((n < 2 || expected != reversed));
            const Mat m = map_reduce(world, 5, 5 + n, Mat{}, times, mat_of, {.root = root});
            CHECK(m == (world.rank() == root ? expected : Mat{}));
        }
    }
}

TEST_CASE("map_reduce is exact where partial sums exceed 64 bits") {
    const boost::mpi::communicator world;
    // Squares of [2^32 - 3000, 2^32): each about 2^64, their sum far above it.
    const std::uint64_t b = max_squares_n;
    const uint128 s = map_reduce(world, b - 3000, b, uint128{0}, std::plus<>{},
                                 [](std::uint64_t x) { return x * x; });
    if (world.rank() == 0) {
        CHECK(s == sum_of_squares(b - 3000, b));
    }
}

TEST_CASE("on halves of the world: each half maps its own input at a non-zero root") {
    const boost::mpi::communicator world;
    const int color = world.rank() < (world.size() + 1) / 2 ? 0 : 1;
    const auto half = world.split(color);
    const int root = half.size() - 1;
    const std::uint64_t n = 3 * static_cast<std::uint64_t>(half.size()) + 1;
    // The halves' inputs differ, so results that crossed between them would show.
    std::vector<std::uint64_t> input(half.rank() == root ? n : 0);
    std::iota(input.begin(), input.end(), std::uint64_t{100} * static_cast<std::uint64_t>(color));
    const auto out = map(half, input, [](std::uint64_t x) { return x * x; }, {.root = root});
    const auto mapped = map_range(
        half, 0, n, [&](std::uint64_t x) { return x + 7 * static_cast<std::uint64_t>(color); },
        {.root = root});
    const Mat folded =
        map_reduce(half, 0, n, Mat{}, [](const Mat& x, const Mat& y) { return x * y; }, mat_of,
                   {.root = root});
    if (half.rank() == root) {
        REQUIRE(out.size() == n);
        REQUIRE(mapped.size() == n);
        bool squares = true;
        bool shifted = true;
        Mat expected;
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::uint64_t x = 100 * static_cast<std::uint64_t>(color) + i;
            squares = squares && out[i] == x * x;
            shifted = shifted && mapped[i] == i + 7 * static_cast<std::uint64_t>(color);
            expected = expected * mat_of(i);
        }
        CHECK(squares);
        CHECK(shifted);
        CHECK(folded == expected);
    } else {
        CHECK(out.empty());
        CHECK(mapped.empty());
        CHECK(folded == Mat{});
    }
}

TEST_CASE("phase times are written only when asked for and add up to the total") {
    const boost::mpi::communicator world;
    const auto square = [](std::uint64_t x) { return x * x; };
    const std::vector<std::uint64_t> input(world.rank() == 0 ? 1000 : 0, 3);
    const auto check_times = [](const MapTimes& t) {
        CHECK(t.scatter >= 0);
        CHECK(t.compute >= 0);
        CHECK(t.gather >= 0);
        // total runs from the start to the end of the gather; the phases tile it.
        CHECK(t.scatter + t.compute + t.gather == doctest::Approx(t.total).epsilon(1e-12));
    };
    const MapTimes unset{-1, -1, -1, -1};
    MapTimes t = unset;
    (void)map(world, input, square, {.times = &t});
    check_times(t);
    t = unset;
    (void)map_range(world, 0, 1000, square, {.times = &t});
    check_times(t);
    t = unset;
    (void)map_reduce(world, 0, 1000, uint128{0}, std::plus<>{}, square, {.times = &t});
    check_times(t);
}

TEST_CASE("the timing barrier is paid only when times are asked for") {
    const boost::mpi::communicator world;
    const auto square = [](std::uint64_t x) { return x * x; };
    const std::vector<std::uint64_t> input(world.rank() == 0 ? 10 : 0, 3);
    MapTimes t;
    int before = barriers;
    (void)map(world, input, square);
    (void)map_range(world, 0, 10, square);
    (void)map_reduce(world, 0, 10, uint128{0}, std::plus<>{}, square);
    CHECK(barriers == before);
    before = barriers;
    (void)map(world, input, square, {.times = &t});
    CHECK(barriers == before + 1);
    (void)map_range(world, 0, 10, square, {.times = &t});
    CHECK(barriers == before + 2);
    (void)map_reduce(world, 0, 10, uint128{0}, std::plus<>{}, square, {.times = &t});
    CHECK(barriers == before + 3);
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

TEST_CASE("map's failures are listed on a non-zero root") {
    const boost::mpi::communicator world;
    const int root = world.size() - 1;
    const std::vector<std::int32_t> input(world.rank() == root ? 9 : 0, 1);
    bool raised = false;
    try {
        (void)map(world, input,
                  [](std::int32_t) -> std::int32_t { throw std::runtime_error("never works"); },
                  {.root = root});
    } catch (const task_error& e) {
        raised = true;
        if (world.rank() == root) {
            // Every rank with items fails at its block's first index.
            const auto p = static_cast<std::size_t>(world.size());
            REQUIRE(e.failures().size() == std::min<std::size_t>(p, 9));
            CHECK(e.failures().front().index == 0);
            CHECK(e.failures().front().rank == 0);
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

TEST_CASE("a root outside the communicator is refused") {
    const boost::mpi::communicator world;
    const auto id = [](std::uint64_t x) { return x; };
    const std::vector<std::uint64_t> input = {1, 2};
    for (const int root : {-1, world.size()}) {
        CAPTURE(root);
        CHECK_THROWS_AS((void)map(world, input, id, {.root = root}), std::invalid_argument);
        CHECK_THROWS_AS((void)map_range(world, 0, 1, id, {.root = root}), std::invalid_argument);
        CHECK_THROWS_AS(
            (void)map_reduce(world, 0, 1, std::uint64_t{0}, std::plus<>{}, id, {.root = root}),
            std::invalid_argument);
    }
}
