// `rankpool doctor`: a preflight check of the launcher, placement, bindings and links of a job.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/preflight.hpp"
#include "rankpool/probe.hpp"

namespace rankpool::commands {

/// The longest --timeout doctor takes, in seconds.
inline constexpr double max_doctor_timeout = 600;

struct DoctorOptions {
    /// How long rank 0 waits for each rank to answer, and each pair of ranks for each other.
    std::chrono::milliseconds timeout{5000};
    /// This rank's launcher, read before MPI_Init (a singleton's MPI_Init sets PMIx variables
    /// of its own); read when doctor runs if empty.
    std::optional<LaunchFacts> launch;
};

/// What one rank tells rank 0 about itself.
struct RankFacts {
    int rank = 0;
    std::string host;
    std::uint64_t pid = 0;
    std::uint64_t max_rss_bytes = 0;
    int host_cpus = 0;    ///< CPUs online on its host
    int cpus_allowed = 0; ///< CPUs it may run on (its binding)
    std::string cpus;     ///< which, as Linux lists them ("0-1")
    LaunchFacts launch;
};

[[nodiscard]] nlohmann::ordered_json to_json(const RankFacts& f);
/// The facts a rank sent as JSON text; throws nlohmann::json::exception on garbage.
[[nodiscard]] RankFacts rank_facts_from(const nlohmann::json& j);

/// One host's ranks and CPUs, and what is wrong with them.
struct HostSummary {
    std::string host;
    std::vector<int> ranks;
    int cpus = 0;             ///< CPUs online (its lowest rank's view)
    std::vector<int> unbound; ///< ranks free to run on every CPU of a host they share
    [[nodiscard]] bool oversubscribed() const { return std::ssize(ranks) > cpus; }
    [[nodiscard]] int idle_cpus() const {
        return std::max(0, cpus - static_cast<int>(ranks.size()));
    }
};

/// The hosts of the ranks that answered, in the order of their lowest rank.
[[nodiscard]] std::vector<HostSummary>
summarize_hosts(const std::vector<std::optional<RankFacts>>& facts);

/// A known way to go wrong, found in the facts, and what to do about it.
struct Pitfall {
    std::string id;      ///< srun_mpirun, spawn_unsupported, oversubscribed, idle_cpus, unbound,
                         ///< unreachable
    std::string problem; ///< what is the case, with names and numbers
    std::string fix;     ///< what to do
};

/// One measured pair as rank 0 reports it.
struct PairReport {
    PairOutcome outcome;
    std::string host_a;
    std::string host_b;
};

/// What doctor found: a value with a text and a JSON view. Complete on rank 0.
struct DoctorReport {
    DoctorOptions options;
    int ranks = 0;
    std::string mpi_library; ///< the first line of MPI_Get_library_version
    std::string thread_level;
    LaunchFacts launch; ///< rank 0's
    std::optional<std::string> spawn_unsupported;
    std::vector<std::optional<RankFacts>> facts; ///< by rank; empty: it did not answer rank 0
    /// By rank: for a rank that did not answer, its host as the launcher names it (PMIx), or "".
    std::vector<std::string> silent_hosts;
    std::vector<HostSummary> hosts;
    std::vector<PairReport> pairs; ///< in the plan's order
    std::vector<Pitfall> pitfalls;
    double probe_seconds = 0;
    double total_seconds = 0;

    /// Ranks that did not answer rank 0 within the timeout.
    [[nodiscard]] std::vector<int> silent() const;
    /// One line per rank that did not answer and per pair that failed.
    [[nodiscard]] std::vector<std::string> failures() const;
    /// Every rank answered and every pair answered and was measured.
    [[nodiscard]] bool ok() const { return failures().empty(); }
};

/// The pitfalls of a report's facts (launcher, spawn, hosts, pairs and silent ranks), in that
/// order. Pure.
[[nodiscard]] std::vector<Pitfall> find_pitfalls(const DoctorReport& r);

/// "rank 0 (rp-h1) <-> rank 2 (rp-h2)", or "ranks 0 and 1 within rp-h1".
[[nodiscard]] std::string describe(const PairReport& p);

[[nodiscard]] nlohmann::ordered_json to_json(const DoctorOptions& o);
[[nodiscard]] nlohmann::ordered_json to_json(const PairOutcome& o);
[[nodiscard]] PairOutcome pair_outcome_from(const nlohmann::json& j);
/// The report's part of the JSON envelope: ok, options, seconds, results, detail.
[[nodiscard]] nlohmann::ordered_json to_json(const DoctorReport& r);
[[nodiscard]] std::vector<std::string> to_text(const DoctorReport& r);

/// Runs the checks (see the README fragment docs/doctor.md): each rank sends rank 0 its facts,
/// rank 0 waits at most o.timeout for them, plans the pairs (probe_plan) and sends the plan, the
/// ranks ping-pong (ping_pong), the first rank of each pair sends rank 0 the outcome. Rank 0
/// waits only within deadlines; other ranks may wait without one for rank 0's messages. Not
/// collective in MPI's sense: no rank enters an MPI collective. The report is complete on rank 0.
DoctorReport run_doctor(const boost::mpi::communicator& comm, const DoctorOptions& o);

/// After rank 0 has shown the report: when it is ok, rank 0 tells every rank so and every rank
/// returns true. When it is not, rank 0 returns false at once and tells no one: the caller must
/// end the job (MPI_Abort), and the other ranks wait here until it does.
bool share_verdict(const boost::mpi::communicator& comm, const DoctorReport& r);

} // namespace rankpool::commands
