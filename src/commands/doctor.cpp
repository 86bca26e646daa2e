// `rankpool doctor`: a preflight check of the launcher, placement, bindings and links of a job.
#include "doctor.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>

#include <mpi.h>

#include "rankpool/mpi_env.hpp"
#include "rankpool/run_info.hpp"
#include "rankpool/spawn.hpp"

namespace rankpool::commands {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int tag_facts = probe_tag_first;
constexpr int tag_plan = probe_tag_first + 1;
constexpr int tag_results = probe_tag_first + 5;
constexpr int tag_verdict = probe_tag_first + 6;

/// Pitfall lists name at most this many hosts, then "and N more".
constexpr std::size_t max_named = 4;

double since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string seconds_text(std::chrono::milliseconds t) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", static_cast<double>(t.count()) / 1000.0);
    return text;
}

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

/// "rank 3" or "ranks 0-1,4".
std::string ranks_text(const std::vector<int>& ranks) {
    return (ranks.size() == 1 ? "rank " : "ranks ") + rank_list(ranks);
}

/// Joins up to max_named items with ", ", then says how many more there are.
std::string join_some(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max_named; ++i) {
        out += (i == 0 ? "" : ", ") + items[i];
    }
    if (items.size() > max_named) {
        out += " and " + plural(items.size() - max_named, "more host", "more hosts");
    }
    return out;
}

/// "started by mpirun", "started alone (singleton)", ...
std::string started(const std::string& launcher) {
    if (launcher == "singleton") {
        return "started alone (singleton)";
    }
    return launcher == "other" ? "started by a PMI launcher (not mpirun or srun)"
                               : "started by " + launcher;
}

std::string mpi_library_line() {
    char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int len = 0;
    MPI_Get_library_version(text, &len);
    const std::string s(text, static_cast<std::size_t>(len));
    return s.substr(0, s.find_first_of(",\n"));
}

RankFacts local_facts(int rank, const std::optional<LaunchFacts>& launch) {
    const RankInfo info = local_rank_info();
    return {rank,
            info.host,
            info.pid,
            info.max_rss_bytes,
            info.host_cpus,
            info.cpus_allowed,
            cpu_list(affinity_cpus()),
            launch ? *launch : read_launch(std::getenv)};
}

/// A JSON string, or null for an empty one.
nlohmann::ordered_json text_or_null(const std::string& s) {
    return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
}

nlohmann::ordered_json launch_json(const LaunchFacts& l) {
    return {{"name", l.launcher},
            {"slurm_job", text_or_null(l.slurm_job)},
            {"slurm_step", text_or_null(l.slurm_step)},
            {"slurm_step_tasks", l.slurm_step_tasks},
            {"mpirun_under_srun", l.mpirun_under_srun}};
}

LaunchFacts launch_from(const nlohmann::json& j) {
    const auto text = [&](const char* key) {
        return j.at(key).is_null() ? std::string() : j.at(key).get<std::string>();
    };
    return {j.at("name").get<std::string>(), text("slurm_job"), text("slurm_step"),
            j.at("slurm_step_tasks").get<int>(), j.at("mpirun_under_srun").get<bool>()};
}

std::string plan_to_text(const std::vector<ProbePair>& plan) {
    auto j = nlohmann::json::array();
    for (const auto& p : plan) {
        j.push_back({p.a, p.b, p.round, p.same_host});
    }
    return j.dump();
}

std::vector<ProbePair> plan_from_text(const std::string& text) {
    std::vector<ProbePair> plan;
    for (const auto& p : nlohmann::json::parse(text)) {
        plan.push_back({p[0].get<int>(), p[1].get<int>(), p[2].get<int>(), p[3].get<bool>()});
    }
    return plan;
}

/// Rank 0: each rank's facts from the texts gathered (none for a rank not heard from, or one
/// whose text does not parse).
std::vector<std::optional<RankFacts>>
facts_from_texts(const std::vector<std::optional<std::string>>& texts) {
    std::vector<std::optional<RankFacts>> facts(texts.size());
    for (std::size_t r = 0; r < texts.size(); ++r) {
        if (texts[r]) {
            try {
                facts[r] = rank_facts_from(nlohmann::json::parse(*texts[r]));
            } catch (const nlohmann::json::exception&) {
                facts[r].reset();
            }
        }
    }
    return facts;
}

