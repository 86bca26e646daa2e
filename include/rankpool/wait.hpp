// Waiting without spinning: ranks that only wait leave the cores to the ranks that work.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include <boost/mpi/communicator.hpp>
#include <mpi.h>

namespace rankpool {

/// Completes `req` by testing it every `poll` and sleeping in between, instead of Open MPI's
/// blocking wait, which polls at full speed and takes a core from the ranks being timed.
void wait_quietly(MPI_Request& req,
                  std::chrono::microseconds poll = std::chrono::microseconds(1000));

/// Completes `req` as wait_quietly does, testing it in growing steps (50 us, doubling up to
/// `longest`), and asks `give_up` before each pause: when it says true, returns nothing and
/// leaves `req` pending (cancel or free it). Otherwise returns MPI_Test's code (MPI_SUCCESS, or
/// the error under MPI_ERRORS_RETURN). For waits on a peer that may die where MPI would not say.
[[nodiscard]] std::optional<int>
wait_quietly_unless(MPI_Request& req, const std::function<bool()>& give_up,
                    std::chrono::microseconds longest = std::chrono::microseconds(1000));

/// MPI_Barrier that waits quietly (MPI_Ibarrier and wait_quietly). Collective.
void quiet_barrier(const boost::mpi::communicator& comm);

/// MPI_Bcast of one int that waits quietly (MPI_Ibcast and wait_quietly). Collective.
void quiet_bcast(const boost::mpi::communicator& comm, int& value, int root);

} // namespace rankpool
