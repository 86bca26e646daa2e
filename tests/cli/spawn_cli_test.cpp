// End-to-end tests of `rankpool spawn`: alone, under mpiexec, a refused spawn, a dead worker,
// bad input.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::cpu_seconds;
using rankpool::test::descendants_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;
using rankpool::test::run_rankpool_during;
using rankpool::test::run_rankpool_with;

namespace {

/// Inside a Slurm step, rankpool refuses to spawn when started alone: skip those runs there.
bool in_slurm_step() {
    return std::getenv("SLURM_STEP_ID") != nullptr;
}

void check_worker_text(const rankpool::test::RunResult& r, const std::string& n,
                       const std::string& sum) {
    CHECK(r.exit_code == 0);
    const auto ls = lines(r.out);
    REQUIRE(ls.size() == 2);
    CHECK(ls[0].rfind("<Worker rank 0 of spawned comm, host ", 0) == 0);
    CHECK(ls[0].find(", pid ") != std::string::npos);
    CHECK(ls[0].find(", joined: sum(x*x for x in range(" + n + ")) = " + sum + ">") !=
          std::string::npos);
    CHECK(ls[1].rfind("Elapsed: ", 0) == 0);
    CHECK(ls[1].find(" s (MPI_Comm_spawn ") != std::string::npos);
    CHECK(count_lines_with(r.err, "rankpool: error") == 0);
}

void check_worker_json(const rankpool::test::RunResult& r, std::uint64_t n, std::uint64_t sum,
                       int ranks) {
    CHECK(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["command"] == "spawn");
    CHECK(j["options"]["n"] == n);
    CHECK(j["results"]["sum"] == sum);
    CHECK(j["results"]["expected"] == sum);
    CHECK(j["ok"] == true);
    CHECK(j["ranks"] == ranks);
    CHECK(j["hosts"].size() == static_cast<std::size_t>(ranks));
    CHECK(j["pids"].size() == static_cast<std::size_t>(ranks));
    CHECK(j["detail"]["worker"]["host"] == j["hosts"][0]); // spawned on this machine
    CHECK(j["detail"]["worker"]["pid"].get<std::uint64_t>() > 0);
    for (const auto& pid : j["pids"]) {
        CHECK(j["detail"]["worker"]["pid"] != pid); // a new process, not one of the ranks
    }
    CHECK(j["detail"]["spawn_info"]["map_by"] == "slot:OVERSUBSCRIBE");
    CHECK(j["seconds"]["spawn"].get<double>() > 0);
    CHECK(j["seconds"]["total"].get<double>() >= j["seconds"]["spawn"].get<double>());
}

} // namespace

TEST_CASE("spawn alone (a singleton): the worker line, the sum for range(1000), JSON") {
    if (in_slurm_step()) {
        MESSAGE("inside a Slurm step: a singleton spawn is refused there by design");
        return;
    }
    check_worker_text(run_rankpool(0, {"spawn"}), "1000", "332833500");
    check_worker_json(run_rankpool(0, {"spawn", "12345", "--json"}), 12345, 627045790420, 1);
}

TEST_CASE("spawn under mpiexec -n 1: the worker line, sums for range(1000) and range(1009)") {
    check_worker_text(run_rankpool(1, {"spawn"}), "1000", "332833500");
    check_worker_text(run_rankpool(1, {"spawn", "1009"}), "1009", "341905704");
    check_worker_json(run_rankpool(1, {"spawn", "1000", "--json"}), 1000, 332833500, 1);
    check_worker_json(run_rankpool(1, {"spawn", "0", "--json"}), 0, 0, 1);
}

TEST_CASE("spawn under mpiexec -n 2 and -n 4: rank 0 spawns (map_by slot:OVERSUBSCRIBE)") {
    // Without --oversubscribe for the job: both slots of this 2-core machine are taken, and
    // the spawn succeeds because of the info key.
    check_worker_text(run_rankpool_with(std::string(RANKPOOL_MPIEXEC) + " -n 2", {"spawn"}), "1000",
                      "332833500");
    check_worker_json(run_rankpool(2, {"spawn", "--json"}), 1000, 332833500, 2);
    check_worker_json(run_rankpool(4, {"spawn", "--json"}), 1000, 332833500, 4);
}

TEST_CASE("spawn --no-oversubscribe with every slot taken: one error line, exit 1, no hang") {
    // --host localhost:2 gives the job exactly 2 slots, whatever the machine's cores: -n 2 takes
    // both, and a worker without the info key has nowhere to go.
    const std::string full = std::string(RANKPOOL_MPIEXEC) + " -n 2 --host localhost:2";
    const auto r = run_rankpool_with(full, {"spawn", "--no-oversubscribe"}, 30);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
    CHECK(count_lines_with(r.err, "rankpool: error: spawn: MPI_Comm_spawn could not start 1 "
                                  "process (MPI_ERR_SPAWN") == 1);
    CHECK(count_lines_with(r.err, "drop --no-oversubscribe or start fewer ranks") == 1);
    // The same full job spawns with the info key (the default).
    check_worker_text(run_rankpool_with(full, {"spawn"}), "1000", "332833500");
}