/// A pair whose first rank's outcome never reached rank 0.
PairOutcome missing_outcome(const ProbePair& p, std::chrono::milliseconds waited) {
    PairOutcome o;
    o.pair = p;
    o.error = "rank " + std::to_string(p.a) + " sent rank 0 no outcome within " +
              seconds_text(waited) + " s";
    return o;
}

/// By rank: the launcher's name for the host of each rank in `silent` (PMIx), "" elsewhere.
std::vector<std::string> silent_hosts(const std::vector<int>& silent, int size) {
    std::vector<std::string> hosts(static_cast<std::size_t>(size));
    if (silent.empty()) {
        return hosts;
    }
    const auto names = launcher_hosts(silent);
    for (std::size_t i = 0; i < silent.size(); ++i) {
        hosts[static_cast<std::size_t>(silent[i])] = names[i];
    }
    return hosts;
}

/// Rank 0: every planned pair with the outcome its first rank sent, or a failure saying none came.
std::vector<PairReport> pair_reports(const std::vector<ProbePair>& plan,
                                     const std::vector<std::optional<std::string>>& results,
                                     const std::vector<std::optional<RankFacts>>& facts,
                                     std::chrono::milliseconds waited) {
    std::map<std::pair<int, int>, PairOutcome> got;
    for (const auto& text : results) {
        if (!text) {
            continue;
        }
        try {
            for (const auto& j : nlohmann::json::parse(*text)) {
                const PairOutcome o = pair_outcome_from(j);
                got[{o.pair.a, o.pair.b}] = o;
            }
        } catch (const nlohmann::json::exception&) {
            continue; // reported as missing below
        }
    }
    std::vector<PairReport> pairs;
    for (const auto& p : plan) {
        const auto it = got.find({p.a, p.b});
        pairs.push_back({it != got.end() ? it->second : missing_outcome(p, waited),
                         facts[static_cast<std::size_t>(p.a)]->host,
                         facts[static_cast<std::size_t>(p.b)]->host});
    }
    return pairs;
}

std::string outcomes_to_text(const std::vector<PairOutcome>& outcomes) {
    auto j = nlohmann::ordered_json::array();
    for (const auto& o : outcomes) {
        j.push_back(to_json(o));
    }
    return j.dump();
}

std::vector<std::string> host_lines(const std::vector<HostSummary>& hosts,
                                    bool (*pick)(const HostSummary&)) {
    std::vector<std::string> lines;
    for (const auto& h : hosts) {
        if (pick(h)) {
            lines.push_back(h.host + " runs " + plural(h.ranks.size(), "rank", "ranks") + " on " +
                            plural(static_cast<std::size_t>(h.cpus), "CPU", "CPUs"));
        }
    }
    return lines;
}

/// For each rank that did not answer, the launcher's name for its host, or null.
nlohmann::ordered_json no_answer_hosts(const DoctorReport& r) {
    auto hosts = nlohmann::ordered_json::array();
    for (const int rank : r.silent()) {
        const auto i = static_cast<std::size_t>(rank);
        hosts.push_back(text_or_null(i < r.silent_hosts.size() ? r.silent_hosts[i] : ""));
    }
    return hosts;
}

/// Marks ranks that answered in silent_host_by_rank (no host name has a newline).
constexpr const char* answered_mark = "\n";

/// By rank: the launcher's host name of each rank that did not answer ("" if unknown), and
/// answered_mark for every rank that did.
std::vector<std::string> silent_host_by_rank(const DoctorReport& r) {
    std::vector<std::string> hosts(r.facts.size(), answered_mark);
    for (std::size_t i = 0; i < r.facts.size(); ++i) {
        if (!r.facts[i]) {
            hosts[i] = i < r.silent_hosts.size() ? r.silent_hosts[i] : std::string();
        }
    }
    return hosts;
}

