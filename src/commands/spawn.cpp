// `rankpool spawn N`: one worker process started with MPI_Comm_spawn, joined, described, timed.
#include "spawn.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unistd.h>

#include <mpi.h>

#include "rankpool/lifeline.hpp"
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
    double seconds = 0;
    char host[MPI_MAX_PROCESSOR_NAME] = {};
};

void check(int rc, const char* what) {
    if (rc != MPI_SUCCESS) {
        throw spawn_error(std::string(what) +
                          " with the spawned worker failed: " + mpi_error_string(rc));
    }
}

/// The worker died before it was joined: the run failed, not the launcher.
class worker_lost : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::string lost_message(std::uint64_t pid, const std::string& host, const char* when) {
    return "spawn: the worker (pid " + std::to_string(pid) + ", host " + host + ") died " + when;
}

/// For the lifeline's watch thread, when the worker dies while rank 0 is stuck in a call that
/// cannot be polled: the error line, then the end of this process (mpirun ends the other ranks).
LifelineWatch::Fatal die_on_loss(std::string host, const char* when) {
    return [host = std::move(host), when](std::uint64_t pid) {
        std::fprintf(stderr, "rankpool: error: %s\n", lost_message(pid, host, when).c_str());
        std::fflush(stderr);
        std::_Exit(1); // the exit code of a failed run (see README, exit codes)
    };
}

/// Completes `req` unless the worker dies first; then cancels it and throws worker_lost. An MPI
/// error is the worker's death when the lifeline says so within a moment.
void wait_for_worker(MPI_Request& req, const LifelineWatch& lifeline, const std::string& host,
                     const char* what, const char* when) {
    const auto lost = [&] { return lifeline.lost().has_value(); };
    const auto rc = wait_quietly_unless(req, lost);
    if (!rc) {
        MPI_Cancel(&req);
        MPI_Request_free(&req);
    } else if (*rc != MPI_SUCCESS) {
        for (int i = 0; i < 100 && !lost(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    if (const auto pid = lifeline.lost()) {
        throw worker_lost(lost_message(*pid, host, when));
    }
    check(*rc, what);
}

/// Rank 0's part: start(), send the bounds, receive the reply, join(). Every wait on the worker
/// ends if it dies: polled ones throw worker_lost, blocking ones end the process.
void start_and_join(const SpawnOptions& o, SpawnReport& r) {
    const boost::mpi::communicator self(MPI_COMM_SELF, boost::mpi::comm_attach);
    const std::string host = processor_name();
    LifelineWatch lifeline;
    std::vector<std::string> args = {"spawn-worker", "--lifeline", lifeline.address()};
    if (o.crash_worker) {
        args.insert(args.end(), {"--crash-at", std::string(worker_crash_name(*o.crash_worker))});
    }
    const double t0 = MPI_Wtime();
    Intercomm worker;
    {
        const LifelineWatch::Blocked blocked(
            lifeline, die_on_loss(host, "while it started (MPI_Comm_spawn)"));
        worker = spawn(self, self_executable(), args, default_spawn_info(o.oversubscribe), 1, 0);
    }
    r.spawn_seconds = MPI_Wtime() - t0;
    std::uint64_t bounds[2] = {0, o.n};
    Reply reply;
    MPI_Request req = MPI_REQUEST_NULL;
    try {
        check(MPI_Isend(bounds, 2, MPI_UINT64_T, 0, tag_bounds, worker, &req), "MPI_Isend");
        wait_for_worker(req, lifeline, host, "MPI_Isend", "before it received the range");
        check(MPI_Irecv(&reply, sizeof reply, MPI_BYTE, 0, tag_reply, worker, &req), "MPI_Irecv");
        wait_for_worker(req, lifeline, host, "MPI_Irecv", "before it returned its sum");
    } catch (...) {
        // A disconnect would wait for a worker that died or will never get there; without us
        // it ends too (the singleton's runtime or mpirun ends it).
        worker.abandon();
        throw;
    }
    {
        const LifelineWatch::Blocked blocked(
            lifeline, die_on_loss(host, "while it was joined (MPI_Comm_disconnect)"));
        worker.disconnect();
    }
    r.total_seconds = MPI_Wtime() - t0;
    r.sum = (static_cast<uint128>(reply.sum_hi) << 64) | reply.sum_lo;
    reply.host[sizeof reply.host - 1] = '\0';
    r.worker = {reply.host, reply.pid, reply.seconds};
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
        } catch (const worker_lost& e) {
            r.error = e.what();
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

int run_spawn_worker(const boost::mpi::communicator& comm, Lifeline& lifeline,
                     std::optional<WorkerCrash> crash) {
    Intercomm parent = spawn_parent();
    if (!parent.connected()) {
        throw usage_error("spawn-worker is the process `rankpool spawn` starts with "
                          "MPI_Comm_spawn; run `rankpool spawn` instead");
    }
    const auto crash_at = [&](WorkerCrash when) {
        if (crash == when) {
            std::raise(SIGKILL);
        }
    };
    // Rank 0 of the spawned job talks to the parent; map_reduce shares the bounds with any others.
    std::uint64_t bounds[2] = {0, 0};
    if (comm.rank() == 0) {
        check(MPI_Recv(bounds, 2, MPI_UINT64_T, 0, tag_bounds, parent, MPI_STATUS_IGNORE),
              "MPI_Recv");
    }
    crash_at(WorkerCrash::compute);
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
        const std::string host = processor_name();
        std::strncpy(reply.host, host.c_str(), sizeof reply.host - 1);
        check(MPI_Send(&reply, sizeof reply, MPI_BYTE, 0, tag_reply, parent), "MPI_Send");
    }
    crash_at(WorkerCrash::join);
    parent.disconnect();
    lifeline.release(); // joined: from here on, this process's exit is not a death
    return 0;
}

std::string_view worker_crash_name(WorkerCrash c) {
    switch (c) {
    case WorkerCrash::start:
        return "start";
    case WorkerCrash::compute:
        return "compute";
    case WorkerCrash::join:
        return "join";
    }
    return "?";
}

std::optional<WorkerCrash> worker_crash_from_string(std::string_view s) {
    for (const auto c : {WorkerCrash::start, WorkerCrash::compute, WorkerCrash::join}) {
        if (s == worker_crash_name(c)) {
            return c;
        }
    }
    return std::nullopt;
}

nlohmann::ordered_json to_json(const SpawnOptions& o) {
    return {{"n", o.n},
            {"oversubscribe", o.oversubscribe},
            {"crash_worker", o.crash_worker ? nlohmann::ordered_json(
                                                  std::string(worker_crash_name(*o.crash_worker)))
                                            : nlohmann::ordered_json(nullptr)}};
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
         {{"spawn_info", info}, {"worker", {{"host", r.worker.host}, {"pid", r.worker.pid}}}}},
    };
}

std::vector<std::string> to_text(const SpawnReport& r) {
    std::vector<std::string> lines;
    // Printed once the worker is joined; its exit code is not known here (its launcher reaps it).
    lines.push_back("<Worker rank 0 of spawned comm, host " + r.worker.host + ", pid " +
                    std::to_string(r.worker.pid) + ", joined: sum(x*x for x in range(" +
                    std::to_string(r.options.n) + ")) = " + to_string(r.sum) + ">");
    char line[128];
    std::snprintf(line, sizeof line, "Elapsed: %.3f s (MPI_Comm_spawn %.3f s)", r.total_seconds,
                  r.spawn_seconds);
    lines.emplace_back(line);
    return lines;
}

} // namespace rankpool::commands
