// Progress of a long run: when to show it and the line that shows it (done, rate, ETA). No MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rankpool {

/// Whether progress is shown: automatic (long runs only), always (--progress), never.
enum class ProgressMode { automatic, on, off };

/// When and how progress lines appear.
struct ProgressPlan {
    bool enabled = false;
    bool live = false;         ///< one line redrawn in place ('\r'): a terminal
    double first_after = 0;    ///< seconds into the run before the first line
    double every = 0;          ///< seconds between lines
    bool always_final = false; ///< the closing line even when no line was shown yet
};

/// automatic: on a terminal a live line from 2 s on, redrawn every 0.5 s; into a file (a Slurm
/// output file) a plain line every 10 s. on: the same from the start (a file: every 5 s), and a
/// closing line even for a short run. off: nothing.
[[nodiscard]] ProgressPlan plan_progress(ProgressMode mode, bool terminal);

/// "0:07", "3:25", "1:02:03" (hours, minutes, seconds; rounded down); "?" if not finite or < 0.
[[nodiscard]] std::string format_duration(double seconds);

/// "progress: 120/1000 tasks (12.0%), 40.0 tasks/s, ETA 0:22, elapsed 0:03": the rate is
/// done / elapsed, the ETA (total - done) / rate ("?" before the first task is done).
[[nodiscard]] std::string progress_line(std::uint64_t done, std::uint64_t total, double elapsed);

/// Decides, from the counts and the seconds elapsed, what to print and when. Pure.
class ProgressMeter {
public:
    explicit ProgressMeter(ProgressPlan plan) : plan_(plan), next_(plan.first_after) {}

    /// The text to write now, or nullopt: live text starts with '\r' (and blanks what is left
    /// of a longer line before it), plain text ends with '\n'.
    [[nodiscard]] std::optional<std::string> update(std::uint64_t done, std::uint64_t total,
                                                    double elapsed);
    /// The closing text (a last line ending with '\n'), or nullopt if progress is off or, in
    /// automatic mode, no line was shown.
    [[nodiscard]] std::optional<std::string> finish(std::uint64_t done, std::uint64_t total,
                                                    double elapsed);

private:
    std::string render(const std::string& line);

    ProgressPlan plan_;
    double next_;
    bool shown_ = false;
    std::size_t width_ = 0; // of the live line now shown
};

} // namespace rankpool