void add_launch_pitfalls(const DoctorReport& r, std::vector<Pitfall>& out) {
    if (r.launch.mpirun_under_srun) {
        const int n = r.launch.slurm_step_tasks;
        out.push_back(
            {"srun_mpirun",
             "mpirun was started by srun (Slurm job " + r.launch.slurm_job + ", step " +
                 r.launch.slurm_step +
                 (n > 1 ? ", " + std::to_string(n) + " tasks): each task runs an mpirun of its " +
                              "own, so " + std::to_string(n) +
                              " separate MPI jobs each do the whole work"
                        : "): srun and mpirun both place ranks, and a second srun task would start "
                          "a second, separate MPI job"),
             "use one launcher: `srun --mpi=pmix rankpool ...` or `mpirun rankpool ...` in the "
             "batch script, never `srun mpirun` (docs/clusters.md)"});
    }
    if (r.spawn_unsupported) {
        out.push_back({"spawn_unsupported", "spawn: " + *r.spawn_unsupported,
                       "`rankpool spawn` refuses here; run it under mpirun inside the allocation "
                       "(salloc, then mpirun rankpool spawn); the other commands need no spawn"});
    }
}

void add_host_pitfalls(const DoctorReport& r, std::vector<Pitfall>& out) {
    const auto over = host_lines(r.hosts, [](const HostSummary& h) { return h.oversubscribed(); });
    if (!over.empty()) {
        out.push_back({"oversubscribed",
                       join_some(over) + ": ranks share cores, so one rank's time includes "
                                         "another's work, and speedups and timings are off",
                       "run at most one rank per CPU on each host (mpirun -np HOSTS*CPUS or "
                       "--map-by ppr:CPUS:node, srun --ntasks-per-node=CPUS), or add hosts"});
    }
    const auto idle = host_lines(r.hosts, [](const HostSummary& h) { return h.idle_cpus() > 0; });
    if (!idle.empty()) {
        out.push_back({"idle_cpus", join_some(idle) + ": CPUs left idle",
                       "one rank per CPU uses them all (mpirun -np HOSTS*CPUS, srun "
                       "--ntasks-per-node=CPUS), unless they are left on purpose for threads"});
    }
    std::vector<std::string> unbound;
    for (const auto& h : r.hosts) {
        if (!h.unbound.empty()) {
            unbound.push_back(ranks_text(h.unbound) + " on " + h.host);
        }
    }
    if (!unbound.empty()) {
        out.push_back({"unbound",
                       join_some(unbound) + ": free to run on every CPU of a host shared with "
                                            "other ranks (no binding, or bound to a socket that "
                                            "holds them all), so the OS may move them and put "
                                            "two on one core",
                       "bind ranks to cores: mpirun --bind-to core (Open MPI's default up to 2 "
                       "ranks, but none when oversubscribed), srun --cpu-bind=cores (with Slurm's "
                       "task/affinity or task/cgroup plugin)"});
    }
}

void add_link_pitfalls(const DoctorReport& r, std::vector<Pitfall>& out) {
    std::vector<std::string> failed;
    for (const auto& line : r.failures()) {
        failed.push_back(line);
    }
    if (failed.empty()) {
        return;
    }
    std::string problem;
    for (const auto& f : failed) {
        problem += (problem.empty() ? "" : "; ") + f;
    }
    out.push_back({"unreachable", problem,
                   "check that these hosts reach each other on the network Open MPI uses (ping, "
                   "firewalls; --mca btl_tcp_if_include SUBNET picks it) and that a transport "
                   "between hosts is allowed (--mca btl self,vader works within a host only: "
                   "add tcp); doctor ended the job with MPI_Abort"});
}

} // namespace

nlohmann::ordered_json to_json(const RankFacts& f) {
    return {{"rank", f.rank},
            {"host", f.host},
            {"pid", f.pid},
            {"max_rss_bytes", f.max_rss_bytes},
            {"host_cpus", f.host_cpus},
            {"cpus_allowed", f.cpus_allowed},
            {"cpus", f.cpus},
            {"launch", launch_json(f.launch)}};
}

