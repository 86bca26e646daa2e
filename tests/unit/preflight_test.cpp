// Tests of doctor's pure facts: the launcher from the environment, CPU lists, hosts, pairs, links.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "rankpool/preflight.hpp"

using namespace rankpool;

namespace {

auto env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* key) -> const char* {
        const auto it = vars.find(key);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

} // namespace

TEST_CASE("the launcher from the environment, as Open MPI 4.1 and Slurm 22 set it") {
    const auto alone = read_launch(env({}));
    CHECK(alone.launcher == "singleton");
    CHECK(alone.slurm_job.empty());
    CHECK_FALSE(alone.mpirun_under_srun);

    // mpirun alone, and mpirun in a batch shell (SLURM_JOB_ID but no step): not nested.
    CHECK(read_launch(env({{"OMPI_COMM_WORLD_SIZE", "4"}, {"PMIX_RANK", "0"}})).launcher ==
          "mpirun");
    const auto batch = read_launch(env({{"OMPI_COMM_WORLD_SIZE", "2"},
                                        {"SLURM_JOB_ID", "7"},
                                        {"SLURM_NTASKS", "4"},
                                        {"SLURM_PROCID", "0"}}));
    CHECK(batch.launcher == "mpirun");
    CHECK(batch.slurm_job == "7");
    CHECK(batch.slurm_step.empty());
    CHECK_FALSE(batch.mpirun_under_srun);

    // srun --mpi=pmix: a step, no OMPI_ variables.
    const auto srun = read_launch(env({{"SLURM_JOB_ID", "7"},
                                       {"SLURM_STEP_ID", "0"},
                                       {"SLURM_STEP_NUM_TASKS", "2"},
                                       {"PMIX_RANK", "1"}}));
    CHECK(srun.launcher == "srun");
    CHECK(srun.slurm_step == "0");
    CHECK(srun.slurm_step_tasks == 2);
    CHECK_FALSE(srun.mpirun_under_srun);

    // srun -n 2 mpirun: the step's variables and mpirun's.
    const auto nested = read_launch(env({{"SLURM_JOB_ID", "7"},
                                         {"SLURM_STEP_ID", "1"},
                                         {"SLURM_STEP_NUM_TASKS", "2"},
                                         {"OMPI_COMM_WORLD_SIZE", "2"}}));
    CHECK(nested.launcher == "mpirun");
    CHECK(nested.mpirun_under_srun);
    CHECK(nested.slurm_step_tasks == 2);

    CHECK(read_launch(env({{"PMI_RANK", "0"}})).launcher == "other");
    CHECK(read_launch(env({{"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NUM_TASKS", "x"}}))
              .slurm_step_tasks == 0);
}

TEST_CASE("CPU lists as Linux writes them") {
    CHECK(cpu_list({}) == "");
    CHECK(cpu_list({0}) == "0");
    CHECK(cpu_list({0, 1}) == "0-1");
    CHECK(cpu_list({5, 0, 1, 2, 7, 8}) == "0-2,5,7-8");
    CHECK(cpu_list({3, 3, 1}) == "1,3");
    CHECK(cpu_list({0, 2, 4, 6}) == "0,2,4,6");
    CHECK(cpu_list({64, 65, 66, 127}) == "64-66,127");
    CHECK(rank_list({2, 3}) == "2-3");
}

TEST_CASE("ranks grouped by host, in the order of each host's lowest rank") {
    const std::vector<std::string> hosts = {"b", "a", "b", "a", "c"};
    const auto g = group_by_host(hosts);
    REQUIRE(g.size() == 3);
    CHECK(g[0].host == "b");
    CHECK(g[0].ranks == std::vector<int>{0, 2});
    CHECK(g[1].host == "a");
    CHECK(g[1].ranks == std::vector<int>{1, 3});
    CHECK(g[2].host == "c");
    CHECK(g[2].ranks == std::vector<int>{4});
    CHECK(group_by_host(std::vector<std::string>{}).empty());
}

