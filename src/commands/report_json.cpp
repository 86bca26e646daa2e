// Pieces every command's JSON view shares.
#include "report_json.hpp"

#include <limits>

namespace rankpool::commands {

nlohmann::json json_uint128(uint128 v) {
    if (v <= std::numeric_limits<std::uint64_t>::max()) {
        return static_cast<std::uint64_t>(v);
    }
    return to_string(v);
}

void add_rank_info(nlohmann::json& j, const std::vector<RankInfo>& info) {
    auto& hosts = j["hosts"] = nlohmann::json::array();
    auto& pids = j["pids"] = nlohmann::json::array();
    auto& rss = j["max_rss_bytes"] = nlohmann::json::array();
    for (const auto& r : info) {
        hosts.push_back(r.host);
        pids.push_back(r.pid);
        rss.push_back(r.max_rss_bytes);
    }
}

} // namespace rankpool::commands
