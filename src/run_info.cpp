// Who ran a job: hosts and peak memory per rank.
#include "rankpool/run_info.hpp"

#include <fstream>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/mpi/collectives/gather.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <mpi.h>

#include "rankpool/memory.hpp"
#include "rankpool/mpi_env.hpp"

namespace rankpool {

std::string processor_name() {
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPI_Get_processor_name(name, &len);
    return {name, static_cast<std::size_t>(len)};
}

RankInfo local_rank_info() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    cpu_set_t set;
    CPU_ZERO(&set);
    const int allowed = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    return {processor_name(), static_cast<std::uint64_t>(getpid()),
            // glibc declares rusage's fields inside unions:
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access)
            static_cast<std::uint64_t>(u.ru_maxrss) * 1024u,
            static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), allowed,
            std::string(to_string(provided_thread_level()))};
}

std::vector<RankInfo> gather_rank_info(const boost::mpi::communicator& comm, int root) {
    std::vector<RankInfo> all;
    if (comm.rank() == root) {
        boost::mpi::gather(comm, local_rank_info(), all, root);
    } else {
        boost::mpi::gather(comm, local_rank_info(), root);
    }
    return all;
}

std::uint64_t available_memory_bytes() {
    const auto limit = available_memory();
    return limit ? limit->bytes : 0;
}

} // namespace rankpool
