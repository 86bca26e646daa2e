// `rankpool spawn N`: Process(target=worker, args=(range(N),)).start(); join() with MPI_Comm_spawn.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"

namespace rankpool::commands {

struct SpawnOptions {
    std::uint64_t n = 1000;
    bool oversubscribe = true; ///< spawn with map_by slot:OVERSUBSCRIBE
};

/// What the spawned worker reported back.
struct SpawnedWorker {
    int rank = 0; ///< its rank in the spawned job's MPI_COMM_WORLD
    std::string host;
    std::uint64_t pid = 0;
    int exit_code = 0;  ///< what the worker returns from main once disconnected
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
/// receives its sum, disconnects; the other ranks wait. Collective over `comm`. A failed spawn is
/// returned in `error` (on every rank the error is non-empty), not thrown; a launcher known not to
/// spawn throws usage_error.
SpawnReport run_spawn(const boost::mpi::communicator& comm, const SpawnOptions& o);

/// The hidden `spawn-worker` side: receives the bounds from its parent, sums the squares,
/// replies, disconnects. Throws usage_error when this process was not spawned.
int run_spawn_worker(const boost::mpi::communicator& comm);

} // namespace rankpool::commands
