// --deadline on the command line: the option, and the Slurm job's end time for `--deadline slurm`.
#include "deadline_cli.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/serialization/string.hpp>

#include "rankpool/deadline.hpp"
#include "rankpool/errors.hpp"

namespace rankpool::cli {

namespace {

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A command's standard output (stderr dropped); empty when it cannot run.
std::string output_of(const std::string& command) {
    std::string text;
    FILE* p = popen((command + " 2>/dev/null").c_str(), "r");
    if (p == nullptr) {
        return text;
    }
    char buf[4096];
    std::size_t got = 0;
    while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) {
        text.append(buf, got);
    }
    pclose(p);
    return text;
}

} // namespace

void add_deadline_option(CLI::App& app, std::string& text) {
    app.add_option("--deadline", text,
                   "start no task that the mean time of the tasks finished so far says cannot\n"
                   "finish by TIME: seconds from now (3600), a clock time (06:40, today or\n"
                   "tomorrow), ISO 8601 (2026-11-27T06:40:00, local; Z or +HH:MM for a zone),\n"
                   "or 'slurm' (the Slurm job's end time); then the run stops cleanly, with the\n"
                   "journal kept, and exits 142")
        ->type_name("TIME");
}

void check_deadline(const std::string& text) {
    if (text.empty()) {
        return;
    }
    std::string why;
    if (!parse_deadline(text, unix_now(), &why)) {
        throw usage_error("--deadline: " + why);
    }
}

std::optional<double> slurm_job_end_time(std::string& why) {
    const char* id = std::getenv("SLURM_JOB_ID");
    if (id == nullptr || *id == '\0') {
        why = "--deadline slurm: not inside a Slurm job (SLURM_JOB_ID is not set)";
        return std::nullopt;
    }
    const std::string job = id;
    if (job.find_first_not_of("0123456789") != std::string::npos) {
        why = "--deadline slurm: SLURM_JOB_ID '" + job + "' is not a job number";
        return std::nullopt;
    }
    if (const char* end = std::getenv("SLURM_JOB_END_TIME"); end != nullptr && *end != '\0') {
        if (const auto t = parse_slurm_end_time(end)) {
            return t;
        }
    }
    if (const auto t = parse_slurm_end_time(output_of("squeue -h -j " + job + " -o %e"))) {
        return t;
    }
    if (const auto t = slurm_end_time_from_scontrol(output_of("scontrol show job " + job))) {
        return t;
    }
    why = "--deadline slurm: Slurm gives job " + job + " no end time (squeue -h -j " + job +
          " -o %e: a job without a time limit?)";
    return std::nullopt;
}

double resolve_deadline(const boost::mpi::communicator& comm, int root, const std::string& text) {
    if (text.empty()) {
        return 0;
    }
    double at = 0;
    std::string why;
    if (comm.rank() == root) {
        if (const auto d = parse_deadline(text, unix_now(), &why)) {
            if (!d->slurm) {
                at = d->at;
            } else if (const auto t = slurm_job_end_time(why)) {
                at = *t;
            }
        }
    }
    boost::mpi::broadcast(comm, why, root);
    if (!why.empty()) {
        throw usage_error(why);
    }
    boost::mpi::broadcast(comm, at, root);
    return at;
}

} // namespace rankpool::cli
