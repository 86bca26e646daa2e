// Adaptive chunk sizes (`--chunksize auto`): factoring self-scheduling with a floor from measured
// task and dispatch times, and a seeded task-length generator for benchmarks. No MPI.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace rankpool {

/// The chunksize that means "auto" (ExecutorOptions::chunksize, Dispatcher): chunks sized by
/// AutoChunker. Only the dynamic schedule takes it.
inline constexpr std::uint64_t chunksize_auto = 0;

/// What the root measured of the chunks that came back: each chunk's size and round trip (handed
/// out to result back), fitted as round trip = overhead + tasks * per_task.
class ChunkTimes {
public:
    /// A chunk of `tasks` tasks (>= 1) came back `seconds` after it was handed out.
    void add(std::uint64_t tasks, double seconds);
    [[nodiscard]] std::uint64_t chunks() const noexcept { return chunks_; }
    /// Seconds per task: total round trips over total tasks (the dispatch cost included, so an
    /// overestimate, which errs towards smaller chunks); 0 before any chunk.
    [[nodiscard]] double per_task() const noexcept;
    /// Seconds per chunk beyond its tasks: the least-squares intercept, clamped to
    /// [0, shortest round trip] and to max_overhead (a round trip of more than that is the tasks'
    /// noise, not dispatch); 0 until two chunks of different sizes came back.
    [[nodiscard]] double overhead() const noexcept;
    /// The largest dispatch cost overhead() reports, in seconds.
    static constexpr double max_overhead = 200e-6;

private:
    std::uint64_t chunks_ = 0;
    double k_ = 0;  // sum of sizes
    double kk_ = 0; // sum of squared sizes
    double r_ = 0;  // sum of round trips
    double kr_ = 0; // sum of size * round trip
    double shortest_ = std::numeric_limits<double>::infinity();
};

/// Factoring (Hummel, Schonberg and Flynn 1992, the FAC2 rule): chunks are handed out in batches
/// of one per worker; each chunk of a batch is ceil(R / (2 W)) of the R tasks left when the batch
/// starts, so every batch hands out about half of what is left: large chunks first, 1s at the end.
/// Measurements adjust it three ways:
/// - the first batch, before anything came back, is one task per worker (a probe);
/// - the floor: no chunk is smaller than the one whose dispatch cost is `overhead_share` of its
///   run time (ChunkTimes' overhead / per_task), so that tasks of a few microseconds do not end
///   in many one-task messages; its imbalance is at most max_overhead / overhead_share seconds;
/// - the ceiling: no chunk is longer than `chunk_seconds` by the measured per-task time (but at
///   least 1 task), so that long tasks go out one by one (progress, a journal and a stop see each
///   one) while tiny ones still go out by the hundred thousand.
/// No chunk exceeds max_auto_chunk(n, W).
class AutoChunker {
public:
    /// Requires workers >= 1.
    AutoChunker(std::uint64_t n, int workers);
    /// The size of the next chunk with `remaining` tasks left: in [1, remaining], 0 when none.
    [[nodiscard]] std::uint64_t next(std::uint64_t remaining, const ChunkTimes& times);
    /// The floor these measurements give (1 before any).
    [[nodiscard]] std::uint64_t floor(const ChunkTimes& times) const;
    static constexpr double overhead_share = 0.1;
    static constexpr double chunk_seconds = 0.5;

private:
    std::uint64_t cap_;
    int workers_;
    std::uint64_t batch_ = 0;
    int left_in_batch_ = 0;
};

/// The largest chunk auto hands out for n tasks on `workers` workers: ceil(n / (2 workers)), at
/// least 1 (what a worker's receive buffer must hold).
[[nodiscard]] std::uint64_t max_auto_chunk(std::uint64_t n, int workers);

/// The chunk sizes auto hands out, in order, for n tasks on `workers` workers when every task
/// takes `per_task` seconds and every chunk `overhead` seconds more (chunks come back in the
/// order they went out, one batch at a time): what the unit tests and the README show.
[[nodiscard]] std::vector<std::uint64_t> auto_chunk_sequence(std::uint64_t n, int workers,
                                                             double per_task, double overhead);

/// n task lengths drawn from the exponential distribution with this mean (seconds), from a seed:
/// the same on every platform (splitmix64 and -mean * log(1 - u), not <random>'s distributions).
[[nodiscard]] std::vector<double> exponential_durations(std::uint64_t n, double mean,
                                                        std::uint64_t seed);

} // namespace rankpool
