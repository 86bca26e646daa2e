// End-to-end tests of sleep's --retries, --flaky-task, --halt, --joblog and progress lines.
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

namespace {

struct JobRow {
    std::uint64_t index;
    int rank;
    unsigned attempt;
    std::string status;
    std::string error;
};

std::string joblog_path(const std::string& name) {
    return "/tmp/rankpool-joblog-" + name + "-" + std::to_string(::getpid());
}

/// The joblog's rows (after checking its header and that each line has ten columns).
std::vector<JobRow> read_joblog(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    const auto ls = lines(text.str());
    REQUIRE_FALSE(ls.empty());
    CHECK(ls[0] == "index\tinput\trank\thost\tpid\tstart\tseconds\tattempt\tstatus\terror");
    std::vector<JobRow> rows;
    for (std::size_t k = 1; k < ls.size(); ++k) {
        std::vector<std::string> f;
        std::stringstream line(ls[k]);
        std::string field;
        while (std::getline(line, field, '\t')) {
            f.push_back(field);
        }
        if (!ls[k].empty() && ls[k].back() == '\t') {
            f.emplace_back();
        }
        REQUIRE(f.size() == 10);
        CHECK(std::stod(f[5]) > 1.6e9);           // start: Unix seconds
        CHECK(f[5].find('.') == f[5].size() - 4); // with ms
        CHECK(std::stod(f[6]) >= 0);
        CHECK(std::stoull(f[4]) > 0); // a pid
        rows.push_back({std::stoull(f[0]), std::stoi(f[2]), static_cast<unsigned>(std::stoul(f[7])),
                        f[8], f[9]});
    }
    return rows;
}

std::map<std::uint64_t, std::vector<JobRow>> by_task(const std::vector<JobRow>& rows) {
    std::map<std::uint64_t, std::vector<JobRow>> m;
    for (const auto& r : rows) {
        m[r.index].push_back(r);
    }
    for (auto& [i, v] : m) {
        std::sort(v.begin(), v.end(),
                  [](const auto& a, const auto& b) { return a.attempt < b.attempt; });
    }
    return m;
}

const std::vector<std::string> four = {"sleep", "0.05", "0.05", "0.05", "0.05"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

} // namespace

TEST_CASE(
    "--flaky-task I --retries 1: the retry succeeds, on another rank, and the joblog says so") {
    for (const int ranks : {1, 2, 3}) {
        CAPTURE(ranks);
        const auto path = joblog_path("flaky");
        const auto r = run_rankpool(
            ranks, with(four, {"--flaky-task", "1", "--retries", "1", "--joblog", path}));
        CHECK(r.exit_code == 0);
        CHECK(count_lines_with(r.out, "Done 0.05") == 4);
        CHECK(count_lines_with(r.out, "retried 1 failed run: 5 runs in all") == 1);
        const auto tasks = by_task(read_joblog(path));
        REQUIRE(tasks.size() == 4);
        // Named, not structured bindings: clang 14 cannot capture those (CAPTURE does).
        for (const auto& task : tasks) {
            const std::uint64_t i = task.first;
            const auto& attempts = task.second;
            CAPTURE(i);
            if (i != 1) {
                REQUIRE(attempts.size() == 1);
                CHECK(attempts[0].status == "ok");
                continue;
            }
            REQUIRE(attempts.size() == 2);
            CHECK(attempts[0].attempt == 1);
            CHECK(attempts[0].status == "failed");
            CHECK(attempts[0].error == "injected failure on the first attempt (--flaky-task 1)");
            CHECK(attempts[1].attempt == 2);
            CHECK(attempts[1].status == "ok");
            CHECK(attempts[1].error.empty());
            if (ranks > 1) {
                CHECK(attempts[1].rank != attempts[0].rank);
            }
        }
        std::remove(path.c_str());
    }
}

TEST_CASE("--flaky-task without --retries fails the run: exit 1") {
    const auto r = run_rankpool(2, with(four, {"--flaky-task", "2"}));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("injected failure on the first attempt (--flaky-task 2)") !=
          std::string::npos);
}

