// A run's deadline: --deadline's text read, and whether a task can still finish before it. Pure,
// no MPI, no clock of its own: callers pass the time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rankpool {

/// What a --deadline text names: a time (Unix seconds), or the Slurm job's end time (`slurm`,
/// which the caller asks Slurm for).
struct Deadline {
    bool slurm = false; ///< `slurm`: the job's end time, still to be looked up
    double at = 0;      ///< Unix seconds (when not slurm)
};

/// Reads a deadline, `now` being the current Unix time:
/// - SECONDS from now: "3600", "2.5" (a decimal >= 0, no sign, no exponent);
/// - a clock time HH:MM or HH:MM:SS, local time: today, or tomorrow when that is past already;
/// - ISO 8601 YYYY-MM-DDTHH:MM[:SS] (a space for the T is fine): local time, or UTC with a "Z"
///   or another zone with "+HH:MM" / "-HH:MM" after it;
/// - "slurm": the Slurm job's end time.
/// On failure returns nullopt and, if `why` is given, says why.
[[nodiscard]] std::optional<Deadline> parse_deadline(std::string_view text, double now,
                                                     std::string* why = nullptr);

/// The Unix time of an end time as Slurm prints it (squeue's %e, scontrol's EndTime=,
/// SLURM_JOB_END_TIME): "2026-11-27T06:40:00" (local time) or Unix seconds ("1795768800").
/// nullopt for what a job without a time limit shows ("Unknown", "N/A", "NONE", empty) and for
/// anything else that is not a time.
[[nodiscard]] std::optional<double> parse_slurm_end_time(std::string_view text);

/// The end time in `scontrol show job ID`'s output (its EndTime=...), as parse_slurm_end_time.
[[nodiscard]] std::optional<double> slurm_end_time_from_scontrol(std::string_view output);

/// A deadline's time as local "YYYY-MM-DD HH:MM:SS", for messages.
[[nodiscard]] std::string local_time_text(double unix_seconds);

/// Whether tasks may still start: the running mean of finished tasks' seconds says whether a
/// chunk of k tasks handed out now finishes before the deadline. Before any task has finished it
/// uses `prior` (e.g. a journal's recorded times) when it has one, else it lets tasks start while
/// the deadline is in the future: nothing measured says they cannot finish.
class DeadlineGate {
public:
    /// `deadline` in the caller's clock (the same one `now` is read from); prior <= 0: none.
    explicit DeadlineGate(double deadline, double prior = 0) : deadline_(deadline), prior_(prior) {}

    /// `tasks` tasks finished, taking `seconds` between them (a chunk's time, hand-out to result).
    void finished(double seconds, std::uint64_t tasks);
    /// The mean seconds per task so far (the prior while none finished; 0 when neither).
    [[nodiscard]] double mean() const;
    /// Whether a chunk of `tasks` tasks started at `now` is expected to finish by the deadline:
    /// now + tasks * mean() <= deadline (and now < deadline).
    [[nodiscard]] bool allows(double now, std::uint64_t tasks) const;
    [[nodiscard]] double deadline() const { return deadline_; }

private:
    double deadline_;
    double prior_;
    double seconds_ = 0;
    std::uint64_t tasks_ = 0;
};

} // namespace rankpool
