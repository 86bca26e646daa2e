// End-to-end tests of `rankpool spawn`: alone, under mpiexec, a refused spawn, bad input.
#include <cstdlib>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;
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
    CHECK(ls[0].find(", exit 0: sum(x*x for x in range(" + n + ")) = " + sum + ">") !=
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
    CHECK(j["detail"]["worker"]["rank"] == 0);
    CHECK(j["detail"]["worker"]["exit"] == 0);
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
    const auto r = run_rankpool_with(std::string(RANKPOOL_MPIEXEC) + " -n 2",
                                     {"spawn", "--no-oversubscribe"}, 30);
    if (r.exit_code == 0) {
        MESSAGE("this machine has a free slot for the worker at -n 2; refusal not exercised");
        return;
    }
    CHECK(r.exit_code == 1);
    CHECK(r.seconds < 20);
    CHECK(r.out.empty());
    CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
    CHECK(count_lines_with(r.err, "rankpool: error: spawn: MPI_Comm_spawn could not start 1 "
                                  "process (MPI_ERR_SPAWN") == 1);
    CHECK(count_lines_with(r.err, "drop --no-oversubscribe or start fewer ranks") == 1);
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
