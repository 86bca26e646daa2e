// Pure facts for `rankpool doctor`: the launcher, CPU lists, ranks per host, probe pairs, links.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rankpool {

/// How this process was started, as its environment tells (see read_launch).
struct LaunchFacts {
    std::string launcher;   ///< "mpirun", "srun" or "singleton" ("other" for other PMI launchers)
    std::string slurm_job;  ///< SLURM_JOB_ID, empty outside a Slurm job
    std::string slurm_step; ///< SLURM_STEP_ID, empty outside an srun step (a batch shell has none)
    int slurm_step_tasks = 0; ///< SLURM_STEP_NUM_TASKS: how many tasks srun started (0 if unset)
    /// mpirun started inside an srun step (`srun mpirun`): OMPI_COMM_WORLD_SIZE and
    /// SLURM_STEP_ID are both set. mpirun in a batch shell or an salloc shell has no step.
    bool mpirun_under_srun = false;
};

/// Reads the launcher's environment: OMPI_COMM_WORLD_SIZE means mpirun (or mpiexec); otherwise
/// SLURM_STEP_ID means srun; otherwise PMIX_RANK or PMI_RANK some other launcher; otherwise the
/// process runs alone. `getenv` is injected for tests.
[[nodiscard]] LaunchFacts read_launch(const std::function<const char*(const char*)>& getenv);

/// A set of CPU numbers as Linux writes them (/sys/.../cpulist, taskset -c): ascending, each run
/// of consecutive numbers as "a-b", e.g. {5, 0, 1, 2, 7, 8} -> "0-2,5,7-8". Duplicates are
/// dropped; an empty set is "".
[[nodiscard]] std::string cpu_list(std::vector<int> cpus);

/// The ranks that run on one host.
struct HostGroup {
    std::string host;
    std::vector<int> ranks; ///< ascending
};

/// Ranks grouped by host, hosts in the order of their lowest rank. `hosts` is indexed by rank.
[[nodiscard]] std::vector<HostGroup> group_by_host(std::span<const std::string> hosts);

/// Two ranks to ping-pong: `a` starts each exchange, `b` answers.
struct ProbePair {
    int a = 0;
    int b = 0;
    int round = 0;          ///< pairs of one round run at once; rounds one after another
    bool same_host = false; ///< a and b share a host (the comparison within a host)
    friend bool operator==(const ProbePair&, const ProbePair&) = default;
};

/// Which pairs `rankpool doctor` measures, given each rank's host (indexed by rank; ranks whose
/// host is unknown, an empty string, take part in nothing): every pair of hosts once, between
/// the lowest rank of each, scheduled round-robin (circle method) so that a rank is in at most
/// one pair per round (h hosts: h - 1 rounds when h is even, h when odd); then one last round
/// with, for each host that runs two ranks or more, its two lowest ranks.
[[nodiscard]] std::vector<ProbePair> probe_plan(std::span<const std::string> hosts);

/// The number of rounds of a plan (the largest round + 1; 0 when empty).
[[nodiscard]] int plan_rounds(std::span<const ProbePair> plan);

/// One-way latency from a timed ping-pong: seconds / (2 * round_trips). 0 when nothing ran.
[[nodiscard]] double latency_from(double seconds, std::uint64_t round_trips);

/// Bandwidth in bytes per second from a timed ping-pong of `bytes` each way:
/// 2 * round_trips * bytes / seconds. 0 when nothing ran or no time passed.
[[nodiscard]] double bandwidth_from(double seconds, std::uint64_t round_trips, std::size_t bytes);

/// "0.8 us", "45.2 us", "1.25 ms", "2.00 s": a latency for people.
[[nodiscard]] std::string format_latency(double seconds);

/// "950 MB/s", "1.25 GB/s" (decimal units): a bandwidth for people.
[[nodiscard]] std::string format_bandwidth(double bytes_per_second);

/// "0", "0-3", "0-1,4": a set of ranks, as cpu_list writes CPUs.
[[nodiscard]] std::string rank_list(const std::vector<int>& ranks);

} // namespace rankpool
