// End-to-end tests of `rankpool demo --quick`: the four examples, in order, at 1, 2 and 4 ranks.
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

namespace {
/// The lines of `text` that start with `prefix`, in order.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
    std::vector<std::string> v;
    for (const auto& l : lines(text)) {
        if (l.rfind(prefix, 0) == 0) {
            v.push_back(l);
        }
    }
    return v;
}
} // namespace

TEST_CASE("demo --quick runs the four examples in the tutorial's order") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(ranks, {"demo", "--quick"}, 120);
        CHECK(r.exit_code == 0);
        const auto& o = r.out;
        const auto h1 = o.find("== 1/4 One worker process");
        const auto h2 = o.find("== 2/4 Pool.map: with Pool(" + std::to_string(ranks) + ")");
        const auto h3 = o.find("== 3/4 Executor: ProcessPoolExecutor(max_workers=");
        const auto h4 = o.find("== 4/4 Serial vs threads vs processes");
        REQUIRE(h1 != std::string::npos);
        REQUIRE(h2 != std::string::npos);
        REQUIRE(h3 != std::string::npos);
        REQUIRE(h4 != std::string::npos);
        CHECK(h1 < h2);
        CHECK(h2 < h3);
        CHECK(h3 < h4);
        // 1: the spawned worker's sum of squares over range(1000)
        CHECK(o.find("sum(x*x for x in range(1000)) = 332833500") != std::string::npos);
        // 2: 100 squares in order, then the checksum
        const auto nine_801 = o.find("\n9801\n");
        CHECK(o.find("\n0\n1\n4\n9\n16\n") < nine_801);
        CHECK(nine_801 < h3);
        CHECK(o.find("checksum: 328350 (= n(n-1)(2n-1)/6, ok)") != std::string::npos);
        // 3: five sleeps, Done in input order
        CHECK(count_lines_with(o, "Sleeping for") == 5);
        CHECK(lines_starting(o, "Done ") ==
              std::vector<std::string>{"Done 0.5", "Done 0.4", "Done 0.3", "Done 0.2", "Done 0.1"});
        CHECK(o.find("Done 0.5") > h3);
        // 4: every row, and the ranks row degrades at one rank
        CHECK(lines_starting(o, "serial ").size() == 1);
        CHECK(lines_starting(o, "threads ").size() == 1);
        CHECK(lines_starting(o, "ranks ").size() == 1);
        CHECK(o.find("there is no GIL") != std::string::npos);
        CHECK((o.find("needs a second rank") != std::string::npos) == (ranks == 1));
        CHECK(count_lines_with(o, "demo: 4 examples on " + std::to_string(ranks) + " rank") == 1);
    }
}

TEST_CASE("demo --json holds the four reports") {
    const auto r = run_rankpool(2, {"demo", "--quick", "--json"}, 120);
    CHECK(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["command"] == "demo");
    CHECK(j["ok"] == true);
    const auto& examples = j["detail"]["examples"];
    REQUIRE(examples.size() == 4);
    CHECK(examples[0]["command"] == "spawn");
    CHECK(examples[0]["results"]["sum"] == 332833500);
    CHECK(examples[1]["command"] == "squares");
    CHECK(examples[1]["results"]["checksum"] == 328350);
    CHECK(examples[2]["command"] == "sleep");
    CHECK(examples[2]["results"]["completed"] == 5);
    CHECK(examples[2]["options"]["seconds"] == nlohmann::json::parse("[0.5, 0.4, 0.3, 0.2, 0.1]"));
    CHECK(examples[3]["command"] == "compare");
}

TEST_CASE("demo refuses what it does not know") {
    const auto r = run_rankpool(2, {"demo", "--slow"});
    CHECK(r.exit_code == 2);
    CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
}
