// Messages with deadlines and a ping-pong between pairs of ranks: nothing here waits forever.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>

#include "rankpool/preflight.hpp"

namespace rankpool {

/// The tags these functions use on the communicator they are given (keep them free).
inline constexpr int probe_tag_first = 32700;
inline constexpr int probe_tag_last = 32709;

/// Sizes and the bound of the ping-pong.
struct PingPongOptions {
    std::chrono::milliseconds timeout{5000}; ///< per pair, and for the reachability round
    std::uint64_t latency_round_trips = 1000;
    std::size_t latency_bytes = 8;
    std::uint64_t bandwidth_round_trips = 20;
    std::size_t bandwidth_bytes = std::size_t{1} << 20; ///< at least 1, as latency_bytes
    /// Each of the two measurements of a pair stops early, with fewer round trips, after this.
    std::chrono::milliseconds budget{250};
};

/// What one pair measured, as its first rank (`pair.a`) saw it.
struct PairOutcome {
    ProbePair pair;
    bool ok = false;
    std::string error;    ///< why not ok: "no answer within 5 s", or MPI's error text
    double latency = 0;   ///< one way, seconds (latency_from)
    double bandwidth = 0; ///< bytes per second (bandwidth_from)
    double seconds = 0;   ///< the pair's whole exchange, warm-up included
    std::uint64_t latency_round_trips = 0;   ///< timed (fewer than asked when the budget ran out)
    std::uint64_t bandwidth_round_trips = 0; ///< timed
};

/// Which ranks the root exchanges texts with: one flag per rank of the communicator (the root's
/// own is ignored), or empty for every rank.
using RankSet = std::vector<bool>;

/// Rank `root` collects one text from every other rank in `from` (all when empty), waiting at
/// most `timeout` from the call; its result holds `mine` at `root` and nothing for each rank not
/// heard from by then. Every other rank sends `mine` and waits (quietly, without a deadline)
/// until it is delivered; it returns an empty vector. `tag` must be one of the probe tags.
[[nodiscard]] std::vector<std::optional<std::string>>
gather_texts(const boost::mpi::communicator& comm, const std::string& mine, int root,
             std::chrono::milliseconds timeout, int tag, const RankSet& from = {});

/// Rank `root` sends `text` to every other rank in `to` (all when empty) without waiting for the
/// sends to complete (they complete in the background; the buffer is kept); it returns `text`.
/// Every other rank waits (quietly, without a deadline) for root's text and returns it. Use it
/// only where the root either sends or ends the job: a rank the root leaves out or cannot reach
/// waits here until the job is aborted.
[[nodiscard]] std::string broadcast_text(const boost::mpi::communicator& comm,
                                         const std::string& text, int root, int tag,
                                         const RankSet& to = {});

/// This rank's part of the ping-pong of every pair in `plan` that it is in (any other rank's
/// pairs are skipped). First, at once for all its pairs, one small message each way (a pair
/// with no answer within o.timeout, or an MPI error, fails here and is not measured); then, in
/// round order, for each pair: one warm-up round trip, o.latency_round_trips round trips of
/// o.latency_bytes, one warm-up and o.bandwidth_round_trips round trips of o.bandwidth_bytes
/// each way, each of the two timed parts cut short after o.budget. Deadlines count from the call
/// (the ranks call it at about the same time): the first step ends by o.timeout, a pair of round k
/// by (k + 2) * o.timeout, so each round has o.timeout and a partner late from an earlier round is
/// waited for. The ranks of a pair poll without pause while they measure (after 1 ms without
/// progress they sleep between polls too); waiting ranks sleep between polls. Returns the outcome
/// of each pair whose first rank is this one, in plan order.
///
/// Not collective, and never waits past its deadlines: a failed pair leaves requests that will
/// not complete, whose buffers are kept for the rest of the process. After a failure the job
/// cannot finish MPI normally (a barrier would wait on the unreachable rank): end it with
/// MPI_Abort once the outcome is reported. Runs with MPI_ERRORS_RETURN on `comm` (its handler
/// is restored afterwards).
[[nodiscard]] std::vector<PairOutcome> ping_pong(const boost::mpi::communicator& comm,
                                                 std::span<const ProbePair> plan,
                                                 const PingPongOptions& o);

/// The host of each of `ranks` (of MPI_COMM_WORLD) as the launcher knows it, for ranks that
/// cannot tell it themselves: PMIx's PMIX_HOSTNAME, from the PMIx library Open MPI loaded (mpirun
/// and srun --mpi=pmix both provide it). An empty string where it cannot be told (no PMIx, or
/// rankpool built without pmix.h). Local: asks no other rank.
[[nodiscard]] std::vector<std::string> launcher_hosts(const std::vector<int>& ranks);

/// This rank's CPUs from sched_getaffinity, ascending (empty if it cannot be read).
[[nodiscard]] std::vector<int> affinity_cpus();

} // namespace rankpool
