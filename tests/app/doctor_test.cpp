// Tests of doctor's pure parts: hosts from facts, each pitfall rule, failures, text and JSON.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "commands/doctor.hpp"

using namespace rankpool;
using namespace rankpool::commands;

namespace {

RankFacts facts(int rank, const std::string& host, int host_cpus, int allowed,
                const std::string& cpus, const std::string& launcher = "mpirun") {
    LaunchFacts l;
    l.launcher = launcher;
    return {rank, host, 1000u + static_cast<unsigned>(rank), 1 << 20, host_cpus, allowed, cpus, l};
}

/// A report as rank 0 would assemble it from these facts and pair outcomes.
DoctorReport report(std::vector<std::optional<RankFacts>> f, std::vector<PairReport> pairs = {}) {
    DoctorReport r;
    r.ranks = static_cast<int>(f.size());
    r.mpi_library = "Open MPI v4.1.4";
    r.thread_level = "funneled";
    r.launch = f.front() ? f.front()->launch : LaunchFacts{"mpirun", "", "", 0, false};
    r.facts = std::move(f);
    r.pairs = std::move(pairs);
    r.hosts = summarize_hosts(r.facts);
    r.pitfalls = find_pitfalls(r);
    r.total_seconds = 0.25;
    return r;
}

PairReport pair(int a, int b, const std::string& ha, const std::string& hb, bool ok,
                const std::string& error = "") {
    PairOutcome o{{a, b, 0, ha == hb}, ok, error, ok ? 45e-6 : 0, ok ? 1.25e9 : 0, 0.1, 1000, 20};
    return {o, ha, hb};
}

std::vector<std::string> ids(const DoctorReport& r) {
    std::vector<std::string> v;
    for (const auto& p : r.pitfalls) {
        v.push_back(p.id);
    }
    return v;
}

} // namespace

TEST_CASE("two hosts, two bound ranks each: no pitfall, text and JSON") {
    const auto r = report(
        {facts(0, "h1", 2, 1, "0"), facts(1, "h1", 2, 1, "1"), facts(2, "h2", 2, 1, "0"),
         facts(3, "h2", 2, 1, "1")},
        {pair(0, 2, "h1", "h2", true), pair(0, 1, "h1", "h1", true), pair(2, 3, "h2", "h2", true)});
    REQUIRE(r.hosts.size() == 2);
    CHECK(r.hosts[0].host == "h1");
    CHECK(r.hosts[0].ranks == std::vector<int>{0, 1});
    CHECK_FALSE(r.hosts[0].oversubscribed());
    CHECK(r.hosts[0].idle_cpus() == 0);
    CHECK(r.hosts[0].unbound.empty());
    CHECK(r.pitfalls.empty());
    CHECK(r.ok());

    const auto text = to_text(r);
    REQUIRE(text.size() == 8);
    CHECK(text[0] == "doctor: 4 ranks on 2 hosts (h1, h2), started by mpirun; Open MPI v4.1.4, "
                     "thread level funneled");
    CHECK(text[1] == "spawn: possible here (started by mpirun)");
    CHECK(text[2] == "host h1: ranks 0-1 on 2 CPUs; rank 0 on CPUs 0, rank 1 on CPUs 1");
    CHECK(text[4] == "link rank 0 (h1) <-> rank 2 (h2): latency 45.0 us, bandwidth 1.25 GB/s");
    CHECK(text[5] == "link ranks 0 and 1 within h1: latency 45.0 us, bandwidth 1.25 GB/s");
    CHECK(text[7] == "ok: every rank and every link answered within 5 s (0.25 s)");

    const auto j = to_json(r);
    CHECK(j["command"] == "doctor");
    CHECK(j["ok"] == true);
    CHECK(j["options"]["timeout"] == 5.0);
    CHECK(j["results"]["count"] == 3);
    CHECK(j["results"]["failed"] == 0);
    CHECK(j["detail"]["launcher"]["name"] == "mpirun");
    CHECK(j["detail"]["launcher"]["slurm_job"].is_null());
    CHECK(j["detail"]["spawn"]["supported"] == true);
    CHECK(j["detail"]["ranks_per_host"]["h1"] == 2);
    CHECK(j["detail"]["ranks_per_host"]["h2"] == 2);
    CHECK(j["detail"]["oversubscribed"] == false);
    CHECK(j["detail"]["bindings"][1]["cpus"] == "1");
    CHECK(j["detail"]["bindings"][1]["bound"] == true);
    CHECK(j["detail"]["pairs"][0]["ranks"] == nlohmann::ordered_json::parse("[0, 2]"));
    CHECK(j["detail"]["pairs"][0]["hosts"] == nlohmann::ordered_json::parse(R"(["h1", "h2"])"));
    CHECK(j["detail"]["pairs"][0]["latency_seconds"] == 45e-6);
    CHECK(j["detail"]["pairs"][0]["error"].is_null());
    CHECK(j["detail"]["pitfalls"].empty());
}

