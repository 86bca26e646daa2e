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

} // namespace rankpool::commands
