// Who ran a job: hosts and peak memory per rank.
#include "rankpool/run_info.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/mpi/collectives/gather.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "rankpool/map.hpp"
#include "rankpool/memory.hpp"

namespace rankpool {

RankInfo local_rank_info() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return {detail::processor_name(), static_cast<std::uint64_t>(getpid()),
            static_cast<std::uint64_t>(u.ru_maxrss) * 1024u};
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
