// End-to-end tests of `rankpool sleep` under mpiexec: order of output, JSON, failures, exit codes.
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "overhead_check.hpp"
#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

namespace {
/// The "Done" lines of an output, in order.
std::vector<std::string> done_lines(const std::string& out) {
    std::vector<std::string> d;
    for (const auto& l : lines(out)) {
        if (l.rfind("Done ", 0) == 0) {
            d.push_back(l);
        }
    }
    return d;
}
const std::vector<std::string> tenths = {"0.05", "0.04", "0.03", "0.02", "0.01"};
const std::vector<std::string> done_tenths = {"Done 0.05", "Done 0.04", "Done 0.03", "Done 0.02",
                                              "Done 0.01"};
} // namespace

TEST_CASE("sleep prints one 'Sleeping for' per task and 'Done S' in input order") {
    for (const int ranks : {1, 2, 3, 4}) {
        CAPTURE(ranks);
        std::vector<std::string> args = {"sleep"};
        args.insert(args.end(), tenths.begin(), tenths.end());
        const auto r = run_rankpool(ranks, args);
        CHECK(r.exit_code == 0);
        CHECK(done_lines(r.out) == done_tenths);
        CHECK(count_lines_with(r.out, "Sleeping for") == 5);
        CHECK(count_lines_with(r.out, "] Sleeping for 0.05 seconds.") == 1);
        CHECK(count_lines_with(r.out, "makespan:") == 1);
        CHECK(r.err.empty());
    }
}

TEST_CASE("--unordered prints every result once, as they complete") {
    std::vector<std::string> args = {"sleep", "--unordered"};
    args.insert(args.end(), tenths.begin(), tenths.end());
    const auto r = run_rankpool(2, args);
    CHECK(r.exit_code == 0);
    auto d = done_lines(r.out);
    std::sort(d.begin(), d.end());
    auto expected = done_tenths;
    std::sort(expected.begin(), expected.end());
    CHECK(d == expected);
    CHECK(r.out.find("results as completed") != std::string::npos);
}

TEST_CASE("--json: makespan, lower bound, results in order, every schedule") {
    for (const auto* schedule : {"static", "cyclic", "dynamic", "guided"}) {
        for (const auto* chunk : {"1", "3", "100"}) {
            CAPTURE(schedule);
            CAPTURE(chunk);
            const auto r = run_rankpool(3, {"sleep", "0.02", "0", "0.01", "0", "0.03", "--json",
                                            "--schedule", schedule, "--chunksize", chunk});
            CHECK(r.exit_code == 0);
            const auto j = nlohmann::json::parse(r.out);
            CHECK(j["command"] == "sleep");
            CHECK(j["ranks"] == 3);
            CHECK(j["results"]["count"] == 5);
            CHECK(j["results"]["completed"] == 5);
            CHECK(j["results"]["failed"] == 0);
            CHECK(j["options"]["schedule"] == schedule);
            CHECK(j["results"]["values"] == nlohmann::json::parse("[0.02, 0, 0.01, 0, 0.03]"));
            CHECK(j["detail"]["lower_bound"] == 0.03);
            CHECK(j["detail"]["predicted"].get<double>() >= 0.03);
            CHECK(j["detail"]["makespan"].get<double>() >= 0.03);
            CHECK(j["seconds"]["total"] == j["detail"]["makespan"]);
            CHECK(j["results"]["failures"].empty());
            CHECK(j["hosts"].size() == 3);
        }
    }
}

TEST_CASE("the report predicts each schedule's makespan for the tutorial's tasks") {
    const std::vector<std::pair<std::string, double>> expected = {
        {"static", 0.9}, {"cyclic", 0.6}, {"dynamic", 0.5}, {"guided", 0.9}};
    for (const auto& e : expected) {
        const std::string& schedule = e.first; // CAPTURE cannot name a binding in clang 14
        const double predicted = e.second;
        CAPTURE(schedule);
        const auto r = run_rankpool(
            4, {"sleep", "0.5", "0.4", "0.3", "0.2", "0.1", "--json", "--schedule", schedule});
        CHECK(r.exit_code == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["detail"]["predicted"].get<double>() == doctest::Approx(predicted));
        CHECK(j["detail"]["makespan"].get<double>() >= predicted);
    }
}

