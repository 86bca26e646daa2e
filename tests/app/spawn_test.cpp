// Tests of spawn's pure parts: launcher detection, info keys, the report's text and JSON.
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "rankpool/spawn.hpp"

#include "commands/spawn.hpp"

using namespace rankpool;

namespace {
auto env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* key) -> const char* {
        const auto it = vars.find(key);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}
} // namespace

TEST_CASE("an srun step cannot spawn; mpirun, alone, or mpirun inside Slurm can") {
    const auto srun = spawn_unsupported_reason(env({{"SLURM_STEP_ID", "0"}, {"PMIX_RANK", "0"}}));
    REQUIRE(srun);
    CHECK(srun->find("srun") != std::string::npos);
    CHECK_FALSE(spawn_unsupported_reason(env({})));
    CHECK_FALSE(spawn_unsupported_reason(env({{"OMPI_COMM_WORLD_SIZE", "2"}})));
    CHECK_FALSE(spawn_unsupported_reason(
        env({{"SLURM_STEP_ID", "3"}, {"OMPI_COMM_WORLD_SIZE", "2"}, {"SLURM_JOB_ID", "9"}})));
}

TEST_CASE("spawn info keys: map_by slot:OVERSUBSCRIBE unless told otherwise") {
    CHECK(default_spawn_info() == SpawnInfo{{"map_by", "slot:OVERSUBSCRIBE"}});
    CHECK(default_spawn_info(false).empty());
}

TEST_CASE("self_executable is this test program") {
    const auto path = self_executable();
    CHECK(path.front() == '/');
    CHECK(path.find("rankpool_app_tests") != std::string::npos);
}

TEST_CASE("the spawn report in the spirit of print(p1)") {
    commands::SpawnReport r;
    r.options.n = 1000;
    r.ranks = 1;
    r.sum = r.expected = sum_of_squares(1000);
    r.worker = {"node7", 4242, 0.001};
    r.spawn_seconds = 0.2;
    r.total_seconds = 0.25;
    CHECK(r.ok());
    const auto text = commands::to_text(r);
    REQUIRE(text.size() == 2);
    CHECK(text[0] == "<Worker rank 0 of spawned comm, host node7, pid 4242, joined: "
                     "sum(x*x for x in range(1000)) = 332833500>");
    CHECK(text[1] == "Elapsed: 0.250 s (MPI_Comm_spawn 0.200 s)");
    const auto j = commands::to_json(r);
    CHECK(j["command"] == "spawn");
    CHECK(j["options"]["n"] == 1000);
    CHECK(j["results"]["sum"] == 332833500);
    CHECK(j["results"]["expected"] == 332833500);
    CHECK(j["ok"] == true);
    CHECK(j["detail"]["worker"]["host"] == "node7");
    CHECK(j["detail"]["worker"]["pid"] == 4242);
    // The worker's exit code is never seen by the parent (its launcher reaps it): not reported.
    CHECK_FALSE(j["detail"]["worker"].contains("exit"));
    CHECK(j["seconds"]["spawn"] == 0.2);
    CHECK(j["seconds"]["total"] == 0.25);
    CHECK(j["detail"]["spawn_info"]["map_by"] == "slot:OVERSUBSCRIBE");
    r.sum += 1;
    CHECK_FALSE(r.ok());
}

TEST_CASE("--crash-worker's points: names and back") {
    using commands::WorkerCrash;
    for (const auto c : {WorkerCrash::start, WorkerCrash::compute, WorkerCrash::join}) {
        CHECK(commands::worker_crash_from_string(commands::worker_crash_name(c)) == c);
    }
    CHECK(commands::worker_crash_name(WorkerCrash::compute) == "compute");
    CHECK_FALSE(commands::worker_crash_from_string("Compute"));
    CHECK_FALSE(commands::worker_crash_from_string(""));
}
