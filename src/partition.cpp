// Balanced block partition of n items over p ranks.
#include "rankpool/partition.hpp"

#include <algorithm>
#include <string>

namespace rankpool {

Block block_of(std::uint64_t n, int p, int r) {
    if (p < 1 || r < 0 || r >= p) {
        throw std::invalid_argument("block_of: need p >= 1 and 0 <= r < p, got p = " +
                                    std::to_string(p) + ", r = " + std::to_string(r));
    }
    const auto P = static_cast<std::uint64_t>(p);
    const auto R = static_cast<std::uint64_t>(r);
    const std::uint64_t q = n / P;
    const std::uint64_t extra = n % P;
    // R * q <= n and min(R, extra) <= n - R * q, so neither term nor the sum overflows.
    const std::uint64_t begin = R * q + std::min(R, extra);
    return {begin, begin + q + (R < extra ? 1 : 0)};
}

Counts mpi_counts(std::uint64_t n, int p) {
    if (n > max_mpi_count) {
        throw limit_error("n = " + std::to_string(n) + " items exceed MPI's int counts and " +
                          "displacements (at most " + std::to_string(max_mpi_count) + ")");
    }
    Counts c;
    c.counts.resize(static_cast<std::size_t>(p));
    c.displs.resize(static_cast<std::size_t>(p));
    for (int r = 0; r < p; ++r) {
        const Block b = block_of(n, p, r);
        c.counts[static_cast<std::size_t>(r)] = static_cast<int>(b.size());
        c.displs[static_cast<std::size_t>(r)] = static_cast<int>(b.begin);
    }
    return c;
}

} // namespace rankpool