RankFacts rank_facts_from(const nlohmann::json& j) {
    return {j.at("rank").get<int>(),          j.at("host").get<std::string>(),
            j.at("pid").get<std::uint64_t>(), j.at("max_rss_bytes").get<std::uint64_t>(),
            j.at("host_cpus").get<int>(),     j.at("cpus_allowed").get<int>(),
            j.at("cpus").get<std::string>(),  launch_from(j.at("launch"))};
}

std::vector<HostSummary> summarize_hosts(const std::vector<std::optional<RankFacts>>& facts) {
    std::vector<std::string> hosts;
    hosts.reserve(facts.size());
    for (const auto& f : facts) {
        hosts.push_back(f ? f->host : std::string());
    }
    std::vector<HostSummary> out;
    for (const auto& g : group_by_host(hosts)) {
        if (g.host.empty()) {
            continue; // ranks that did not answer
        }
        HostSummary h{g.host, g.ranks, facts[static_cast<std::size_t>(g.ranks[0])]->host_cpus, {}};
        for (const int r : g.ranks) {
            const RankFacts& f = *facts[static_cast<std::size_t>(r)];
            if (g.ranks.size() > 1 && f.host_cpus > 1 && f.cpus_allowed >= f.host_cpus) {
                h.unbound.push_back(r);
            }
        }
        out.push_back(std::move(h));
    }
    return out;
}

std::vector<int> DoctorReport::silent() const {
    std::vector<int> quiet;
    for (std::size_t r = 0; r < facts.size(); ++r) {
        if (!facts[r]) {
            quiet.push_back(static_cast<int>(r));
        }
    }
    return quiet;
}

std::vector<std::string> DoctorReport::failures() const {
    std::vector<std::string> lines;
    const std::string root_host = facts.empty() || !facts[0] ? "?" : facts[0]->host;
    for (const auto& g : group_by_host(silent_host_by_rank(*this))) {
        if (g.host == answered_mark) {
            continue;
        }
        lines.push_back(ranks_text(g.ranks) + " (" + (g.host.empty() ? "host unknown" : g.host) +
                        ") did not answer rank 0 (" + root_host + ") within " +
                        seconds_text(options.timeout) + " s");
    }
    for (const auto& p : pairs) {
        if (!p.outcome.ok) {
            lines.push_back(describe(p) + ": " + p.outcome.error);
        }
    }
    return lines;
}

std::vector<Pitfall> find_pitfalls(const DoctorReport& r) {
    std::vector<Pitfall> out;
    add_launch_pitfalls(r, out);
    add_host_pitfalls(r, out);
    add_link_pitfalls(r, out);
    return out;
}

std::string describe(const PairReport& p) {
    const auto& q = p.outcome.pair;
    if (q.same_host) {
        return "ranks " + std::to_string(q.a) + " and " + std::to_string(q.b) + " within " +
               p.host_a;
    }
    return "rank " + std::to_string(q.a) + " (" + p.host_a + ") <-> rank " + std::to_string(q.b) +
           " (" + p.host_b + ")";
}

nlohmann::ordered_json to_json(const DoctorOptions& o) {
    return {{"timeout", static_cast<double>(o.timeout.count()) / 1000.0}};
}

nlohmann::ordered_json to_json(const PairOutcome& o) {
    return {{"ranks", {o.pair.a, o.pair.b}},
            {"round", o.pair.round},
            {"same_host", o.pair.same_host},
            {"ok", o.ok},
            {"latency_seconds", o.latency},
            {"bandwidth_bytes_per_second", o.bandwidth},
            {"latency_round_trips", o.latency_round_trips},
            {"bandwidth_round_trips", o.bandwidth_round_trips},
            {"seconds", o.seconds},
            {"error", text_or_null(o.error)}};
}

