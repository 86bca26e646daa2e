// Who ran a job: each rank's host and peak memory, collected on the root for reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>

namespace rankpool {

/// One rank's identity and footprint.
struct RankInfo {
    std::string host;
    std::uint64_t pid = 0;
    std::uint64_t max_rss_bytes = 0; ///< peak resident memory so far (getrusage)
    int host_cpus = 0;               ///< CPUs online on its host
    int cpus_allowed = 0;            ///< CPUs this rank may run on (its affinity mask, its binding)
    std::string thread_level;        ///< what MPI_Init_thread gave it ("single", "funneled", ...)

    template <class Archive>
    void serialize(Archive& ar, unsigned /*version*/) {
        ar& host& pid& max_rss_bytes& host_cpus& cpus_allowed& thread_level;
    }
};

/// This rank's host name, as MPI_Get_processor_name gives it.
[[nodiscard]] std::string processor_name();

/// This rank's RankInfo, read now.
[[nodiscard]] RankInfo local_rank_info();

/// Collective: every rank's RankInfo, indexed by rank, on the root (empty elsewhere).
[[nodiscard]] std::vector<RankInfo> gather_rank_info(const boost::mpi::communicator& comm,
                                                     int root = 0);

/// Bytes of memory this process can still get, or 0 if that cannot be read: the tightest of
/// MemAvailable, its cgroup's limit and its rlimits (see available_memory in memory.hpp, which
/// also says which limit it is).
[[nodiscard]] std::uint64_t available_memory_bytes();

} // namespace rankpool
