// The non-template parts of the collective map: argument checks and cross-rank error agreement.
#include "rankpool/map.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <boost/mpi/collectives/gather.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "rankpool/run_info.hpp"

namespace rankpool::detail {

void check_root(const boost::mpi::communicator& comm, int root) {
    if (root < 0 || root >= comm.size()) {
        throw std::invalid_argument("root must be in [0, " + std::to_string(comm.size()) +
                                    "), got " + std::to_string(root));
    }
}

TaskFailure failure_here(const boost::mpi::communicator& comm, std::uint64_t index,
                         const char* message) {
    return {index, comm.rank(), processor_name(), message};
}

void raise_if_any_failed(const boost::mpi::communicator& comm,
                         const std::optional<TaskFailure>& mine, int root) {
    int local = mine ? 1 : 0;
    int any = 0;
    MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm);
    if (any == 0) {
        return;
    }
    // Boost.Serialization has no std::optional: each rank sends zero or one failure.
    std::vector<TaskFailure> failures;
    const std::vector<TaskFailure> local_failures =
        mine ? std::vector<TaskFailure>{*mine} : std::vector<TaskFailure>{};
    if (comm.rank() == root) {
        std::vector<std::vector<TaskFailure>> all;
        boost::mpi::gather(comm, local_failures, all, root);
        for (auto& fs : all) {
            failures.insert(failures.end(), fs.begin(), fs.end());
        }
        std::sort(failures.begin(), failures.end(),
                  [](const auto& a, const auto& b) { return a.index < b.index; });
    } else {
        boost::mpi::gather(comm, local_failures, root);
        failures = local_failures;
    }
    throw task_error(std::move(failures));
}

} // namespace rankpool::detail