TEST_CASE("--fail-task I --retries 2: three failed attempts, exit 1, the counts in JSON") {
    const auto path = joblog_path("fail");
    const auto r = run_rankpool(
        3, with(four, {"--fail-task", "3", "--retries", "2", "--joblog", path, "--json"}));
    CHECK(r.exit_code == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["results"]["failed"] == 1);
    CHECK(j["results"]["retries"] == 2);
    CHECK(j["results"]["attempts"] == 6);
    CHECK(j["options"]["retries"] == 2);
    const auto tasks = by_task(read_joblog(path));
    REQUIRE(tasks.at(3).size() == 3);
    for (const auto& a : tasks.at(3)) {
        CHECK(a.status == "failed");
    }
    std::remove(path.c_str());
}

TEST_CASE("--halt never runs everything; the default stops; soon lets running tasks finish") {
    const auto never = run_rankpool(2, {"sleep", "0", "0.01", "0.01", "0.01", "0.01", "--fail-task",
                                        "0", "--halt", "never", "--json"});
    CHECK(never.exit_code == 1);
    const auto jn = nlohmann::json::parse(never.out);
    CHECK(jn["results"]["completed"] == 4);
    CHECK(jn["detail"]["halted"] == false);
    // Task 0 fails at once while task 1 sleeps on the other rank: soon lets it finish, now
    // cancels it; neither hands out tasks 2 and 3.
    for (const std::string when : {"soon", "now"}) {
        CAPTURE(when);
        const auto path = joblog_path(when);
        const auto r = run_rankpool(2, {"sleep", "0", "0.5", "30", "30", "--fail-task", "0",
                                        "--halt", when + ",fail=1", "--joblog", path, "--json"});
        CHECK(r.exit_code == 1);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["detail"]["halted"] == true);
        const auto tasks = by_task(read_joblog(path));
        CHECK(tasks.size() == 2);
        CHECK(tasks.count(2) == 0);
        CHECK(tasks.at(0).at(0).status == "failed");
        CHECK(tasks.at(1).at(0).status == (when == "soon" ? "ok" : "cancelled"));
        CHECK(j["results"]["completed"] == (when == "soon" ? 1 : 0));
        std::remove(path.c_str());
    }
}

TEST_CASE("--progress writes progress lines into a non-terminal stderr; --no-progress none") {
    const auto on = run_rankpool(2, {"sleep", "0.1", "0.1", "0.1", "--progress"});
    CHECK(on.exit_code == 0);
    CHECK(count_lines_with(on.err, "progress: 3/3 tasks (100.0%)") == 1);
    CHECK(on.err.find('\r') == std::string::npos); // a file gets plain lines
    const auto off = run_rankpool(2, {"sleep", "0.1", "0.1", "0.1", "--no-progress"});
    CHECK(off.exit_code == 0);
    CHECK(off.err.find("progress:") == std::string::npos);
    const auto automatic = run_rankpool(2, {"sleep", "0.1", "0.1", "0.1"});
    CHECK(automatic.err.find("progress:") == std::string::npos); // short: nothing
}

TEST_CASE("a joblog that cannot be written: one line, exit 2, nothing run") {
    check_refusals({{{"sleep", "0", "--joblog", "/nonexistent-dir/joblog"},
                     "rankpool: error: --joblog cannot write '/nonexistent-dir/joblog': No such "
                     "file or directory"}},
                   {1, 3});
}

TEST_CASE("squares --schedule takes --joblog and --progress too") {
    const auto path = joblog_path("squares");
    const auto r =
        run_rankpool(3, {"squares", "10", "--schedule", "guided", "--joblog", path, "--progress"});
    CHECK(r.exit_code == 0);
    const auto tasks = by_task(read_joblog(path));
    CHECK(tasks.size() == 10);
    CHECK(count_lines_with(r.err, "progress: 10/10 tasks (100.0%)") == 1);
    std::remove(path.c_str());
}
