// `rankpool spawn N`: Process(target=worker, args=(range(N),)).start(); join() with MPI_Comm_spawn.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"
#include "rankpool/lifeline.hpp"

namespace rankpool::commands {

/// When `--crash-worker` makes the worker kill itself (SIGKILL): to see that its death ends the
/// run with an error rather than a hang.
enum class WorkerCrash {
    start,   ///< before MPI_Init: the parent is inside MPI_Comm_spawn
    compute, ///< after receiving the range: the parent waits for the sum
    join,    ///< after sending the sum: the parent is inside MPI_Comm_disconnect
};

[[nodiscard]] std::string_view worker_crash_name(WorkerCrash c);
/// "start", "compute" or "join"; nothing for anything else.
[[nodiscard]] std::optional<WorkerCrash> worker_crash_from_string(std::string_view s);

struct SpawnOptions {
    std::uint64_t n = 1000;
    bool oversubscribe = true; ///< spawn with map_by slot:OVERSUBSCRIBE
    std::optional<WorkerCrash> crash_worker;
};

/// What the spawned worker reported back.
struct SpawnedWorker {
    std::string host;
    std::uint64_t pid = 0;
    double seconds = 0; ///< its compute time
};

/// What a spawn run did: a value with a text and a JSON view. Complete on rank 0.
struct SpawnReport {
    SpawnOptions options;
    int ranks = 0;
    uint128 sum = 0;
    uint128 expected = 0;
    SpawnedWorker worker;
    double spawn_seconds = 0; ///< MPI_Comm_spawn alone
    double total_seconds = 0; ///< spawn, send, compute, receive, disconnect: start() to join()
    std::string error;        ///< why no worker ran (empty when one did); known on rank 0

    [[nodiscard]] bool ok() const { return error.empty() && sum == expected; }
};

[[nodiscard]] nlohmann::ordered_json to_json(const SpawnOptions& o);
/// The report's part of the JSON envelope: ok, options, seconds, results, detail.
[[nodiscard]] nlohmann::ordered_json to_json(const SpawnReport& r);
[[nodiscard]] std::vector<std::string> to_text(const SpawnReport& r);

/// Rank 0 spawns one worker (this program, `spawn-worker`) from MPI_COMM_SELF, sends it range(N),
/// receives its sum, disconnects; the other ranks wait. Collective over `comm`. A failed spawn, or
/// a worker that died before it returned its sum, is returned in `error` (on every rank the error
/// is non-empty), not thrown; a launcher known not to spawn throws usage_error. The worker holds a
/// Lifeline to rank 0 from before its MPI_Init: when it dies while rank 0 is inside MPI_Comm_spawn
/// or MPI_Comm_disconnect (calls that cannot be polled), rank 0 prints the error line and ends the
/// process, exit 1.
SpawnReport run_spawn(const boost::mpi::communicator& comm, const SpawnOptions& o);

/// The hidden `spawn-worker` side: receives the bounds from its parent, sums the squares,
/// replies, disconnects, releases its lifeline (held since before MPI_Init). `crash` kills it at
/// that point. Throws usage_error when this process was not spawned.
int run_spawn_worker(const boost::mpi::communicator& comm, Lifeline& lifeline,
                     std::optional<WorkerCrash> crash);

} // namespace rankpool::commands
