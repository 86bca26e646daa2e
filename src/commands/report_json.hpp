// Pieces every command's JSON view shares: exact big integers and the per-rank fields.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"
#include "rankpool/run_info.hpp"

namespace rankpool::commands {

/// A JSON number when the value fits in 64 bits, otherwise its exact decimal text as a string.
[[nodiscard]] nlohmann::json json_uint128(uint128 v);

/// Adds "hosts", "pids" and "max_rss_bytes" (each an array indexed by rank) to a report.
void add_rank_info(nlohmann::json& j, const std::vector<RankInfo>& info);

} // namespace rankpool::commands