TEST_CASE(
    "--chunksize auto (the default with the dynamic schedule): results in order, few chunks") {
    for (const int ranks : {1, 2, 3, 4}) {
        for (const auto* chunk : {"auto", ""}) {
            CAPTURE(ranks);
            CAPTURE(chunk);
            std::vector<std::string> args = {"sleep", "0", "0.001", "--repeat", "500", "--json"};
            if (*chunk != '\0') {
                args.insert(args.end(), {"--chunksize", chunk});
            }
            const auto r = run_rankpool(ranks, args);
            CHECK(r.exit_code == 0);
            const auto j = nlohmann::json::parse(r.out);
            CHECK(j["options"]["chunksize"] == "auto");
            const auto& values = j["results"]["values"];
            REQUIRE(values.size() == 1000);
            for (std::size_t i = 0; i < values.size(); ++i) {
                CHECK(values[i] == (i % 2 == 0 ? 0.0 : 0.001));
            }
            CHECK(j["detail"]["chunks"].get<int>() < 100); // factoring: ~2 per rank per halving
        }
    }
    const auto text = run_rankpool(2, {"sleep", "0.01", "0.02"});
    CHECK(text.out.find("dynamic schedule, chunksize auto,") != std::string::npos);
    const auto guided = run_rankpool(2, {"sleep", "0", "--schedule", "guided", "--json"});
    CHECK(nlohmann::json::parse(guided.out)["options"]["chunksize"] == 1);
}

TEST_CASE("--dist exp:MEAN --seed S: the same seeded lengths on every run and rank count") {
    const auto one = run_rankpool(
        1, {"sleep", "--dist", "exp:0.002", "--repeat", "50", "--seed", "9", "--json"});
    const auto four = run_rankpool(
        4, {"sleep", "--dist", "exp:0.002", "--repeat", "50", "--seed", "9", "--json"});
    const auto other = run_rankpool(
        2, {"sleep", "--dist", "exp:0.002", "--repeat", "50", "--seed", "10", "--json"});
    REQUIRE(one.exit_code == 0);
    REQUIRE(four.exit_code == 0);
    const auto a = nlohmann::json::parse(one.out);
    const auto b = nlohmann::json::parse(four.out);
    CHECK(a["results"]["values"].size() == 50);
    CHECK(a["results"]["values"] == b["results"]["values"]);
    CHECK(a["options"]["seconds"] == a["results"]["values"]);
    CHECK(a["results"]["values"] != nlohmann::json::parse(other.out)["results"]["values"]);
    CHECK(a["results"]["values"][0].get<double>() >= 0);
}

TEST_CASE("more ranks than tasks") {
    const auto one = run_rankpool(4, {"sleep", "0.01", "--json"});
    CHECK(one.exit_code == 0);
    CHECK(nlohmann::json::parse(one.out)["results"]["values"] == nlohmann::json::parse("[0.01]"));
}

TEST_CASE("--repeat and --quiet, for benchmarks") {
    const auto r = run_rankpool(2, {"sleep", "0", "--repeat", "1000", "--quiet"});
    CHECK(r.exit_code == 0);
    CHECK(count_lines_with(r.out, "Done") == 0);
    CHECK(count_lines_with(r.out, "Sleeping") == 0);
    CHECK(count_lines_with(r.out, "sleep: 1000 tasks on 2 ranks") == 1);
}

TEST_CASE("the overhead breakdown: detail.overhead in JSON, one 'overhead:' line in text") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(ranks, {"sleep", "0", "--repeat", "300", "--json"});
        REQUIRE(r.exit_code == 0);
        rankpool::test::check_overhead(nlohmann::json::parse(r.out)["detail"], 300, ranks);
    }
    const auto text = run_rankpool(2, {"sleep", "0", "--repeat", "10", "--quiet"});
    CHECK(text.exit_code == 0);
    CHECK(count_lines_with(text.out, "overhead: rank 0 dispatching ") == 1);
    CHECK(count_lines_with(text.out, " messages, ") == 1);
}

TEST_CASE("an injected failure: one line on rank 0, exit 1, at 1, 2 and 4 ranks") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        // Task 0 (handed out first, to rank 0) fails at once while the others would sleep for
        // 30 s: the run must stop them, not wait for them.
        const auto r =
            run_rankpool(ranks, {"sleep", "0", "30", "30", "30", "--fail-task", "0"}, 25);
        CHECK(r.exit_code == 1);
        CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
        CHECK(count_lines_with(r.err, "rankpool: error: task 0 (sleep 0) failed on rank 0 (") == 1);
        CHECK(r.err.find("): injected failure (--fail-task 0)") != std::string::npos);
        CHECK(count_lines_with(r.out, "Done") == 0);
    }
}

TEST_CASE("a failure on another rank names that rank") {
    // 4 ranks, 4 tasks, dynamic: task 3 goes to rank 3 at the start.
    const auto r = run_rankpool(4, {"sleep", "30", "30", "30", "0", "--fail-task", "3"}, 25);
    CHECK(r.exit_code == 1);
    CHECK(count_lines_with(r.err, "rankpool: error: task 3 (sleep 0) failed on rank 3 (") == 1);
}

