// End to end: sleep and run --deadline stop starting tasks that cannot finish before it, end like a
// clean stop (exit 142, the stop line, the journal kept), and the journal resumes to the full
// output.
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

/// The --json report of a run that `--deadline 2.5` stopped (exit 142), its common fields checked.
nlohmann::json stopped_report(const rankpool::test::RunResult& r) {
    CHECK(r.exit_code == 142);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j["options"]["deadline"] == "2.5");
    CHECK(j["detail"]["deadline_stopped"] == true);
    CHECK(j["detail"]["stopped_by"] == 14);
    CHECK(j["detail"]["deadline"].get<double>() > 1.7e9);
    CHECK(j["results"]["completed"].get<int>() < 6);
    CHECK(j["ok"] == false);
    return j;
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
    (void)stopped_report(r);
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

namespace {

/// `rankpool run 'sleep 1; echo {}' ::: a b c d e f` with `options` before the command.
std::vector<std::string> six_commands(const std::vector<std::string>& options) {
    auto a = with({"run"}, options);
    return with(a, {"sleep 1; echo {}", ":::", "a", "b", "c", "d", "e", "f"});
}

} // namespace

TEST_CASE("run --deadline 2.5: stops starting commands with exit 142 and the stop line; the "
          "journal resumes to the uninterrupted output") {
    const std::string journal = "/tmp/rankpool-deadline-test-run.j";
    std::remove(journal.c_str());
    const auto stopped = run_rankpool(
        2, six_commands({"--deadline", "2.5", "--journal", journal, "--summary"}), 120);
    CAPTURE(stopped.err);
    CHECK(stopped.exit_code == 142);
    const int done = stopped_done(stopped.err);
    CHECK(done >= 2); // both ranks start one: nothing measured says it cannot finish
    CHECK(done < 6);  // six 1 s commands cannot all finish in 2.5 s on 2 ranks
    const auto printed = lines(stopped.out);
    CHECK(printed.size() == static_cast<std::size_t>(done)); // each finished command's output
    CHECK(count_lines_with(stopped.err, "stopped by --deadline ") == 1); // the --summary line
    CHECK(count_lines_with(stopped.err, "of 6 tasks done (journal " + journal +
                                            "; rerun the same command to resume)") == 1);
    const auto resumed = run_rankpool(2, six_commands({"--journal", journal}), 120);
    CHECK(resumed.exit_code == 0);
    CHECK(lines(resumed.out) == std::vector<std::string>{"a", "b", "c", "d", "e", "f"});
    std::remove(journal.c_str());
}

TEST_CASE("run --deadline --json: the report says the deadline stopped it; a resume takes the "
          "journal's task times as its first estimate") {
    const std::string journal = "/tmp/rankpool-deadline-test-run-json.j";
    std::remove(journal.c_str());
    const auto r =
        run_rankpool(2, six_commands({"--deadline", "2.5", "--journal", journal, "--json"}), 120);
    const auto j = stopped_report(r);
    const int completed = j["results"]["completed"].get<int>();
    CHECK(j["results"]["values"].size() == static_cast<std::size_t>(completed));
    // Resumed with 0.5 s left: the journal's ~1 s tasks say none can finish, so none starts.
    const auto again =
        run_rankpool(2, six_commands({"--deadline", "0.5", "--journal", journal, "--json"}), 120);
    CHECK(again.exit_code == 142);
    const auto k = nlohmann::json::parse(again.out);
    CHECK(k["results"]["journaled"].get<int>() == completed);
    CHECK(k["results"]["completed"].get<int>() == completed);
    CHECK(k["detail"]["deadline_stopped"] == true);
    std::remove(journal.c_str());
}

TEST_CASE("run --deadline: one passed already starts nothing; one far ahead changes nothing; "
          "without one the report has none") {
    const auto past =
        run_rankpool(2, {"run", "--deadline", "2020-01-01T00:00Z", "echo", ":::", "x", "y"});
    CHECK(past.exit_code == 142);
    CHECK(stopped_done(past.err) == 0);
    CHECK(past.out.empty());
    const auto ahead = run_rankpool(2, {"run", "--deadline", "3600", "echo", ":::", "x", "y"});
    CHECK(ahead.exit_code == 0);
    CHECK(lines(ahead.out) == std::vector<std::string>{"x", "y"});
    const auto none = run_rankpool(2, {"run", "--json", "echo", ":::", "x"});
    CHECK(none.exit_code == 0);
    const auto j = nlohmann::json::parse(none.out);
    CHECK(j["options"]["deadline"].is_null());
    CHECK(j["detail"]["deadline"].is_null());
    CHECK(j["detail"]["deadline_stopped"] == false);
}

TEST_CASE("run --deadline: bad values are refused before any work, one line, exit 2") {
    check_refusals(
        {{{"run", "--deadline", "soon", "echo", ":::", "x"}, "--deadline: 'soon' is not seconds"},
         {{"run", "--deadline", "25:00", "echo", ":::", "x"}, "--deadline: '25:00' is not"},
         {{"run", "--deadline", "slurm", "echo", ":::", "x"},
          "--deadline slurm: not inside a Slurm job (SLURM_JOB_ID is not set)"}},
        {0, 2});
}
