// Phase timers for collective operations: barrier, MPI_Wtime, maximum over ranks.
#pragma once

#include <array>
#include <cstddef>

#include <boost/mpi/communicator.hpp>

namespace rankpool {

/// Seconds spent in each phase of a map on one rank, or (after max_over_ranks) the slowest rank's.
struct MapTimes {
    double scatter = 0; ///< distributing input or bounds
    double compute = 0; ///< applying the function to the local block
    double gather = 0;  ///< collecting results (or partial sums) on the root
    double total = 0;   ///< from the starting barrier to the end of the gather: the phases' sum
};

/// Marks phase boundaries with MPI_Wtime. The constructor waits at a barrier so that every rank
/// starts its clock together: construct one only when times are wanted.
class PhaseClock {
public:
    explicit PhaseClock(const boost::mpi::communicator& comm);
    /// Seconds since the previous lap (or the start) and restarts the lap.
    double lap();
    /// Seconds from the start to the end of the last lap: what the laps so far add up to.
    [[nodiscard]] double lapped() const;
    /// Seconds since the start.
    [[nodiscard]] double elapsed() const;

private:
    double start_;
    double last_;
};

/// The element-wise maximum of each rank's times, valid on every rank (an allreduce).
[[nodiscard]] MapTimes max_over_ranks(const boost::mpi::communicator& comm, const MapTimes& t);

} // namespace rankpool
