// Tests of rankpool/wait.hpp under mpiexec: quiet waits complete, and give up when told to.
#include <boost/mpi/communicator.hpp>
#include <doctest/doctest.h>
#include <mpi.h>

#include "rankpool/wait.hpp"

using namespace rankpool;

TEST_CASE("wait_quietly_unless completes a request that completes, without asking twice") {
    const boost::mpi::communicator world;
    const int right = (world.rank() + 1) % world.size();
    const int left = (world.rank() + world.size() - 1) % world.size();
    int sent = world.rank() * 10 + 7;
    int got = -1;
    MPI_Request send = MPI_REQUEST_NULL;
    MPI_Request recv = MPI_REQUEST_NULL;
    MPI_Irecv(&got, 1, MPI_INT, left, 5, world, &recv);
    MPI_Isend(&sent, 1, MPI_INT, right, 5, world, &send);
    int asked = 0;
    const auto rc = wait_quietly_unless(recv, [&] { return ++asked < 0; });
    REQUIRE(rc);
    CHECK(*rc == MPI_SUCCESS);
    CHECK(got == left * 10 + 7);
    CHECK(recv == MPI_REQUEST_NULL);
    wait_quietly(send);
}

TEST_CASE("wait_quietly_unless gives up when asked, leaving the request pending") {
    const boost::mpi::communicator world;
    int never = 0;
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Irecv(&never, 1, MPI_INT, world.rank(), 99, world, &req); // nobody sends tag 99
    int asked = 0;
    const auto rc = wait_quietly_unless(
        req, [&] { return ++asked == 12; }, std::chrono::microseconds(200));
    CHECK_FALSE(rc);
    CHECK(asked == 12);
    REQUIRE(req != MPI_REQUEST_NULL);
    MPI_Cancel(&req);
    MPI_Status status;
    MPI_Wait(&req, &status);
    int cancelled = 0;
    MPI_Test_cancelled(&status, &cancelled);
    CHECK(cancelled == 1);
    quiet_barrier(world);
}
