// Pieces the commands' JSON and text views share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"
#include "rankpool/executor.hpp"

namespace rankpool::commands {

/// A JSON number when the value fits in 64 bits, otherwise its exact decimal text as a string.
[[nodiscard]] nlohmann::ordered_json json_uint128(uint128 v);

/// The text report's lines on retries and the halt policy, for an executor run: "retried 3
/// failed runs: 13 runs in all", "stopped by --halt now,fail=1" (each only when it applies).
[[nodiscard]] std::vector<std::string> retry_and_halt_lines(const ExecutionSummary& s,
                                                            const HaltPolicy& halt);

/// "resumed: 7 of 12 tasks taken from journal F", or nothing when none was.
[[nodiscard]] std::vector<std::string> resumed_lines(std::uint64_t journaled, std::uint64_t tasks,
                                                     const std::string& journal);
/// An executor run's overhead breakdown, detail.overhead of the commands that run the executor:
/// {dispatching, inline_chunks, messages, bytes, ranks: [{rank, busy, waiting, tasks, chunks,
/// messages, bytes}]}; null when the summary has none (not the root, or nothing ran).
[[nodiscard]] nlohmann::ordered_json overhead_json(const ExecutionSummary& s);

/// The same as one line of text ("overhead: ..."), or "" when the summary has none.
[[nodiscard]] std::string overhead_text(const ExecutionSummary& s);

} // namespace rankpool::commands
