// Pure facts for `rankpool doctor`: the launcher, CPU lists, ranks per host, probe pairs, links.
#include "rankpool/preflight.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace rankpool {

namespace {

std::string env_or_empty(const std::function<const char*(const char*)>& getenv, const char* key) {
    const char* v = getenv(key);
    return v == nullptr ? std::string() : std::string(v);
}

int env_int(const std::function<const char*(const char*)>& getenv, const char* key) {
    const std::string v = env_or_empty(getenv, key);
    int n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc() && end == v.data() + v.size() ? n : 0;
}

/// Runs of consecutive numbers in a sorted, duplicate-free list, as "a-b" or "a".
std::string runs(const std::vector<int>& sorted) {
    std::string out;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) {
            ++j;
        }
        out += (out.empty() ? "" : ",") + std::to_string(sorted[i]);
        if (j > i) {
            out += "-" + std::to_string(sorted[j]);
        }
        i = j + 1;
    }
    return out;
}

/// Every pair of [0, n) once, as rounds in which each index appears at most once (the circle
/// method: index n - 1, or a bye when n is odd, stays put while the others rotate).
std::vector<std::vector<std::pair<int, int>>> round_robin(int n) {
    const int m = n % 2 == 0 ? n : n + 1; // with a bye when odd
    std::vector<std::vector<std::pair<int, int>>> rounds;
    for (int r = 0; r + 1 < m; ++r) {
        std::vector<std::pair<int, int>> round;
        const auto add = [&](int x, int y) {
            if (x < n && y < n) {
                round.emplace_back(std::min(x, y), std::max(x, y));
            }
        };
        add(m - 1, r);
        for (int k = 1; k < m / 2; ++k) {
            add((r + k) % (m - 1), (r - k + (m - 1)) % (m - 1));
        }
        if (!round.empty()) {
            rounds.push_back(std::move(round));
        }
    }
    return rounds;
}

} // namespace

LaunchFacts read_launch(const std::function<const char*(const char*)>& getenv) {
    LaunchFacts f;
    f.slurm_job = env_or_empty(getenv, "SLURM_JOB_ID");
    f.slurm_step = env_or_empty(getenv, "SLURM_STEP_ID");
    f.slurm_step_tasks = env_int(getenv, "SLURM_STEP_NUM_TASKS");
    const bool ompi = getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
    if (ompi) {
        f.launcher = "mpirun";
    } else if (!f.slurm_step.empty()) {
        f.launcher = "srun";
    } else if (getenv("PMIX_RANK") != nullptr || getenv("PMI_RANK") != nullptr) {
        f.launcher = "other";
    } else {
        f.launcher = "singleton";
    }
    f.mpirun_under_srun = ompi && !f.slurm_step.empty();
    return f;
}

std::string cpu_list(std::vector<int> cpus) {
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    return runs(cpus);
}

std::string rank_list(const std::vector<int>& ranks) {
    return cpu_list(ranks);
}

std::vector<HostGroup> group_by_host(std::span<const std::string> hosts) {
    std::vector<HostGroup> groups;
    for (std::size_t r = 0; r < hosts.size(); ++r) {
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const HostGroup& g) { return g.host == hosts[r]; });
        if (it == groups.end()) {
            groups.push_back({hosts[r], {}});
            it = groups.end() - 1;
        }
        it->ranks.push_back(static_cast<int>(r));
    }
    return groups;
}

std::vector<ProbePair> probe_plan(std::span<const std::string> hosts) {
    std::vector<HostGroup> groups = group_by_host(hosts);
    std::erase_if(groups, [](const HostGroup& g) { return g.host.empty(); });
    std::vector<ProbePair> plan;
    const auto rounds = round_robin(static_cast<int>(groups.size()));
    for (std::size_t r = 0; r < rounds.size(); ++r) {
        for (const auto& [x, y] : rounds[r]) {
            const int a = groups[static_cast<std::size_t>(x)].ranks.front();
            const int b = groups[static_cast<std::size_t>(y)].ranks.front();
            plan.push_back({std::min(a, b), std::max(a, b), static_cast<int>(r), false});
        }
    }
    const int last = static_cast<int>(rounds.size());
    for (const auto& g : groups) {
        if (g.ranks.size() >= 2) {
            plan.push_back({g.ranks[0], g.ranks[1], last, true});
        }
    }
    std::stable_sort(plan.begin(), plan.end(), [](const ProbePair& p, const ProbePair& q) {
        return p.round != q.round ? p.round < q.round : p.a < q.a;
    });
    return plan;
}

int plan_rounds(std::span<const ProbePair> plan) {
    int rounds = 0;
    for (const auto& p : plan) {
        rounds = std::max(rounds, p.round + 1);
    }
    return rounds;
}

double latency_from(double seconds, std::uint64_t round_trips) {
    return round_trips == 0 || seconds <= 0 ? 0.0
                                            : seconds / (2.0 * static_cast<double>(round_trips));
}

double bandwidth_from(double seconds, std::uint64_t round_trips, std::size_t bytes) {
    return round_trips == 0 || seconds <= 0
               ? 0.0
               : 2.0 * static_cast<double>(round_trips) * static_cast<double>(bytes) / seconds;
}

std::string format_latency(double seconds) {
    char text[32];
    if (seconds < 1e-3) {
        std::snprintf(text, sizeof text, "%.1f us", seconds * 1e6);
    } else if (seconds < 1) {
        std::snprintf(text, sizeof text, "%.2f ms", seconds * 1e3);
    } else {
        std::snprintf(text, sizeof text, "%.2f s", seconds);
    }
    return text;
}

std::string format_bandwidth(double bytes_per_second) {
    char text[32];
    if (bytes_per_second < 1e9) {
        std::snprintf(text, sizeof text, "%.0f MB/s", bytes_per_second / 1e6);
    } else {
        std::snprintf(text, sizeof text, "%.2f GB/s", bytes_per_second / 1e9);
    }
    return text;
}

} // namespace rankpool
