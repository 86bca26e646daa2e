// The `doctor` subcommand's command line: its options, how it reports, and how a failure ends.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include "rankpool/parse.hpp"
#include "rankpool/preflight.hpp"

#include "app.hpp"
#include "commands/doctor.hpp"
#include "output.hpp"

namespace rankpool::cli {

using namespace rankpool::commands;

namespace {

struct DoctorArgs {
    std::string timeout = "5";
    bool json = false;
};

DoctorOptions validate(const DoctorArgs& a) {
    const double s = parse_seconds(a.timeout, "--timeout");
    if (s <= 0) {
        throw usage_error("--timeout must be > 0 seconds, got '" + a.timeout + "'");
    }
    if (s > max_doctor_timeout) {
        throw usage_error("--timeout = " + a.timeout + " is too long (at most 600 s)");
    }
    DoctorOptions o;
    o.timeout = std::chrono::milliseconds(static_cast<long long>(std::ceil(s * 1000)));
    o.launch = read_launch(std::getenv); // before MPI_Init changes the environment
    return o;
}

/// Each rank's envelope entry from the facts rank 0 collected (empty for a rank not heard from).
std::vector<RankInfo> rank_infos(const DoctorReport& r) {
    std::vector<RankInfo> info(r.facts.size());
    for (std::size_t i = 0; i < r.facts.size(); ++i) {
        if (const auto& f = r.facts[i]) {
            // doctor's ranks all ask for one level (its command does not say: funneled)
            info[i] = {f->host,      f->pid,          f->max_rss_bytes,
                       f->host_cpus, f->cpus_allowed, r.thread_level};
        }
    }
    return info;
}

/// Rank 0 shows the report without any collective: a rank may be out of reach.
void show(const DoctorReport& r, Output& out) {
    if (out.json()) {
        out.json_line(envelope_of(r.ranks, rank_infos(r), to_json(r), nullptr));
        return;
    }
    for (const auto& l : to_text(r)) {
        out.line(l);
    }
}

int run(const boost::mpi::communicator& comm, const DoctorOptions& o, Output& out) {
    const auto r = run_doctor(comm, o);
    if (comm.rank() == 0) {
        show(r, out);
    }
    if (share_verdict(comm, r)) {
        return exit_ok;
    }
    // Rank 0 only: some rank or pair did not answer, so some requests will never complete and a
    // rank may be out of reach: MPI cannot end normally (a barrier would wait for ever).
    out.error(r.failures().front() + "; ending the job (MPI_Abort)");
    out.flush();
    std::fflush(nullptr);
    MPI_Abort(MPI_COMM_WORLD, exit_failure);
    return exit_failure;
}

} // namespace

void add_doctor_command(CLI::App& app, std::optional<Command>& chosen) {
    auto args = std::make_shared<DoctorArgs>();
    auto* doc = app.add_subcommand(
        "doctor",
        "A preflight check, run the way a job runs (mpirun ... rankpool doctor, srun ..., or\n"
        "alone): the launcher and whether spawn works there, ranks and CPUs per host, each\n"
        "rank's binding, latency and bandwidth between every pair of hosts and within a host,\n"
        "and known pitfalls with what to do.");
    doc->footer(
        "How: every rank sends rank 0 its host, CPUs, binding (sched_getaffinity) and launcher\n"
        "environment; rank 0 plans one pair for each pair of hosts (their lowest ranks) and one\n"
        "within each host; the pairs ping-pong (1000 round trips of 8 bytes for latency, 20 of\n"
        "1 MiB for bandwidth, each cut short after 0.25 s; the pairs of one round at once) and\n"
        "report back. Every wait has a deadline: a rank or a pair that does not answer within\n"
        "--timeout is named, rank 0 prints the report and ends the job with MPI_Abort (exit code\n"
        "1; Open MPI adds its own lines). Pitfalls (srun mpirun, spawn under srun, oversubscribed\n"
        "hosts, idle CPUs, unbound ranks) are warnings: exit code 0. See docs/doctor.md.");
    doc->add_option("--timeout", args->timeout,
                    "seconds to wait for each rank and each pair, > 0 and <= 600 (default 5)")
        ->type_name("SECONDS");
    doc->add_flag("--json", args->json, "print one JSON object instead of the text report");
    doc->callback([args, &chosen] {
        const DoctorOptions o = validate(*args);
        chosen = Command{
            "doctor", args->json, to_json(o),
            [o](const boost::mpi::communicator& comm, Output& out) { return run(comm, o, out); }};
    });
}

} // namespace rankpool::cli
