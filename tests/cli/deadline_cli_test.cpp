// End to end: sleep --deadline stops starting tasks that cannot finish before it, ends like a clean
// stop (exit 142, the stop line, the journal kept), and its journal resumes to the full output.
#include <cstdio>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

namespace {

/// Six tasks of about a second, distinct so that the order of the Done lines shows.
std::vector<std::string> six() {
    return {"1", "1.01", "1.02", "1.03", "1.04", "1.05"};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

std::vector<std::string> done_lines(const std::string& out) {
    std::vector<std::string> d;
    for (const auto& l : lines(out)) {
        if (l.rfind("Done ", 0) == 0) {
            d.push_back(l);
        }
    }
    return d;
}

/// N from "rankpool: stopped by the --deadline: N of 6 tasks done (...)"; -1 when absent.
int stopped_done(const std::string& err) {
    const std::string start = "rankpool: stopped by the --deadline: ";
    for (const auto& l : lines(err)) {
        if (l.rfind(start, 0) == 0) {
            return std::stoi(l.substr(start.size()));
        }
    }
    return -1;
}

} // namespace

TEST_CASE("sleep --deadline 2.5: stops early with exit 142 and the stop line; the journal resumes "
          "to the uninterrupted output, at 1 and 2 ranks") {
    const auto args = with({"sleep"}, six());
    const auto whole = run_rankpool(2, args, 120);
    REQUIRE(whole.exit_code == 0);
    const auto expected = done_lines(whole.out);
    REQUIRE(expected.size() == 6);
    for (const int ranks : {1, 2}) {
        CAPTURE(ranks);
        const std::string journal = "/tmp/rankpool-deadline-test-" + std::to_string(ranks) + ".j";
        std::remove(journal.c_str());
        const auto stopped =
            run_rankpool(ranks, with(args, {"--deadline", "2.5", "--journal", journal}), 120);
        CAPTURE(stopped.err);
        CHECK(stopped.exit_code == 142);
        const int done = stopped_done(stopped.err);
        CHECK(done >= 1); // the first tasks start: nothing measured says they cannot finish
        CHECK(done < 6);  // six ~1 s tasks cannot all finish in 2.5 s on 1 or 2 ranks
        CHECK(count_lines_with(stopped.err, "of 6 tasks done (journal " + journal +
                                                "; rerun the same command to resume)") == 1);
        CHECK(count_lines_with(stopped.out, "stopped by --deadline ") == 1);
        CHECK(count_lines_with(stopped.out, ": the tasks left could not have finished before it") ==
              1);
        CHECK(done_lines(stopped.out).size() <= static_cast<std::size_t>(done));
        const auto resumed = run_rankpool(ranks, with(args, {"--journal", journal}), 120);
        CHECK(resumed.exit_code == 0);
        CHECK(done_lines(resumed.out) == expected);
        CHECK(count_lines_with(resumed.out, "resumed: " + std::to_string(done) + " of 6 tasks") ==
              1);
        std::remove(journal.c_str());
    }
}

TEST_CASE("sleep --deadline --json: the report says the deadline stopped it") {
    const std::string journal = "/tmp/rankpool-deadline-test-json.j";
    std::remove(journal.c_str());
    const auto r = run_rankpool(
        2, with(with({"sleep"}, six()), {"--deadline", "2.5", "--journal", journal, "--json"}),
        120);
    CHECK(r.exit_code == 142);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["options"]["deadline"] == "2.5");
    CHECK(j["detail"]["deadline_stopped"] == true);
    CHECK(j["detail"]["stopped_by"] == 14);
    CHECK(j["detail"]["deadline"].get<double>() > 1.7e9);
    CHECK(j["results"]["completed"].get<int>() < 6);
    CHECK(j["ok"] == false);
    std::remove(journal.c_str());
}

TEST_CASE("sleep --deadline: a deadline passed already starts nothing; one far ahead changes "
          "nothing") {
    const auto past = run_rankpool(2, {"sleep", "0.1", "0.1", "--deadline", "2020-01-01T00:00Z"});
    CHECK(past.exit_code == 142);
    CHECK(stopped_done(past.err) == 0);
    CHECK(done_lines(past.out).empty());
    const auto ahead = run_rankpool(2, {"sleep", "0.1", "0.2", "--deadline", "3600"});
    CHECK(ahead.exit_code == 0);
    CHECK(done_lines(ahead.out) == std::vector<std::string>{"Done 0.1", "Done 0.2"});
}

TEST_CASE("sleep --deadline: bad values are refused before any work, one line, exit 2") {
    check_refusals({{{"sleep", "0", "--deadline", "soon"}, "--deadline: 'soon' is not seconds"},
                    {{"sleep", "0", "--deadline", "-1"}, "--deadline"},
                    {{"sleep", "0", "--deadline", "1e3"}, "--deadline: '1e3' is not seconds"},
                    {{"sleep", "0", "--deadline", "25:00"}, "--deadline: '25:00' is not"},
                    {{"sleep", "0", "--deadline", "2026-02-30T00:00"},
                     "--deadline: '2026-02-30T00:00' is not an ISO 8601 time"},
                    {{"sleep", "0", "--deadline", "slurm"},
                     "--deadline slurm: not inside a Slurm job (SLURM_JOB_ID is not set)"}},
                   {0, 1, 2});
}
