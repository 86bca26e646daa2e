// Waiting without spinning: the one Pacer, used by the executor's loops and by wait_quietly.
#include "rankpool/wait.hpp"

#include <algorithm>
#include <sched.h>
#include <thread>

namespace rankpool {

void Pacer::pause() {
    const auto now = Clock::now();
    if (idle_since_ == Clock::time_point{}) {
        idle_since_ = now;
    }
    const auto idle_for = now - idle_since_;
    if (idle_for < s_.spin_for) {
        return;
    }
    if (idle_for < s_.yield_until) {
        sched_yield();
        return;
    }
    std::this_thread::sleep_for(step_);
    step_ = std::min(step_ * 2, s_.longest_sleep);
}

void wait_quietly(MPI_Request& req, std::chrono::microseconds poll) {
    Pacer pacer(
        PacerSettings{std::chrono::microseconds(0), std::chrono::microseconds(0), poll, poll, 1});
    for (int done = 0;;) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done != 0) {
            return;
        }
        pacer.idle();
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
