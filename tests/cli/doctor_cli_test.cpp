// End-to-end tests of `rankpool doctor`: alone and at 1, 2 and 4 ranks, JSON and text, bad input.
#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

namespace {

std::vector<std::string> pitfall_ids(const nlohmann::json& j) {
    std::vector<std::string> ids;
    for (const auto& p : j["detail"]["pitfalls"]) {
        ids.push_back(p["id"].get<std::string>());
        CHECK_FALSE(p["problem"].get<std::string>().empty());
        CHECK_FALSE(p["fix"].get<std::string>().empty());
    }
    return ids;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

/// What every doctor report on this one machine has, whatever the rank count.
void check_one_host(const nlohmann::json& j, int ranks) {
    CHECK(j["schema_version"] == 1);
    CHECK(j["command"] == "doctor");
    CHECK(j["ok"] == true);
    CHECK(j["options"]["timeout"] == 5.0);
    CHECK(j["ranks"] == ranks);
    REQUIRE(j["hosts"].size() == static_cast<std::size_t>(ranks));
    const std::string host = j["hosts"][0];
    const int cpus = j["host_cpus"][0];
    CHECK(j["detail"]["ranks_per_host"] == nlohmann::json{{host, ranks}});
    CHECK(j["detail"]["oversubscribed"] == (ranks > cpus));
    CHECK(j["detail"]["no_answer"].empty());
    CHECK(j["results"]["failures"].empty());
    REQUIRE(j["detail"]["bindings"].size() == static_cast<std::size_t>(ranks));
    for (int r = 0; r < ranks; ++r) {
        const auto& b = j["detail"]["bindings"][static_cast<std::size_t>(r)];
        CHECK(b["rank"] == r);
        CHECK(b["host"] == host);
        CHECK(b["cpus_allowed"] == j["cpus_allowed"][static_cast<std::size_t>(r)]);
        CHECK_FALSE(b["cpus"].get<std::string>().empty()); // e.g. "0-1" or "1"
        CHECK(b["bound"] == (b["cpus_allowed"].get<int>() < cpus));
    }
    const auto ids = pitfall_ids(j);
    CHECK(has(ids, "oversubscribed") == (ranks > cpus));
    CHECK(has(ids, "idle_cpus") == (ranks < cpus));
    CHECK_FALSE(has(ids, "srun_mpirun"));
    CHECK_FALSE(has(ids, "spawn_unsupported"));
    CHECK_FALSE(has(ids, "unreachable"));
    CHECK(j["detail"]["spawn"]["supported"] == true);
    CHECK(j["seconds"]["total"].get<double>() > 0);
}

} // namespace

TEST_CASE("doctor alone: a singleton, no pair to measure") {
    const auto r = run_rankpool(0, {"doctor", "--json"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    const auto j = nlohmann::json::parse(r.out);
    check_one_host(j, 1);
    CHECK(j["detail"]["launcher"]["name"] == "singleton");
    CHECK(j["detail"]["pairs"].empty());
    CHECK(j["results"]["count"] == 0);
}

TEST_CASE("doctor at 1, 2 and 4 ranks under mpirun: launcher, ranks per host, the pair") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(ranks, {"doctor", "--json"});
        CHECK(r.exit_code == 0);
        const auto j = nlohmann::json::parse(r.out);
        check_one_host(j, ranks);
        CHECK(j["detail"]["launcher"]["name"] == "mpirun");
        CHECK(j["detail"]["launcher"]["mpirun_under_srun"] == false);
        if (ranks == 1) {
            CHECK(j["detail"]["pairs"].empty());
            continue;
        }
        // One host: one pair, its two lowest ranks, measured.
        REQUIRE(j["detail"]["pairs"].size() == 1);
        const auto& p = j["detail"]["pairs"][0];
        CHECK(p["ranks"] == nlohmann::json::parse("[0, 1]"));
        CHECK(p["same_host"] == true);
        CHECK(p["hosts"][0] == j["hosts"][0]);
        CHECK(p["ok"] == true);
        CHECK(p["error"].is_null());
        CHECK(p["latency_seconds"].get<double>() > 0);
        CHECK(p["bandwidth_bytes_per_second"].get<double>() > 0);
        CHECK(j["results"]["count"] == 1);
        CHECK(j["results"]["answered"] == 1);
        if (ranks == 4 && j["host_cpus"][0] == 2) {
            // This project's 2-core machine: 4 ranks oversubscribe it, mpirun binds none.
            CHECK(j["detail"]["oversubscribed"] == true);
            CHECK(j["detail"]["hosts"][0]["unbound_ranks"] == nlohmann::json::parse("[0,1,2,3]"));
            CHECK(has(pitfall_ids(j), "unbound"));
        }
    }
}

TEST_CASE("doctor as text at 2 ranks: a few lines, the link, ok") {
    const auto r = run_rankpool(2, {"doctor", "--timeout", "3"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    const auto ls = lines(r.out);
    REQUIRE(ls.size() >= 5);
    CHECK(ls[0].rfind("doctor: 2 ranks on 1 host (", 0) == 0);
    CHECK(ls[0].find("started by mpirun; Open MPI") != std::string::npos);
    CHECK(ls[0].find("thread level funneled") != std::string::npos);
    CHECK(ls[1] == "spawn: possible here (started by mpirun)");
    CHECK(ls[2].find(": ranks 0-1 on ") != std::string::npos);
    CHECK(ls[2].find("rank 0 on CPUs ") != std::string::npos);
    CHECK(count_lines_with(r.out, "link ranks 0 and 1 within ") == 1);
    CHECK(count_lines_with(r.out, ": latency ") == 1);
    CHECK(ls.back().rfind("ok: every rank and every link answered within 3 s (", 0) == 0);
}

TEST_CASE("doctor --help names every option") {
    const auto r = run_rankpool(0, {"doctor", "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("--timeout") != std::string::npos);
    CHECK(r.out.find("--json") != std::string::npos);
    CHECK(r.out.find("MPI_Abort") != std::string::npos);
}

TEST_CASE("doctor: bad input is one line and exit 2") {
    const rankpool::test::Refusals cases = {
        {{"doctor", "--timeout", "0"}, "rankpool: error: --timeout must be > 0 seconds, got '0'"},
        {{"doctor", "--timeout", "-1"}, "rankpool: error: --timeout must be >= 0, got '-1'"},
        {{"doctor", "--timeout", "soon"},
         "rankpool: error: --timeout must be a number of seconds, got 'soon'"},
        {{"doctor", "--timeout", "601"},
         "rankpool: error: --timeout = 601 is too long (at most 600 s)"},
        {{"doctor", "--timeout", "inf"},
         "rankpool: error: --timeout must be a finite number of seconds, got 'inf'"},
        {{"doctor", "5"}, "rankpool: error: The following argument was not expected: 5"},
    };
    check_refusals(cases, {0, 1, 3});
}
