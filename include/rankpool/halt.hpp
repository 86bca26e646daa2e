// When a run with failing tasks stops, as GNU parallel's --halt says it: a pure policy. No MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rankpool {

/// What a run does after a task failed for good (its retries, if any, spent).
enum class HaltAction {
    go_on,     ///< keep handing out tasks
    stop_soon, ///< hand out nothing more; tasks already handed out finish
    stop_now,  ///< hand out nothing more and cancel running tasks through their stop token
};

/// When to stop a run with failing tasks, as GNU parallel's `--halt`: `never` (run every task,
/// report every failure), or `WHEN,fail=N` / `WHEN,fail=P%` with WHEN `now` (cancel running
/// tasks) or `soon` (let them finish): stop once N tasks, or P% of all tasks, failed. The default
/// is `now,fail=1`: the first failure stops the run.
struct HaltPolicy {
    enum class When { never, soon, now };
    When when = When::now;
    bool percent = false;        ///< `threshold` is a percentage of all tasks
    std::uint64_t threshold = 1; ///< failures (or percent) that stop the run: >= 1 (<= 100 %)

    /// Run everything whatever fails (`never`).
    [[nodiscard]] static HaltPolicy never() { return {When::never, false, 0}; }

    /// What to do after `failures` tasks failed for good, `done` tasks finished (ok or failed)
    /// out of `total`.
    [[nodiscard]] HaltAction decide(std::uint64_t failures, std::uint64_t done,
                                    std::uint64_t total) const;
    /// True when the first failure always stops the run at once (`now,fail=1`, and `now,fail=P%`
    /// reaching P% at one failure does not count: only the plain default).
    [[nodiscard]] bool stops_at_first_failure() const {
        return when == When::now && !percent && threshold == 1;
    }

    friend bool operator==(const HaltPolicy&, const HaltPolicy&) = default;
};

/// The policy's text as `parse_halt` reads it: "never", "now,fail=1", "soon,fail=5%".
[[nodiscard]] std::string to_string(const HaltPolicy& p);

/// Reads "never", "now,fail=N", "soon,fail=N", "now,fail=P%" or "soon,fail=P%" (N >= 1 without
/// a sign, 1 <= P <= 100). On failure returns nullopt and, if `why` is given, says why.
[[nodiscard]] std::optional<HaltPolicy> parse_halt(std::string_view text,
                                                   std::string* why = nullptr);

} // namespace rankpool
