// Closed forms for sums of squares.
#include "rankpool/checksum.hpp"

#include <algorithm>

namespace rankpool {

uint128 sum_of_squares(std::uint64_t n) {
    if (n == 0) {
        return 0;
    }
    // Divide before multiplying where possible: among n, n-1 one is even and among n, n-1, 2n-1
    // one is a multiple of 3, so the product stays below 2^98 for n <= 2^32.
    uint128 a = n;
    uint128 b = n - 1;
    uint128 c = 2 * static_cast<uint128>(n) - 1;
    (a % 2 == 0 ? a : b) /= 2;
    if (a % 3 == 0) {
        a /= 3;
    } else if (b % 3 == 0) {
        b /= 3;
    } else {
        c /= 3;
    }
    return a * b * c;
}

uint128 sum_of_squares(std::uint64_t begin, std::uint64_t end) {
    return end <= begin ? 0 : sum_of_squares(end) - sum_of_squares(begin);
}

std::string to_string(uint128 v) {
    if (v == 0) {
        return "0";
    }
    std::string s;
    while (v != 0) {
        s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    std::reverse(s.begin(), s.end());
    return s;
}

} // namespace rankpool
