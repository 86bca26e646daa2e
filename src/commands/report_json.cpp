// Pieces every command's JSON view shares.
#include "report_json.hpp"

#include <limits>

namespace rankpool::commands {

nlohmann::ordered_json json_uint128(uint128 v) {
    if (v <= std::numeric_limits<std::uint64_t>::max()) {
        return static_cast<std::uint64_t>(v);
    }
    return to_string(v);
}

} // namespace rankpool::commands
