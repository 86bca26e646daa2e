// Scheduling policies for the executor: which tasks go to which worker, in what chunks. No MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "rankpool/chunking.hpp"

namespace rankpool {

/// How tasks are handed to workers.
enum class Schedule {
    static_block, ///< one contiguous block per worker, fixed up front (Pool.map's split)
    cyclic,       ///< chunks dealt round-robin, fixed up front
    dynamic,      ///< chunks of `chunksize` to whichever worker is idle first
    guided, ///< like dynamic, chunks shrink with the work left: max(chunksize, left / workers)
};

[[nodiscard]] std::string_view to_string(Schedule s);
/// "static", "cyclic", "dynamic" or "guided"; nullopt for anything else.
[[nodiscard]] std::optional<Schedule> schedule_from_string(std::string_view s);

/// The order in which tasks are handed out: 0..n-1, or by cost from the longest down (stable, so
/// equal costs keep their input order) when `longest_first`. `costs` may be empty when not.
[[nodiscard]] std::vector<std::uint64_t> task_order(std::uint64_t n, std::span<const double> costs,
                                                    bool longest_first);

/// Hands out chunks of task indices to workers 0..workers-1 according to a schedule. Pure
/// bookkeeping: the executor asks it for a worker's next chunk whenever that worker is idle.
class Dispatcher {
public:
    /// `order` lists every task once, in hand-out order. Requires workers >= 1, chunksize >= 1,
    /// or chunksize_auto with the dynamic schedule (chunks sized by AutoChunker from what
    /// observe() is told).
    Dispatcher(std::vector<std::uint64_t> order, int workers, Schedule schedule,
               std::uint64_t chunksize);

    /// The next chunk for `worker`, a view into the hand-out order (valid while the dispatcher
    /// lives); empty when nothing is left for it.
    [[nodiscard]] std::span<const std::uint64_t> next(int worker);
    /// Tasks not yet handed out.
    [[nodiscard]] std::uint64_t remaining() const noexcept { return remaining_; }
    /// A chunk of `tasks` tasks came back `seconds` after it was handed out: what auto chunks
    /// are sized from. Ignored unless adaptive().
    void observe(std::uint64_t tasks, double seconds) {
        if (adaptive()) {
            times_.add(tasks, seconds);
        }
    }
    [[nodiscard]] bool adaptive() const noexcept { return chunksize_ == chunksize_auto; }
    /// The whole hand-out order; chunks are views into it.
    [[nodiscard]] std::span<const std::uint64_t> order() const noexcept { return order_; }

private:
    std::vector<std::uint64_t> order_;
    int workers_;
    Schedule schedule_;
    std::uint64_t chunksize_;
    std::uint64_t remaining_;
    std::uint64_t cursor_ = 0;            // shared queue position (dynamic, guided)
    std::vector<std::uint64_t> position_; // per-worker chunk counter (static, cyclic)
    AutoChunker chunker_;                 // chunksize_auto
    ChunkTimes times_;
};

/// The largest chunk a Dispatcher with these settings can hand out: what a worker's receive
/// buffer must hold (max_auto_chunk for chunksize_auto).
[[nodiscard]] std::uint64_t max_chunk(std::uint64_t n, int workers, Schedule schedule,
                                      std::uint64_t chunksize);

/// The makespan of running tasks with these costs (seconds) on `workers` workers under a
/// schedule, assuming free dispatch: what a run should take, to compare schedules on paper. With
/// chunksize_auto the simulated chunks' times are observed as the executor observes real ones.
[[nodiscard]] double simulate_makespan(std::span<const double> costs, int workers,
                                       Schedule schedule, std::uint64_t chunksize,
                                       bool longest_first);

/// max(longest task, total / workers): no schedule can finish sooner.
[[nodiscard]] double makespan_lower_bound(std::span<const double> costs, int workers);

} // namespace rankpool
