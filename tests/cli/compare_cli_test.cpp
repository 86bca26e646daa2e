// End-to-end tests of `rankpool compare`: the table, the skipped ranks row, JSON, bad input.
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

namespace {
// 2 workers * 1000 passes * sum(x*x for x in range(100)) = 2 * 1000 * 328350.
constexpr std::uint64_t expected_100_1000 = 656700000;
} // namespace

TEST_CASE("compare on one rank: serial and threads rows, the ranks row says mpirun -np 2") {
    for (const int ranks : {0, 1}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(ranks, {"compare", "--repeat", "1000"});
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        const auto ls = lines(r.out);
        REQUIRE(ls.size() == 7);
        CHECK(ls[0] == "compare: 2 workers, each sum(x*x for x in range(100)) 1000 times; 1 rank");
        CHECK(ls[1].rfind("way ", 0) == 0);
        CHECK(ls[2].rfind("serial ", 0) == 0);
        CHECK(ls[2].find(" 656700000") != std::string::npos);
        CHECK(ls[3].rfind("threads ", 0) == 0);
        CHECK(ls[3].find(" 656700000") != std::string::npos);
        CHECK(ls[4].rfind("ranks ", 0) == 0);
        CHECK(ls[4].find("skipped: needs a second rank, run mpirun -np 2") != std::string::npos);
        CHECK(ls[5] ==
              "In C++ the threads run in parallel: there is no GIL, unlike the Python original.");
        CHECK(ls[6] == "Every way computed 2 * 1000 * sum_of_squares(100) = 656700000, ok");
    }
}

TEST_CASE("compare --json at 1, 2 and 3 ranks: every row, the results agree") {
    for (const int ranks : {1, 2, 3}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(ranks, {"compare", "--repeat", "1000", "--json"});
        CHECK(r.exit_code == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["command"] == "compare");
        CHECK(j["options"]["n"] == 100);
        CHECK(j["options"]["repeat"] == 1000);
        CHECK(j["ranks"] == ranks);
        CHECK(j["results"]["expected"] == expected_100_1000);
        CHECK(j["ok"] == true);
        REQUIRE(j["detail"]["rows"].size() == 3);
        const char* ways[] = {"serial", "threads", "ranks"};
        const int workers[] = {1, 2, 2};
        for (std::size_t i = 0; i < 3; ++i) {
            const auto& row = j["detail"]["rows"][i];
            CHECK(row["way"] == ways[i]);
            CHECK(row["workers"] == workers[i]);
            const bool skipped = ranks == 1 && i == 2;
            CHECK(row["skipped"] == skipped);
            if (skipped) {
                CHECK(row["result"].is_null());
                CHECK(row["note"].get<std::string>().find("mpirun -np 2") != std::string::npos);
            } else {
                CHECK(row["result"] == expected_100_1000);
                CHECK(row["seconds"].get<double>() > 0);
                CHECK(row["speedup"].get<double>() > 0);
            }
        }
        CHECK(j["detail"]["rows"][0]["speedup"] == 1.0);
        if (ranks == 3) {
            CHECK(j["detail"]["rows"][2]["note"] == "ranks 0 and 1 worked, rank 2 idled");
        }
    }
}

TEST_CASE("compare with another N and --repeat, text at 2 ranks") {
    // 2 * 7 * sum(x*x for x in range(1000)) = 14 * 332833500.
    const auto r = run_rankpool(2, {"compare", "1000", "--repeat", "7"});
    CHECK(r.exit_code == 0);
    CHECK(count_lines_with(r.out, " 4659669000") == 4); // three rows and the check line
    CHECK(count_lines_with(r.out, "skipped") == 0);
    CHECK(count_lines_with(r.out, "no GIL") == 1);
}

TEST_CASE("compare: bad input is one line and exit 2") {
    const rankpool::test::Refusals cases = {
        {{"compare", "-1"}, "rankpool: error: N must be >= 0, got '-1'"},
        {{"compare", "ten"}, "rankpool: error: N must be a whole number, got 'ten'"},
        {{"compare", "1000001"}, "rankpool: error: N = 1000001 is too large (at most 1000000)"},
        {{"compare", "--repeat", "-2"}, "rankpool: error: --repeat must be >= 0, got '-2'"},
        {{"compare", "--repeat", "1e3"},
         "rankpool: error: --repeat must be a whole number, got '1e3'"},
    };
    check_refusals(cases, {0, 1, 3});
}
