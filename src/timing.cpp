// Phase timers for collective operations.
#include "rankpool/timing.hpp"

#include <mpi.h>

namespace rankpool {

PhaseClock::PhaseClock(const boost::mpi::communicator& comm) {
    MPI_Barrier(comm);
    start_ = last_ = MPI_Wtime();
}

double PhaseClock::lap() {
    const double now = MPI_Wtime();
    const double d = now - last_;
    last_ = now;
    return d;
}

double PhaseClock::lapped() const {
    return last_ - start_;
}

double PhaseClock::elapsed() const {
    return MPI_Wtime() - start_;
}

MapTimes max_over_ranks(const boost::mpi::communicator& comm, const MapTimes& t) {
    std::array<double, 4> in{t.scatter, t.compute, t.gather, t.total};
    std::array<double, 4> out{};
    MPI_Allreduce(in.data(), out.data(), 4, MPI_DOUBLE, MPI_MAX, comm);
    return {out[0], out[1], out[2], out[3]};
}

} // namespace rankpool