TEST_CASE("the plan: one rank alone, one host, two hosts") {
    CHECK(probe_plan(std::vector<std::string>{"vm"}).empty());
    CHECK(plan_rounds(probe_plan(std::vector<std::string>{"vm"})) == 0);

    const auto one = probe_plan(std::vector<std::string>{"vm", "vm", "vm", "vm"});
    REQUIRE(one.size() == 1);
    CHECK(one[0] == ProbePair{0, 1, 0, true}); // within the host: its two lowest ranks

    // mpirun --hostfile with 2 slots each: ranks 0-1 on h1, 2-3 on h2.
    const auto two = probe_plan(std::vector<std::string>{"h1", "h1", "h2", "h2"});
    REQUIRE(two.size() == 3);
    CHECK(two[0] == ProbePair{0, 2, 0, false}); // between hosts: their lowest ranks
    CHECK(two[1] == ProbePair{0, 1, 1, true});
    CHECK(two[2] == ProbePair{2, 3, 1, true});
    CHECK(plan_rounds(two) == 2);
}

TEST_CASE("the plan: every pair of hosts once, no rank twice in a round") {
    for (int h = 1; h <= 9; ++h) {
        CAPTURE(h);
        std::vector<std::string> hosts;
        hosts.reserve(2 * static_cast<std::size_t>(h));
        for (int r = 0; r < 2 * h; ++r) {
            hosts.push_back("h" + std::to_string(r % h)); // round-robin placement
        }
        const auto plan = probe_plan(hosts);
        std::set<std::pair<std::string, std::string>> host_pairs;
        std::map<int, std::set<int>> busy; // round -> ranks
        int within = 0;
        for (const auto& p : plan) {
            CHECK(p.a < p.b);
            CHECK(busy[p.round].insert(p.a).second);
            CHECK(busy[p.round].insert(p.b).second);
            const auto& ha = hosts[static_cast<std::size_t>(p.a)];
            const auto& hb = hosts[static_cast<std::size_t>(p.b)];
            CHECK(p.same_host == (ha == hb));
            if (p.same_host) {
                ++within;
                CHECK(p.round == plan_rounds(plan) - 1); // the last round
            } else {
                CHECK(host_pairs.insert({std::min(ha, hb), std::max(ha, hb)}).second);
                CHECK(p.a == std::min(p.a, p.b));
                CHECK(p.a < h); // the lowest rank of each host is one of ranks 0..h-1
                CHECK(p.b < h);
            }
        }
        CHECK(host_pairs.size() == static_cast<std::size_t>(h * (h - 1) / 2));
        CHECK(within == h);
        const int inter_rounds = h == 1 ? 0 : (h % 2 == 0 ? h - 1 : h);
        CHECK(plan_rounds(plan) == inter_rounds + 1);
    }
}

TEST_CASE("the plan leaves out ranks whose host is unknown") {
    const auto plan = probe_plan(std::vector<std::string>{"h1", "h1", "", ""});
    REQUIRE(plan.size() == 1);
    CHECK(plan[0] == ProbePair{0, 1, 0, true});
}

TEST_CASE("latency and bandwidth from a timed ping-pong") {
    CHECK(latency_from(0.1, 1000) == doctest::Approx(50e-6)); // 0.1 s / 2000 one-way trips
    CHECK(latency_from(0.1, 0) == 0.0);
    CHECK(latency_from(0.0, 10) == 0.0);
    // 20 round trips of 1 MiB each way in 0.04 s: 40 MiB / 0.04 s.
    CHECK(bandwidth_from(0.04, 20, 1 << 20) == doctest::Approx(40.0 * (1 << 20) / 0.04));
    CHECK(bandwidth_from(0.0, 20, 1 << 20) == 0.0);
    CHECK(bandwidth_from(1.0, 0, 1 << 20) == 0.0);
}

TEST_CASE("latencies and bandwidths for people") {
    CHECK(format_latency(0.8e-6) == "0.8 us");
    CHECK(format_latency(45.25e-6) == "45.2 us");
    CHECK(format_latency(1.25e-3) == "1.25 ms");
    CHECK(format_latency(2.0) == "2.00 s");
    CHECK(format_bandwidth(950e6) == "950 MB/s");
    CHECK(format_bandwidth(1.254e9) == "1.25 GB/s");
}