PairOutcome pair_outcome_from(const nlohmann::json& j) {
    PairOutcome o;
    o.pair = {j.at("ranks")[0].get<int>(), j.at("ranks")[1].get<int>(), j.at("round").get<int>(),
              j.at("same_host").get<bool>()};
    o.ok = j.at("ok").get<bool>();
    o.latency = j.at("latency_seconds").get<double>();
    o.bandwidth = j.at("bandwidth_bytes_per_second").get<double>();
    o.latency_round_trips = j.at("latency_round_trips").get<std::uint64_t>();
    o.bandwidth_round_trips = j.at("bandwidth_round_trips").get<std::uint64_t>();
    o.seconds = j.at("seconds").get<double>();
    o.error = j.at("error").is_null() ? std::string() : j.at("error").get<std::string>();
    return o;
}

nlohmann::ordered_json to_json(const DoctorReport& r) {
    auto hosts = nlohmann::ordered_json::array();
    auto per_host = nlohmann::ordered_json::object();
    bool oversubscribed = false;
    for (const auto& h : r.hosts) {
        hosts.push_back({{"host", h.host},
                         {"ranks", h.ranks},
                         {"cpus", h.cpus},
                         {"oversubscribed", h.oversubscribed()},
                         {"idle_cpus", h.idle_cpus()},
                         {"unbound_ranks", h.unbound}});
        per_host[h.host] = h.ranks.size();
        oversubscribed = oversubscribed || h.oversubscribed();
    }
    auto bindings = nlohmann::ordered_json::array();
    for (const auto& f : r.facts) {
        if (!f) {
            bindings.push_back(nullptr);
            continue;
        }
        bindings.push_back({{"rank", f->rank},
                            {"host", f->host},
                            {"cpus_allowed", f->cpus_allowed},
                            {"cpus", f->cpus},
                            {"bound", f->cpus_allowed < f->host_cpus}});
    }
    auto pairs = nlohmann::ordered_json::array();
    std::size_t answered = 0;
    for (const auto& p : r.pairs) {
        auto j = to_json(p.outcome);
        j["hosts"] = {p.host_a, p.host_b};
        pairs.push_back(std::move(j));
        answered += p.outcome.ok ? 1 : 0;
    }
    auto pitfalls = nlohmann::ordered_json::array();
    for (const auto& p : r.pitfalls) {
        pitfalls.push_back({{"id", p.id}, {"problem", p.problem}, {"fix", p.fix}});
    }
    const auto failures = r.failures();
    return {{"command", "doctor"},
            {"ok", r.ok()},
            {"options", to_json(r.options)},
            {"seconds", {{"probe", r.probe_seconds}, {"total", r.total_seconds}}},
            {"results",
             {{"count", r.pairs.size()},
              {"answered", answered},
              {"failed", r.pairs.size() - answered},
              {"failures", failures}}},
            {"detail",
             {{"launcher", launch_json(r.launch)},
              {"spawn",
               {{"supported", !r.spawn_unsupported},
                {"reason", r.spawn_unsupported ? nlohmann::ordered_json(*r.spawn_unsupported)
                                               : nlohmann::ordered_json()}}},
              {"ranks_per_host", per_host},
              {"oversubscribed", oversubscribed},
              {"hosts", hosts},
              {"no_answer", r.silent()},
              {"no_answer_hosts", no_answer_hosts(r)},
              {"bindings", bindings},
              {"pairs", pairs},
              {"pitfalls", pitfalls}}}};
}

