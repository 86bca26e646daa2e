// `rankpool spawn N`: one worker process started with MPI_Comm_spawn, joined, described, timed.
#include "spawn.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <mpi.h>

#include "rankpool/map.hpp"
#include "rankpool/parse.hpp"
#include "rankpool/run_info.hpp"
#include "rankpool/spawn.hpp"
#include "rankpool/wait.hpp"

#include "report_json.hpp"

namespace rankpool::commands {

namespace {

constexpr int tag_bounds = 1;
constexpr int tag_reply = 2;

/// The worker's answer, sent as bytes: both ends run the same binary.
struct Reply {
    std::uint64_t sum_lo = 0;
    std::uint64_t sum_hi = 0;
    std::uint64_t pid = 0;
    std::int32_t rank = 0;
    std::int32_t exit_code = 0;
    double seconds = 0;
    char host[MPI_MAX_PROCESSOR_NAME] = {};
};

void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) {
        throw spawn_error(std::string(what) +
                          " with the spawned worker failed: " + mpi_error_string(rc));
    }
}

/// Rank 0's part: start(), send the bounds, receive the reply, join().
void start_and_join(const SpawnOptions& o, SpawnReport& r) {
    const boost::mpi::communicator self(MPI_COMM_SELF, boost::mpi::comm_attach);
    const double t0 = MPI_Wtime();
    Intercomm worker =
        spawn(self, self_executable(), {"spawn-worker"}, default_spawn_info(o.oversubscribe), 1, 0);
    r.spawn_seconds = MPI_Wtime() - t0;
    std::uint64_t bounds[2] = {0, o.n};
    check(MPI_Send(bounds, 2, MPI_UINT64_T, 0, tag_bounds, worker), "MPI_Send");
    Reply reply;
    check(MPI_Recv(&reply, sizeof reply, MPI_BYTE, 0, tag_reply, worker, MPI_STATUS_IGNORE),
          "MPI_Recv");
    worker.disconnect();
    r.total_seconds = MPI_Wtime() - t0;
    r.sum = (static_cast<uint128>(reply.sum_hi) << 64) | reply.sum_lo;
    reply.host[sizeof reply.host - 1] = '\0';
    r.worker = {reply.rank, reply.host, reply.pid, reply.exit_code, reply.seconds};
}

} // namespace

SpawnReport run_spawn(const boost::mpi::communicator& comm, const SpawnOptions& o) {
    if (const auto why = spawn_unsupported_reason(std::getenv)) {
        // Known before trying, alike on every rank (same environment): refused as exit code 2.
        throw usage_error("spawn: " + *why +
                          "; run rankpool under mpirun (salloc, then mpirun rankpool spawn), "
                          "or use `rankpool squares`, which needs no spawn");
    }
    SpawnReport r;
    r.options = o;
    r.ranks = comm.size();
    r.expected = sum_of_squares(o.n);
    if (comm.rank() == 0) {
        try {
            start_and_join(o, r);
        } catch (const spawn_error& e) {
            r.error =
                std::string("spawn: ") + e.what() + "; " +
                (o.oversubscribe ? "this launcher may not support spawning: run alone or under "
                                   "mpirun, or use `rankpool squares`, which needs no spawn"
                                 : "every slot of the job may be taken: drop --no-oversubscribe or "
                                   "start fewer ranks");
        }
    }
    // The other ranks wait here, asleep, for rank 0's worker, then learn whether it ran.
    int failed = r.error.empty() ? 0 : 1;
    quiet_bcast(comm, failed, 0);
    if (failed != 0) {
        if (r.error.empty()) {
            r.error = "rank 0 could not spawn a worker";
        }
    }
    return r;
}

int run_spawn_worker(const boost::mpi::communicator& comm) {
    Intercomm parent = spawn_parent();
    if (!parent.connected()) {
        throw usage_error("spawn-worker is the process `rankpool spawn` starts with "
                          "MPI_Comm_spawn; run `rankpool spawn` instead");
    }
    // Rank 0 of the spawned job talks to the parent; map_reduce shares the bounds with any others.
    std::uint64_t bounds[2] = {0, 0};
    if (comm.rank() == 0) {
        check(MPI_Recv(bounds, 2, MPI_UINT64_T, 0, tag_bounds, parent, MPI_STATUS_IGNORE),
              "MPI_Recv");
    }
    const double t0 = MPI_Wtime();
    const uint128 sum = map_reduce(
        comm, bounds[0], bounds[1], uint128{0}, [](uint128 a, uint128 b) { return a + b; },
        [](std::uint64_t x) -> std::uint64_t { return x * x; });
    Reply reply;
    reply.seconds = MPI_Wtime() - t0;
    if (comm.rank() == 0) {
        reply.sum_lo = static_cast<std::uint64_t>(sum);
        reply.sum_hi = static_cast<std::uint64_t>(sum >> 64);
        reply.pid = static_cast<std::uint64_t>(getpid());
        reply.rank = comm.rank();
        const std::string host = processor_name();
        std::strncpy(reply.host, host.c_str(), sizeof reply.host - 1);
        check(MPI_Send(&reply, sizeof reply, MPI_BYTE, 0, tag_reply, parent), "MPI_Send");
    }
    parent.disconnect();
    return reply.exit_code;
}

nlohmann::ordered_json to_json(const SpawnOptions& o) {
    return {{"n", o.n}, {"oversubscribe", o.oversubscribe}};
}

nlohmann::ordered_json to_json(const SpawnReport& r) {
    nlohmann::ordered_json info = nlohmann::ordered_json::object();
    for (const auto& [k, v] : default_spawn_info(r.options.oversubscribe)) {
        info[k] = v;
    }
    return {
        {"command", "spawn"},
        {"ok", r.ok()},
        {"options", to_json(r.options)},
        {"seconds",
         {{"spawn", r.spawn_seconds}, {"compute", r.worker.seconds}, {"total", r.total_seconds}}},
        {"results",
         {{"count", 1}, {"sum", json_uint128(r.sum)}, {"expected", json_uint128(r.expected)}}},
        {"detail",
         {{"spawn_info", info},
          {"worker",
           {{"rank", r.worker.rank},
            {"host", r.worker.host},
            {"pid", r.worker.pid},
            {"exit", r.worker.exit_code}}}}},
    };
}

std::vector<std::string> to_text(const SpawnReport& r) {
    std::vector<std::string> lines;
    lines.push_back("<Worker rank " + std::to_string(r.worker.rank) + " of spawned comm, host " +
                    r.worker.host + ", pid " + std::to_string(r.worker.pid) + ", exit " +
                    std::to_string(r.worker.exit_code) + ": sum(x*x for x in range(" +
                    std::to_string(r.options.n) + ")) = " + to_string(r.sum) + ">");
    char line[128];
    std::snprintf(line, sizeof line, "Elapsed: %.3f s (MPI_Comm_spawn %.3f s)", r.total_seconds,
                  r.spawn_seconds);
    lines.emplace_back(line);
    return lines;
}

} // namespace rankpool::commands
