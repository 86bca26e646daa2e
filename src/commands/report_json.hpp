// Pieces the commands' JSON views share.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"
#include "rankpool/executor.hpp"

namespace rankpool::commands {

/// A JSON number when the value fits in 64 bits, otherwise its exact decimal text as a string.
[[nodiscard]] nlohmann::ordered_json json_uint128(uint128 v);

/// An executor run's overhead breakdown, detail.overhead of the commands that run the executor:
/// {dispatching, inline_chunks, messages, bytes, ranks: [{rank, busy, waiting, tasks, chunks,
/// messages, bytes}]}; null when the summary has none (not the root, or nothing ran).
[[nodiscard]] nlohmann::ordered_json overhead_json(const ExecutionSummary& s);

/// The same as one line of text ("overhead: ..."), or "" when the summary has none.
[[nodiscard]] std::string overhead_text(const ExecutionSummary& s);

} // namespace rankpool::commands
