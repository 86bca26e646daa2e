// Pieces the commands' JSON views share.
#pragma once

#include <nlohmann/json.hpp>

#include "rankpool/checksum.hpp"

namespace rankpool::commands {

/// A JSON number when the value fits in 64 bits, otherwise its exact decimal text as a string.
[[nodiscard]] nlohmann::ordered_json json_uint128(uint128 v);

} // namespace rankpool::commands