std::vector<std::string> to_text(const DoctorReport& r) {
    std::vector<std::string> lines;
    std::string host_names;
    for (const auto& h : r.hosts) {
        host_names += (host_names.empty() ? "" : ", ") + h.host;
    }
    lines.push_back("doctor: " + plural(static_cast<std::size_t>(r.ranks), "rank", "ranks") +
                    " on " + plural(r.hosts.size(), "host", "hosts") + " (" + host_names + "), " +
                    started(r.launch.launcher) + "; " + r.mpi_library + ", thread level " +
                    r.thread_level);
    lines.push_back(r.spawn_unsupported
                        ? "spawn: not here: " + *r.spawn_unsupported
                        : "spawn: possible here (" + started(r.launch.launcher) + ")");
    for (const auto& h : r.hosts) {
        std::string line = "host " + h.host + ": " + ranks_text(h.ranks) + " on " +
                           plural(static_cast<std::size_t>(h.cpus), "CPU", "CPUs") +
                           (h.oversubscribed() ? " (oversubscribed)" : "");
        for (std::size_t i = 0; i < h.ranks.size(); ++i) {
            const RankFacts& f = *r.facts[static_cast<std::size_t>(h.ranks[i])];
            line += std::string(i == 0 ? "; " : ", ") + "rank " + std::to_string(f.rank) +
                    " on CPUs " + f.cpus + (f.cpus_allowed < f.host_cpus ? "" : " (unbound)");
        }
        lines.push_back(line);
    }
    if (r.pairs.empty()) {
        lines.emplace_back("links: none to measure (one rank)");
    }
    for (const auto& p : r.pairs) {
        lines.push_back("link " + describe(p) + ": " +
                        (p.outcome.ok ? "latency " + format_latency(p.outcome.latency) +
                                            ", bandwidth " + format_bandwidth(p.outcome.bandwidth)
                                      : "FAILED: " + p.outcome.error));
    }
    for (const auto& p : r.pitfalls) {
        lines.push_back("pitfall " + p.id + ": " + p.problem);
        lines.push_back("  what to do: " + p.fix);
    }
    const auto failed = r.failures();
    char tail[96];
    std::snprintf(tail, sizeof tail, " (%.2f s)", r.total_seconds);
    lines.push_back(failed.empty()
                        ? "ok: every rank and every link answered within " +
                              seconds_text(r.options.timeout) + " s" + tail
                        : "FAILED: " + failed.front() +
                              (failed.size() > 1
                                   ? " (and " + std::to_string(failed.size() - 1) + " more)"
                                   : "") +
                              tail);
    return lines;
}

DoctorReport run_doctor(const boost::mpi::communicator& comm, const DoctorOptions& o) {
    const auto t0 = Clock::now();
    const bool root = comm.rank() == 0;
    DoctorReport r;
    r.options = o;
    r.ranks = comm.size();
    const RankFacts mine = local_facts(comm.rank(), o.launch);
    const auto texts = gather_texts(comm, to_json(mine).dump(), 0, o.timeout, tag_facts);
    std::vector<std::string> hosts;
    RankSet answered; // the ranks that get the plan and report back: those that answered
    if (root) {
        r.facts = facts_from_texts(texts);
        for (const auto& f : r.facts) {
            hosts.push_back(f ? f->host : std::string());
            answered.push_back(f.has_value());
        }
    }
    const auto plan = plan_from_text(broadcast_text(
        comm, root ? plan_to_text(probe_plan(hosts)) : std::string(), 0, tag_plan, answered));
    const auto tp = Clock::now();
    PingPongOptions ping;
    ping.timeout = o.timeout;
    const auto outcomes = ping_pong(comm, plan, ping);
    // Every rank is done with round k by (k + 2) timeouts after the plan (ping_pong); one more
    // for the outcomes to arrive.
    const auto by = tp + o.timeout * (plan_rounds(plan) + 2);
    const auto waited = std::max(
        o.timeout, std::chrono::duration_cast<std::chrono::milliseconds>(by - Clock::now()));
    const auto results =
        gather_texts(comm, outcomes_to_text(outcomes), 0, waited, tag_results, answered);
    r.probe_seconds = since(tp);
    if (root) {
        r.pairs = pair_reports(plan, results, r.facts, waited);
        r.silent_hosts = silent_hosts(r.silent(), comm.size());
        r.launch = mine.launch;
        r.spawn_unsupported = spawn_unsupported_reason(std::getenv);
        r.mpi_library = mpi_library_line();
        r.thread_level = std::string(to_string(provided_thread_level()));
        r.hosts = summarize_hosts(r.facts);
        r.pitfalls = find_pitfalls(r);
    }
    r.total_seconds = since(t0);
    return r;
}

bool share_verdict(const boost::mpi::communicator& comm, const DoctorReport& r) {
    if (comm.rank() == 0 && !r.ok()) {
        return false;
    }
    // Only when every rank answered: the verdict reaches them all.
    static_cast<void>(broadcast_text(comm, "ok", 0, tag_verdict));
    return true;
}

} // namespace rankpool::commands
