// The executor's overhead breakdown in a report (detail.overhead), checked the same way for every
// command that runs the executor.
#pragma once

#include <cstdint>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace rankpool::test {

/// Checks detail.overhead of a run of `tasks` tasks on `ranks` ranks: one entry per rank, in rank
/// order; tasks add up (and match detail.tasks_per_rank when given), chunks match
/// detail.chunks when given, messages and bytes add up to the totals; bytes travel only between
/// ranks.
inline void check_overhead(const nlohmann::json& detail, std::uint64_t tasks, int ranks) {
    const auto& o = detail["overhead"];
    REQUIRE(o["ranks"].size() == static_cast<std::size_t>(ranks));
    std::uint64_t sum_tasks = 0;
    std::uint64_t chunks = 0;
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    for (int k = 0; k < ranks; ++k) {
        const auto& rk = o["ranks"][static_cast<std::size_t>(k)];
        CHECK(rk["rank"] == k);
        CHECK(rk["busy"].get<double>() >= 0);
        CHECK(rk["waiting"].get<double>() >= 0);
        if (detail.contains("tasks_per_rank")) {
            CHECK(rk["tasks"] == detail["tasks_per_rank"][static_cast<std::size_t>(k)]);
        }
        sum_tasks += rk["tasks"].get<std::uint64_t>();
        chunks += rk["chunks"].get<std::uint64_t>();
        messages += rk["messages"].get<std::uint64_t>();
        bytes += rk["bytes"].get<std::uint64_t>();
    }
    CHECK(sum_tasks == tasks);
    if (detail.contains("chunks")) {
        CHECK(chunks == detail["chunks"].get<std::uint64_t>());
    }
    CHECK(o["messages"].get<std::uint64_t>() == messages);
    CHECK(o["bytes"].get<std::uint64_t>() == bytes);
    CHECK(o["dispatching"].get<double>() >= 0);
    CHECK(o["inline_chunks"].get<std::uint64_t>() <= o["ranks"][0]["chunks"].get<std::uint64_t>());
    if (ranks > 1) {
        CHECK(bytes > 0);
    } else {
        CHECK(bytes == 0);
    }
}

} // namespace rankpool::test
