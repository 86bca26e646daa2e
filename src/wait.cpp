// Waiting without spinning.
#include "rankpool/wait.hpp"

#include <thread>

namespace rankpool {

void wait_quietly(MPI_Request& req, std::chrono::microseconds poll) {
    for (int done = 0;;) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done != 0) {
            return;
        }
        std::this_thread::sleep_for(poll);
    }
}

void quiet_barrier(const boost::mpi::communicator& comm) {
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Ibarrier(comm, &req);
    wait_quietly(req);
}

void quiet_bcast(const boost::mpi::communicator& comm, int& value, int root) {
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Ibcast(&value, 1, MPI_INT, root, comm, &req);
    wait_quietly(req);
}

} // namespace rankpool