namespace {

/// The one error line a dead worker gives, naming its pid, or "" when there is not exactly one.
std::string lost_line(const rankpool::test::RunResult& r) {
    std::string line;
    for (const auto& l : lines(r.err)) {
        if (l.find("rankpool: error:") != std::string::npos) {
            if (!line.empty()) {
                return "";
            }
            line = l;
        }
    }
    return line;
}

/// Waits (60 s at most) for the one `spawn-worker` below `shell` to have used `cpu` seconds of
/// CPU (it is then past MPI_Init and summing), kills it with SIGKILL and returns its pid; 0 if it
/// never got there.
int kill_worker_once_computing(int shell, double cpu) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < end) {
        const auto workers = descendants_with(shell, "spawn-worker");
        if (workers.size() == 1 && cpu_seconds(workers[0]) >= cpu) {
            kill(workers[0], SIGKILL);
            return workers[0];
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return 0;
}

} // namespace

TEST_CASE("spawn alone: a worker killed with SIGKILL while it sums ends the run, exit 1, one line "
          "naming it") {
    if (in_slurm_step()) {
        MESSAGE("inside a Slurm step: a singleton spawn is refused there by design");
        return;
    }
    // range(2^32) takes the worker about 2 s of CPU here: killed after 0.3 s of it, it is summing.
    int killed = 0;
    const auto r = run_rankpool_during("", {"spawn", "4294967296"}, [&](int shell) {
        killed = kill_worker_once_computing(shell, 0.3);
    });
    REQUIRE(killed > 0);
    CHECK(r.exit_code == 1); // before the fix: a blocking receive forever, then the timeout's 124
    CHECK(r.out.empty());
    const std::string line = lost_line(r);
    CAPTURE(r.err);
    CHECK(
        line.rfind("rankpool: error: spawn: the worker (pid " + std::to_string(killed) + ", host ",
                   0) == 0);
    CHECK(line.find(") died ") != std::string::npos);
    MESSAGE(line);
}

TEST_CASE("spawn --crash-worker: a worker that dies at any point ends the run with one line") {
    if (in_slurm_step()) {
        MESSAGE("inside a Slurm step: a singleton spawn is refused there by design");
        return;
    }
    const std::pair<const char*, const char*> points[] = {
        {"start", ") died while it started (MPI_Comm_spawn)"},
        {"compute", ") died before it returned its sum"},
        {"join", ") died while it was joined (MPI_Comm_disconnect)"},
    };
    // Named, not structured bindings: clang 14 cannot capture those (CAPTURE does).
    for (const auto& point : points) {
        const char* const when = point.first;
        const char* const says = point.second;
        CAPTURE(when);
        const auto alone = run_rankpool(0, {"spawn", "--crash-worker", when});
        CAPTURE(alone.err);
        CHECK(alone.exit_code == 1);
        CHECK(alone.out.empty());
        const std::string line = lost_line(alone);
        CHECK(line.rfind("rankpool: error: spawn: the worker (pid ", 0) == 0);
        CHECK(line.find(says) != std::string::npos);
        // Under mpiexec the parent still says it; mpirun then sets the exit code (1, or 137 for
        // the killed worker's job).
        const auto under = run_rankpool(2, {"spawn", "--crash-worker", when});
        CAPTURE(under.err);
        CHECK(under.exit_code != 0);
        CHECK(under.exit_code != 124); // not the test's timeout
        CHECK(under.out.empty());
        CHECK(lost_line(under).find(says) != std::string::npos);
    }
}

TEST_CASE("spawn in an srun step is refused up front: one line, exit 2") {
    if (in_slurm_step()) {
        MESSAGE("already inside a Slurm step");
        return;
    }
    setenv("SLURM_STEP_ID", "0", 1);
    const auto alone = run_rankpool(0, {"spawn"});
    const auto under_mpirun = run_rankpool(1, {"spawn", "10", "--json"});
    unsetenv("SLURM_STEP_ID");
    CHECK(alone.exit_code == 2);
    CHECK(alone.out.empty());
    CHECK(count_lines_with(alone.err, "rankpool: error:") == 1);
    CHECK(count_lines_with(alone.err, "started by srun") == 1);
    CHECK(count_lines_with(alone.err, "mpirun") == 1);
    // mpirun inside a Slurm allocation can spawn: not refused.
    check_worker_json(under_mpirun, 10, 285, 1);
}

TEST_CASE("spawn: bad input is one line and exit 2; spawn-worker by hand too") {
    const rankpool::test::Refusals cases = {
        {{"spawn", "-5"}, "rankpool: error: N must be >= 0, got '-5'"},
        {{"spawn", "abc"}, "rankpool: error: N must be a whole number, got 'abc'"},
        {{"spawn", "2.5"}, "rankpool: error: N must be a whole number, got '2.5'"},
        {{"spawn", "99999999999"},
         "rankpool: error: N = 99999999999 is too large (at most 4294967296)"},
        {{"spawn-worker"}, "rankpool: error: spawn-worker is the process `rankpool spawn` starts"},
        {{"spawn", "--crash-worker", "later"},
         "rankpool: error: --crash-worker must be start, compute or join, got 'later'"},
    };
    check_refusals(cases, {0, 1, 3});
}

TEST_CASE("help: spawn is listed, spawn-worker is not; spawn --help names the info keys") {
    const auto top = run_rankpool(0, {"--help"});
    CHECK(top.exit_code == 0);
    CHECK(count_lines_with(top.out, "  spawn ") == 1);
    CHECK(top.out.find("spawn-worker") == std::string::npos);
    const auto sub = run_rankpool(0, {"spawn", "--help"});
    CHECK(sub.exit_code == 0);
    CHECK(sub.out.find("map_by=slot:OVERSUBSCRIBE") != std::string::npos);
    CHECK(count_lines_with(sub.out, "--no-oversubscribe") == 1);
}
