// Where the root runs its own chunks when it also dispatches: inline on the dispatching thread,
// or on its task thread. Pure: no MPI, no clock; the executor feeds it measured times.
#pragma once

#include <cstdint>

namespace rankpool {

/// Decides, chunk by chunk, whether the root runs its chunk inline between polls of the workers
/// (no thread hand-off, but nothing is handed out or collected while it runs) or on its task
/// thread (a condition-variable wake-up and, on a rank bound to one core, context switches; but
/// dispatch goes on while it runs). Measured task times decide: a chunk runs inline when the
/// root's recent time per task says it takes at most `inline_limit` seconds. The estimate rises
/// at once with a slower chunk and falls by a quarter of the gap with a faster one, so one long
/// task sends the next chunks to the thread until short ones have been seen again. The first
/// `min_chunks` chunks run on the thread, whatever they measure: a task that fails at once says
/// little about the next one.
class RootPlacement {
public:
    /// The longest a chunk may hold up dispatch when run inline, in seconds.
    static constexpr double inline_limit = 50e-6;
    /// Chunks measured before any runs inline.
    static constexpr unsigned min_chunks = 4;

    /// Whether a chunk of `tasks` tasks runs inline.
    [[nodiscard]] bool run_inline(std::uint64_t tasks) const {
        return chunks_ >= min_chunks && per_task_ * static_cast<double>(tasks) <= inline_limit;
    }
    /// A chunk ran `tasks` tasks (any outcome) in `seconds`.
    void measured(double seconds, std::uint64_t tasks) {
        if (tasks == 0) {
            return;
        }
        const double t = seconds / static_cast<double>(tasks);
        if (chunks_ == 0 || t > per_task_) {
            per_task_ = t;
        } else {
            per_task_ += (t - per_task_) / 4;
        }
        chunks_ += chunks_ < min_chunks ? 1 : 0;
    }
    /// Seconds per task as estimated now (0 before any measurement).
    [[nodiscard]] double per_task() const { return per_task_; }

private:
    unsigned chunks_ = 0; // measured, counted up to min_chunks
    double per_task_ = 0;
};

} // namespace rankpool