TEST_CASE("oversubscribed, unbound: 4 ranks on 2 CPUs, every rank free to use both") {
    const auto r = report({facts(0, "vm", 2, 2, "0-1"), facts(1, "vm", 2, 2, "0-1"),
                           facts(2, "vm", 2, 2, "0-1"), facts(3, "vm", 2, 2, "0-1")},
                          {pair(0, 1, "vm", "vm", true)});
    CHECK(r.hosts[0].oversubscribed());
    CHECK(r.hosts[0].unbound == std::vector<int>{0, 1, 2, 3});
    CHECK(ids(r) == std::vector<std::string>{"oversubscribed", "unbound"});
    CHECK(r.pitfalls[0].problem.rfind("vm runs 4 ranks on 2 CPUs: ranks share cores", 0) == 0);
    CHECK(r.pitfalls[1].problem.rfind("ranks 0-3 on vm: free to run on every CPU", 0) == 0);
    CHECK(r.pitfalls[1].fix.find("--bind-to core") != std::string::npos);
    CHECK(r.ok()); // pitfalls are warnings
    CHECK(to_json(r)["detail"]["oversubscribed"] == true);
}

TEST_CASE("idle CPUs: one rank alone on a 2-CPU host, not called unbound") {
    const auto r = report({facts(0, "vm", 2, 2, "0-1", "singleton")});
    CHECK(r.hosts[0].idle_cpus() == 1);
    CHECK(r.hosts[0].unbound.empty()); // alone on its host: nothing to share
    CHECK(ids(r) == std::vector<std::string>{"idle_cpus"});
    CHECK(r.pitfalls[0].problem == "vm runs 1 rank on 2 CPUs: CPUs left idle");
    const auto text = to_text(r);
    CHECK(text[0].find("started alone (singleton)") != std::string::npos);
    CHECK(text[3] == "links: none to measure (one rank)");
}

TEST_CASE("many hosts with the same pitfall are named up to four, then counted") {
    std::vector<std::optional<RankFacts>> f;
    f.reserve(6);
    for (int h = 0; h < 6; ++h) {
        f.emplace_back(facts(h, "n" + std::to_string(h), 4, 4, "0-3"));
    }
    const auto r = report(std::move(f));
    REQUIRE(ids(r) == std::vector<std::string>{"idle_cpus"});
    CHECK(r.pitfalls[0].problem == "n0 runs 1 rank on 4 CPUs, n1 runs 1 rank on 4 CPUs, n2 runs 1 "
                                   "rank on 4 CPUs, n3 runs 1 rank on 4 CPUs and 2 more hosts: "
                                   "CPUs left idle");
}

TEST_CASE("srun mpirun and spawn under srun") {
    auto nested = facts(0, "n1", 4, 1, "0");
    nested.launch = {"mpirun", "12", "1", 4, true};
    const auto r = report(
        {nested, facts(1, "n1", 4, 1, "1"), facts(2, "n1", 4, 1, "2"), facts(3, "n1", 4, 1, "3")},
        {pair(0, 1, "n1", "n1", true)});
    REQUIRE(ids(r) == std::vector<std::string>{"srun_mpirun"});
    CHECK(r.pitfalls[0].problem == "mpirun was started by srun (Slurm job 12, step 1, 4 tasks): "
                                   "each task runs an mpirun of its own, so 4 separate MPI jobs "
                                   "each do the whole work");
    CHECK(r.pitfalls[0].fix.find("never `srun mpirun`") != std::string::npos);

    auto srun = report({facts(0, "n1", 1, 1, "0", "srun")});
    srun.spawn_unsupported = "this job was started by srun, whose PMI cannot start processes "
                             "with MPI_Comm_spawn";
    srun.pitfalls = find_pitfalls(srun);
    REQUIRE(ids(srun) == std::vector<std::string>{"spawn_unsupported"});
    CHECK(srun.pitfalls[0].fix.find("mpirun rankpool spawn") != std::string::npos);
    CHECK(to_text(srun)[1].rfind("spawn: not here: this job was started by srun", 0) == 0);
    const auto j = to_json(srun);
    CHECK(j["detail"]["spawn"]["supported"] == false);
    CHECK(j["detail"]["spawn"]["reason"].get<std::string>().find("srun") != std::string::npos);
}

