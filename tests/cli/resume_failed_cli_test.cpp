// End to end: sleep --journal records failed tasks; --resume-failed runs only those again, and
// the output is that of a run in which they never failed. Format-1 journals are refused.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "rankpool/journal.hpp"

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;

namespace {

std::vector<std::string> done_lines(const std::string& out) {
    std::vector<std::string> d;
    for (const auto& l : lines(out)) {
        if (l.rfind("Done ", 0) == 0) {
            d.push_back(l);
        }
    }
    return d;
}

rankpool::JournalContents contents(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in),
                                           std::istreambuf_iterator<char>()};
    return rankpool::read_journal(bytes);
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
}

} // namespace

TEST_CASE("sleep --journal records a failed task; --resume-failed reruns only it, output as if it "
          "never failed") {
    const std::string journal = "/tmp/rankpool-resume-failed-test.j";
    std::remove(journal.c_str());
    const std::vector<std::string> args = {"sleep", "0.1", "0.2", "0.3", "0.4"};
    const auto failed =
        run_rankpool(2, with(args, {"--fail-task", "1", "--keep-going", "--journal", journal}));
    CHECK(failed.exit_code == 1);
    const auto c = contents(journal);
    CHECK(c.entries.size() == 3);
    REQUIRE(c.failures.size() == 1);
    CHECK(c.failures[0].index == 1);
    CHECK(std::string(c.failures[0].result.begin(), c.failures[0].result.end()) ==
          "injected failure (--fail-task 1)");
    const auto resumed = run_rankpool(3, with(args, {"--resume-failed", "--journal", journal}));
    CHECK(resumed.exit_code == 0);
    CHECK(done_lines(resumed.out) ==
          std::vector<std::string>{"Done 0.1", "Done 0.2", "Done 0.3", "Done 0.4"});
    CHECK(count_lines_with(resumed.out, "Sleeping for") == 1); // only task 1 ran
    CHECK(count_lines_with(resumed.out, "--resume-failed: ran the 1 task the journal records as "
                                        "failed; 0 tasks never run left") == 1);
    CHECK(rankpool::journal_failed(contents(journal), 4).empty()); // its result supersedes it
    // nothing failed now: --resume-failed runs nothing and shows the whole output
    const auto again =
        run_rankpool(1, with(args, {"--resume-failed", "--journal", journal, "--json"}));
    CHECK(again.exit_code == 0);
    const auto j = nlohmann::json::parse(again.out);
    CHECK(j["results"]["journaled"] == 4);
    CHECK(j["results"]["untried"] == 0);
    CHECK(j["options"]["resume_failed"] == true);
    std::remove(journal.c_str());
}

TEST_CASE("sleep --resume-failed leaves tasks never run alone; a plain rerun runs them") {
    const std::string journal = "/tmp/rankpool-resume-failed-untried.j";
    std::remove(journal.c_str());
    const std::vector<std::string> args = {"sleep", "0.1", "0.2", "0.3", "0.4", "0.5"};
    // one rank, the first task fails: the run stops there, nothing else started
    CHECK(run_rankpool(1, with(args, {"--fail-task", "0", "--journal", journal})).exit_code == 1);
    CHECK(rankpool::journal_failed(contents(journal), 5) == std::vector<std::uint64_t>{0});
    const auto only = run_rankpool(2, with(args, {"--resume-failed", "--journal", journal}));
    CHECK(only.exit_code == 0);
    CHECK(done_lines(only.out) == std::vector<std::string>{"Done 0.1"});
    CHECK(count_lines_with(only.out, "failed; 4 tasks never run left (rerun without "
                                     "--resume-failed to run them)") == 1);
    const auto rest = run_rankpool(2, with(args, {"--journal", journal}));
    CHECK(rest.exit_code == 0);
    CHECK(done_lines(rest.out) ==
          std::vector<std::string>{"Done 0.1", "Done 0.2", "Done 0.3", "Done 0.4", "Done 0.5"});
    CHECK(count_lines_with(rest.out, "Sleeping for") == 4);
    std::remove(journal.c_str());
}

TEST_CASE("--resume-failed without --journal, and a format-1 journal, are refused") {
    const std::string old = "/tmp/rankpool-resume-failed-old.j";
    std::ofstream(old, std::ios::binary) << "RPJRNL1\n";
    check_refusals({{{"sleep", "0", "--resume-failed"}, "--resume-failed goes with --journal"},
                    {{"sleep", "0", "--journal", old},
                     "journal '" + old + "': written by an older rankpool (journal format 1"}},
                   {0, 2});
    std::remove(old.c_str());
}
