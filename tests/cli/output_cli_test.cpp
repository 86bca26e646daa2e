// Output that cannot be written is an error, never a silent success: a full disk, a closed
// stdout, a reader that goes away; and every report has the one JSON envelope.
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using namespace rankpool::test;

TEST_CASE("a full disk behind stdout: one error line, exit 1") {
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"squares", "10", "--json"},
                                               {"squares", "100000", "--print"},
                                               {"sleep", "0", "0"},
                                               {"compare", "10", "--repeat", "10"}}) {
        CAPTURE(args.front());
        const auto r = run_rankpool_with("", args, 60, ">/dev/full");
        CHECK(r.exit_code == 1);
        CHECK(r.err == "rankpool: error: writing to standard output failed: No space left on "
                       "device\n");
    }
}

TEST_CASE("a closed stdout is refused before any work: exit 2") {
    const auto r = run_rankpool_with("", {"squares", "1000", "--print"}, 60, ">&-");
    CHECK(r.exit_code == 2);
    CHECK(r.err == "rankpool: error: standard output is closed: nowhere to write results\n");
}

TEST_CASE("a reader that goes away: EPIPE is one error line and exit 1, not a silent death") {
    const auto r = run_rankpool_with("", {"squares", "1000000", "--print"}, 60, "| head -c 1");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "rankpool: error: writing to standard output failed: Broken pipe\n");
}

TEST_CASE("under mpirun a reader that goes away fails the job (mpirun's own abort)") {
    // Rank 0 writes to mpirun's pipe, not to the reader: mpirun meets the closed reader and
    // aborts the job. What it prints is Open MPI's; the exit code must not be 0.
    const auto r = run_rankpool(2, {"squares", "1000000", "--print"}, 60);
    REQUIRE(r.exit_code == 0); // the same run with a reader that stays
    const auto cut = run_rankpool_with(std::string(RANKPOOL_MPIEXEC) + " -n 2",
                                       {"squares", "1000000", "--print"}, 60, "| head -c 1");
    CHECK(cut.exit_code != 0);
}

TEST_CASE("every command's report has the one envelope, keys in the same places") {
    const std::vector<std::string> head = {
        "schema_version", "command",      "ok",     "rankpool", "mpi",
        "options",        "ranks",        "hosts",  "pids",     "max_rss_bytes",
        "host_cpus",      "cpus_allowed", "seconds"};
    // Each run, and the thread level each of its 2 ranks asks for: funneled where it starts a
    // thread of its own (the root that runs tasks beside dispatching), single elsewhere.
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> runs = {
        {{"squares", "100", "--json"}, {"single", "single"}},
        {{"squares", "100", "--json", "--schedule", "dynamic"}, {"funneled", "single"}},
        {{"sleep", "0", "0", "0", "--json"}, {"funneled", "single"}},
        {{"sleep", "0", "0", "0", "--json", "--root-dispatches-only"}, {"single", "single"}},
        {{"run", "--json", "true", ":::", "1", "2"}, {"funneled", "single"}},
        {{"spawn", "10", "--json"}, {"funneled", "funneled"}},
        {{"compare", "10", "--repeat", "10", "--json"}, {"funneled", "funneled"}},
        {{"demo", "--quick", "--json"}, {"funneled", "funneled"}}};
    for (const auto& one : runs) {
        const auto& args = one.first;
        const auto& levels = one.second;
        CAPTURE(args);
        const auto r = run_rankpool(2, args, 120);
        REQUIRE(r.exit_code == 0);
        const auto j = nlohmann::ordered_json::parse(r.out);
        std::vector<std::string> keys;
        for (const auto& [k, v] : j.items()) {
            keys.push_back(k);
        }
        REQUIRE(keys.size() >= head.size() + 2);
        CHECK(std::vector<std::string>(keys.begin(), keys.begin() + head.size()) == head);
        CHECK(keys[keys.size() - 2] == "results");
        CHECK(keys.back() == "detail");
        CHECK(j["schema_version"] == 1);
        CHECK(j["command"] == args.front());
        CHECK(j["ok"] == true);
        CHECK(j["rankpool"]["version"].get<std::string>().rfind("0.", 0) == 0);
        CHECK(j["rankpool"]["git"].get<std::string>().size() >= 7);
        CHECK(j["mpi"]["library"].get<std::string>().find("Open MPI") != std::string::npos);
        CHECK(j["mpi"]["thread_level"] == levels[0]);
        CHECK(j["mpi"]["thread_levels"] == levels);
        CHECK(j["ranks"] == 2);
        for (const char* per_rank :
             {"hosts", "pids", "max_rss_bytes", "host_cpus", "cpus_allowed"}) {
            CHECK(j[per_rank].size() == 2);
        }
        CHECK(j["host_cpus"][0].get<int>() >= 1);
        CHECK(j["seconds"]["total"].is_number());
        CHECK(j["results"]["count"].get<int>() >= 1);
        CHECK(j["options"].is_object());
        CHECK(j["detail"].is_object());
    }
}