TEST_CASE("a pair that did not answer and ranks that did not answer are failures, by name") {
    const auto r =
        report({facts(0, "h1", 2, 1, "0"), facts(1, "h1", 2, 1, "1"), facts(2, "h2", 2, 1, "0"),
                facts(3, "h2", 2, 1, "1"), std::nullopt, std::nullopt},
               {pair(0, 2, "h1", "h2", false, "no answer within 5 s (reachability)"),
                pair(0, 1, "h1", "h1", true), pair(2, 3, "h2", "h2", true)});
    CHECK_FALSE(r.ok());
    CHECK(r.silent() == std::vector<int>{4, 5});
    const auto failures = r.failures();
    REQUIRE(failures.size() == 2);
    CHECK(failures[0] == "ranks 4-5 (host unknown) did not answer rank 0 (h1) within 5 s");
    CHECK(failures[1] == "rank 0 (h1) <-> rank 2 (h2): no answer within 5 s (reachability)");
    REQUIRE(ids(r) == std::vector<std::string>{"unreachable"});
    CHECK(r.pitfalls[0].problem == failures[0] + "; " + failures[1]);
    CHECK(r.pitfalls[0].fix.find("btl_tcp_if_include") != std::string::npos);

    const auto text = to_text(r);
    CHECK(text[4] == "link rank 0 (h1) <-> rank 2 (h2): FAILED: no answer within 5 s "
                     "(reachability)");
    CHECK(text.back() == "FAILED: " + failures[0] + " (and 1 more) (0.25 s)");

    const auto j = to_json(r);
    CHECK(j["ok"] == false);
    CHECK(j["results"]["failed"] == 1);
    CHECK(j["results"]["answered"] == 2);
    CHECK(j["results"]["failures"].size() == 2);
    CHECK(j["detail"]["no_answer"] == nlohmann::ordered_json::parse("[4, 5]"));
    CHECK(j["detail"]["no_answer_hosts"] == nlohmann::ordered_json::parse("[null, null]"));
    CHECK(j["detail"]["bindings"][4].is_null());
    CHECK(j["detail"]["pairs"][0]["ok"] == false);
    CHECK(j["detail"]["pairs"][0]["error"] == "no answer within 5 s (reachability)");
}

TEST_CASE("ranks that did not answer are named by the launcher's host names where known") {
    auto r = report({facts(0, "h1", 2, 1, "0"), std::nullopt, std::nullopt, std::nullopt});
    r.silent_hosts = {"", "h2", "h2", ""};
    const auto failures = r.failures();
    REQUIRE(failures.size() == 2);
    CHECK(failures[0] == "ranks 1-2 (h2) did not answer rank 0 (h1) within 5 s");
    CHECK(failures[1] == "rank 3 (host unknown) did not answer rank 0 (h1) within 5 s");
    CHECK(to_json(r)["detail"]["no_answer_hosts"] ==
          nlohmann::ordered_json::parse(R"(["h2","h2",null])"));
}

TEST_CASE("facts and outcomes survive the trip to rank 0 as JSON text") {
    auto f = facts(3, "rp-h2", 2, 1, "1");
    f.launch = {"srun", "9", "0", 4, false};
    const auto back = rank_facts_from(nlohmann::json::parse(to_json(f).dump()));
    CHECK(back.rank == 3);
    CHECK(back.host == "rp-h2");
    CHECK(back.pid == 1003);
    CHECK(back.cpus == "1");
    CHECK(back.cpus_allowed == 1);
    CHECK(back.launch.launcher == "srun");
    CHECK(back.launch.slurm_job == "9");
    CHECK(back.launch.slurm_step == "0");
    CHECK(back.launch.slurm_step_tasks == 4);
    CHECK_THROWS_AS((void)rank_facts_from(nlohmann::json::parse(R"({"rank": 1})")),
                    nlohmann::json::exception);

    const PairOutcome o{
        {0, 2, 1, false}, false, "MPI error (reachability): unreachable", 0, 0, 2, 0, 0};
    const auto o2 = pair_outcome_from(nlohmann::json::parse(to_json(o).dump()));
    CHECK(o2.pair == o.pair);
    CHECK(o2.ok == false);
    CHECK(o2.error == o.error);
    CHECK(o2.seconds == 2);
    const PairOutcome m{{0, 1, 1, true}, true, "", 1e-6, 5e9, 0.3, 730, 20};
    const auto m2 = pair_outcome_from(nlohmann::json::parse(to_json(m).dump()));
    CHECK(m2.latency_round_trips == 730);
    CHECK(m2.bandwidth_round_trips == 20);
    CHECK(m2.latency == 1e-6);
}
