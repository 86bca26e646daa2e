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

nlohmann::ordered_json overhead_json(const ExecutionSummary& s) {
    if (s.overhead.empty()) {
        return nullptr;
    }
    auto ranks = nlohmann::ordered_json::array();
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    for (std::size_t r = 0; r < s.overhead.size(); ++r) {
        const auto& o = s.overhead[r];
        ranks.push_back({{"rank", r},
                         {"busy", o.busy},
                         {"waiting", o.waiting},
                         {"tasks", o.tasks},
                         {"chunks", o.chunks},
                         {"messages", o.messages},
                         {"bytes", o.bytes}});
        messages += o.messages;
        bytes += o.bytes;
    }
    return {{"dispatching", s.dispatching},
            {"inline_chunks", s.inline_chunks},
            {"messages", messages},
            {"bytes", bytes},
            {"ranks", ranks}};
}

std::string overhead_text(const ExecutionSummary& s) {
    if (s.overhead.empty()) {
        return {};
    }
    char part[160];
    std::snprintf(part, sizeof part, "overhead: rank 0 dispatching %.3f s (%llu chunks inline);",
                  s.dispatching, static_cast<unsigned long long>(s.inline_chunks));
    std::string line = part;
    line += " busy/waiting s, tasks/chunks per rank:";
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    for (std::size_t r = 0; r < s.overhead.size(); ++r) {
        const auto& o = s.overhead[r];
        std::snprintf(part, sizeof part, "%s %zu: %.3f/%.3f %llu/%llu", r == 0 ? "" : ",", r,
                      o.busy, o.waiting, static_cast<unsigned long long>(o.tasks),
                      static_cast<unsigned long long>(o.chunks));
        line += part;
        messages += o.messages;
        bytes += o.bytes;
    }
    std::snprintf(part, sizeof part, "; %llu messages, %llu bytes sent",
                  static_cast<unsigned long long>(messages),
                  static_cast<unsigned long long>(bytes));
    line += part;
    return line;
}

} // namespace rankpool::commands
