// --deadline on the command line: the option, and the Slurm job's end time for `--deadline slurm`.
#pragma once

#include <optional>
#include <string>

#include <boost/mpi/communicator.hpp>

namespace CLI {
class App;
}

namespace rankpool::cli {

/// Adds --deadline TIME to a command, read into `text`.
void add_deadline_option(CLI::App& app, std::string& text);

/// Checks --deadline's text while parsing (usage_error when bad; "slurm" is looked up later).
void check_deadline(const std::string& text);

/// The Slurm job's end time (Unix seconds): SLURM_JOB_END_TIME if set, else squeue's %e, else
/// scontrol show job's EndTime. nullopt, with `why`, outside a Slurm job or when Slurm gives no
/// end time (a job without a time limit).
[[nodiscard]] std::optional<double> slurm_job_end_time(std::string& why);

/// The run's deadline in Unix seconds (0: none) from --deadline's text: read on `root` (where
/// `slurm` asks Slurm) and broadcast. Collective; usage_error on every rank when it cannot be had.
[[nodiscard]] double resolve_deadline(const boost::mpi::communicator& comm, int root,
                                      const std::string& text);

} // namespace rankpool::cli
