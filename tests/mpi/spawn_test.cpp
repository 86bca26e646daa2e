// Tests of rankpool/spawn.hpp under mpiexec: a failed spawn is an exception on every rank, not
// an aborted job, and the communicator's error handler is restored.
#include <stdexcept>

#include <boost/mpi/communicator.hpp>
#include <doctest/doctest.h>
#include <mpi.h>

#include "rankpool/spawn.hpp"

using namespace rankpool;

TEST_CASE("spawning a program that does not exist throws spawn_error on every rank") {
    const boost::mpi::communicator world;
    MPI_Errhandler before = MPI_ERRHANDLER_NULL;
    MPI_Comm_get_errhandler(world, &before);
    CHECK_THROWS_AS(static_cast<void>(spawn(world, "/nonexistent/rankpool-no-such-program", {},
                                            default_spawn_info(), 1, 0)),
                    spawn_error);
    MPI_Errhandler after = MPI_ERRHANDLER_NULL;
    MPI_Comm_get_errhandler(world, &after);
    CHECK(after == before);
    MPI_Errhandler_free(&before);
    MPI_Errhandler_free(&after);
    // The job goes on: a collective still works.
    int one = 1;
    int sum = 0;
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, world);
    CHECK(sum == world.size());
}

TEST_CASE("bad arguments are refused before MPI is asked") {
    const boost::mpi::communicator world;
    CHECK_THROWS_AS(static_cast<void>(spawn(world, "x", {}, {}, 0, 0)), std::invalid_argument);
    CHECK_THROWS_AS(static_cast<void>(spawn(world, "x", {}, {}, 1, world.size())),
                    std::invalid_argument);
}

TEST_CASE("a process started by mpiexec has no spawn parent") {
    CHECK_FALSE(spawn_parent().connected());
}
