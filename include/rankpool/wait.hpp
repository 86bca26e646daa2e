// Waiting without spinning: ranks that only wait leave the cores to the ranks that work.
#pragma once

#include <chrono>

#include <boost/mpi/communicator.hpp>
#include <mpi.h>

namespace rankpool {

/// Completes `req` by testing it every `poll` and sleeping in between, instead of Open MPI's
/// blocking wait, which polls at full speed and takes a core from the ranks being timed.
void wait_quietly(MPI_Request& req,
                  std::chrono::microseconds poll = std::chrono::microseconds(1000));

/// MPI_Barrier that waits quietly (MPI_Ibarrier and wait_quietly). Collective.
void quiet_barrier(const boost::mpi::communicator& comm);

/// MPI_Bcast of one int that waits quietly (MPI_Ibcast and wait_quietly). Collective.
void quiet_bcast(const boost::mpi::communicator& comm, int& value, int root);

} // namespace rankpool