TEST_CASE("--keep-going runs the rest and reports each failure") {
    const auto r = run_rankpool(
        2, {"sleep", "0.01", "0.01", "0.01", "0.01", "--fail-task", "1", "--keep-going"});
    CHECK(r.exit_code == 1);
    CHECK(count_lines_with(r.out, "Done 0.01") == 3);
    CHECK(count_lines_with(r.err, "rankpool: error: task 1 (sleep 0.01) failed") == 1);
    CHECK(r.out.find("completed 3 of 4 tasks, 1 failed") != std::string::npos);
}

TEST_CASE("a failure in JSON mode is in the report too") {
    const auto r = run_rankpool(2, {"sleep", "0", "0", "--fail-task", "0", "--json"});
    CHECK(r.exit_code == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["results"]["failed"] == 1);
    REQUIRE(j["results"]["failures"].size() == 1);
    CHECK(j["results"]["failures"][0]["index"] == 0);
    CHECK(j["results"]["failures"][0]["message"] == "injected failure (--fail-task 0)");
    CHECK(j["results"]["values"][0].is_null());
}

TEST_CASE("a rank that dies ends the job with a non-zero status instead of hanging") {
    for (const auto* task : {"0", "1"}) {
        CAPTURE(task);
        // Task 0 runs on rank 0 (the master's thread), task 1 on rank 1.
        const auto r = run_rankpool(2, {"sleep", "20", "20", "--crash-task", task}, 15);
        CHECK(r.exit_code != 0);
        CHECK(r.exit_code != 124); // 124: killed by the test's timeout, i.e. it hung
    }
}

TEST_CASE("bad input to sleep: one line, exit 2") {
    const rankpool::test::Refusals cases = {
        {{"sleep", "-1"}, "rankpool: error: SECONDS must be >= 0, got '-1'"},
        {{"sleep", "nan"},
         "rankpool: error: SECONDS must be a finite number of seconds, got 'nan'"},
        {{"sleep", "soon"}, "rankpool: error: SECONDS must be a number of seconds, got 'soon'"},
        {{"sleep", "--chunksize", "0"}, "rankpool: error: --chunksize must be >= 1, got '0'"},
        {{"sleep", "--chunksize", "autox"},
         "rankpool: error: --chunksize must be a number of tasks or auto, got 'autox'"},
        {{"sleep", "--chunksize", "auto", "--schedule", "guided"},
         "rankpool: error: --chunksize auto goes with --schedule dynamic, not guided"},
        {{"sleep", "--dist", "norm:1"},
         "rankpool: error: --dist must be exp:MEAN (MEAN in seconds), got 'norm:1'"},
        {{"sleep", "--dist", "exp:soon"},
         "rankpool: error: --dist's MEAN must be a number of seconds, got 'soon'"},
        {{"sleep", "1", "--dist", "exp:1"},
         "rankpool: error: SECONDS and --dist contradict each other: give the durations one way"},
        {{"sleep", "--seed", "3"}, "rankpool: error: --seed goes with --dist"},
        {{"sleep", "--schedule", "fast"},
         "rankpool: error: --schedule must be static, cyclic, dynamic or guided, got 'fast'"},
        {{"sleep", "1", "--fail-task", "1"},
         "rankpool: error: --fail-task = 1 is too large (at most 0)"},
    };
    check_refusals(cases, {0, 1, 3});
}

TEST_CASE(
    "sleep longer than the maximum (10^9 s) is refused up front on every rank, never 'Done'") {
    // Before: 1e12 s overflowed the conversion to nanoseconds and printed 'Done 1e+12' at once.
    const char* limit = " is too long (at most 1000000000 seconds, about 31.7 years)";
    const rankpool::test::Refusals cases = {
        {{"sleep", "1e12", "1"}, std::string("rankpool: error: SECONDS = 1e12") + limit},
        {{"sleep", "1", "9.3e9"}, std::string("rankpool: error: SECONDS = 9.3e9") + limit},
        {{"sleep", "1000000000.5"}, std::string("rankpool: error: SECONDS = 1000000000.5") + limit},
    };
    check_refusals(cases, {0, 1, 4});
}

TEST_CASE("the longest task accepted (10^9 s) runs until stopped: a failure elsewhere ends it") {
    // Task 0 sleeps on rank 0's thread, task 1 fails on rank 1: the sleep is stopped, not done.
    const auto r = run_rankpool(2, {"sleep", "1e9", "0", "--fail-task", "1"}, 60);
    CHECK(r.exit_code == 1);
    CHECK(count_lines_with(r.out, "Sleeping for 1e+09 seconds.") == 1);
    CHECK(count_lines_with(r.out, "Done") == 0);
    CHECK(count_lines_with(r.err, "rankpool: error: task 1 (sleep 0) failed on rank ") == 1);
}
