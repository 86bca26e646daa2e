// Closed forms that check gathered results: sums of squares in exact 128-bit arithmetic.
#pragma once

#include <cstdint>
#include <string>

namespace rankpool {

__extension__ using uint128 = unsigned __int128;

/// The largest n for which every square in range(n) fits in 64 bits: (2^32 - 1)^2 < 2^64.
inline constexpr std::uint64_t max_squares_n = 4294967296u;

/// sum(x*x for x in range(n)) = n(n-1)(2n-1)/6, exact for n <= max_squares_n.
[[nodiscard]] uint128 sum_of_squares(std::uint64_t n);

/// sum(x*x for x in range(begin, end)), exact for end <= max_squares_n.
[[nodiscard]] uint128 sum_of_squares(std::uint64_t begin, std::uint64_t end);

/// Decimal text of a 128-bit unsigned integer.
[[nodiscard]] std::string to_string(uint128 v);

} // namespace rankpool
