// Balanced block partition of n items over p ranks: pure arithmetic, no MPI.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace rankpool {

/// Thrown when a request exceeds what MPI or this machine can express or hold.
class limit_error : public std::length_error {
public:
    using std::length_error::length_error;
};

/// Half-open interval [begin, end) of item indices.
struct Block {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    [[nodiscard]] std::uint64_t size() const noexcept { return end - begin; }
    friend bool operator==(const Block&, const Block&) = default;
};

/// The block of rank `r` when n items are split over p ranks: the first n % p ranks get one item
/// more, so block sizes differ by at most one and blocks are contiguous in rank order.
/// Requires p >= 1 and 0 <= r < p; exact for every n up to 2^64 - 1.
[[nodiscard]] Block block_of(std::uint64_t n, int p, int r);

/// Counts and displacements, in items, as MPI_Scatterv / MPI_Gatherv take them.
struct Counts {
    std::vector<int> counts;
    std::vector<int> displs;
};

/// The largest item count or displacement an MPI int argument can carry.
inline constexpr std::uint64_t max_mpi_count = 2147483647u;

/// block_of for every rank, as MPI int counts. Throws limit_error when a count or displacement
/// would not fit in an int (n > 2^31 - 1), saying so.
[[nodiscard]] Counts mpi_counts(std::uint64_t n, int p);

} // namespace rankpool
