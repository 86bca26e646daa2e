// Pieces every command's JSON view shares.
#include "report_json.hpp"

#include <cstdio>
#include <limits>

namespace rankpool::commands {

nlohmann::ordered_json json_uint128(uint128 v) {
    if (v <= std::numeric_limits<std::uint64_t>::max()) {
        return static_cast<std::uint64_t>(v);
    }
    return to_string(v);
}

std::vector<std::string> retry_and_halt_lines(const ExecutionSummary& s, const HaltPolicy& halt) {
    std::vector<std::string> lines;
    if (s.retries > 0) {
        char line[128];
        std::snprintf(line, sizeof line, "retried %llu failed run%s: %llu runs in all",
                      static_cast<unsigned long long>(s.retries), s.retries == 1 ? "" : "s",
                      static_cast<unsigned long long>(s.attempts));
        lines.emplace_back(line);
    }
    if (s.halted) {
        lines.push_back("stopped by --halt " + to_string(halt));
    }
    return lines;
}

std::vector<std::string> resumed_lines(std::uint64_t journaled, std::uint64_t tasks,
                                       const std::string& journal) {
    if (journaled == 0) {
        return {};
    }
    return {"resumed: " + std::to_string(journaled) + " of " + std::to_string(tasks) +
            " tasks taken from journal " + journal};
}

} // namespace rankpool::commands
