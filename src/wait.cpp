// Waiting without spinning.
#include "rankpool/wait.hpp"

#include <algorithm>
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

std::optional<int> wait_quietly_unless(MPI_Request& req, const std::function<bool()>& give_up,
                                       std::chrono::microseconds longest) {
    auto step = std::min(std::chrono::microseconds(50), longest);
    for (int done = 0;;) {
        const int rc = MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done != 0 || rc != MPI_SUCCESS) {
            return rc;
        }
        if (give_up()) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(step);
        step = std::min(step * 2, longest);
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
