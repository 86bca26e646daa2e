// Tests of rankpool/checksum.hpp against brute force and known values.
#include <doctest/doctest.h>

#include "rankpool/checksum.hpp"

using rankpool::sum_of_squares;
using rankpool::uint128;

TEST_CASE("closed form equals the brute-force sum") {
    uint128 s = 0;
    for (std::uint64_t n = 0; n <= 2000; ++n) {
        CAPTURE(n);
        CHECK(sum_of_squares(n) == s);
        s += static_cast<uint128>(n) * n;
    }
}

TEST_CASE("the tutorial's values") {
    CHECK(sum_of_squares(10) == 285);
    CHECK(sum_of_squares(100) == 328350);
    CHECK(sum_of_squares(1000) == 332833500);
}

TEST_CASE("exact at the largest n whose squares fit 64 bits") {
    // n = 2^32: n(n-1)(2n-1)/6, computed independently in 128 bits
    const uint128 n = rankpool::max_squares_n;
    CHECK(sum_of_squares(rankpool::max_squares_n) == n * (n - 1) * (2 * n - 1) / 6);
    CHECK(rankpool::to_string(sum_of_squares(rankpool::max_squares_n)) ==
          "26409387495531407161709035520");
    CHECK(rankpool::to_string(sum_of_squares(100000000)) == "333333328333333350000000");
}

TEST_CASE("sums over a sub-range") {
    CHECK(sum_of_squares(3, 5) == 9 + 16);
    CHECK(sum_of_squares(5, 5) == 0);
    CHECK(sum_of_squares(6, 5) == 0);
}

TEST_CASE("128-bit decimal text") {
    CHECK(rankpool::to_string(0) == "0");
    CHECK(rankpool::to_string(18446744073709551615ull) == "18446744073709551615");
    CHECK(rankpool::to_string(static_cast<uint128>(18446744073709551615ull) + 1) ==
          "18446744073709551616");
}
