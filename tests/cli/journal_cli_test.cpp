// End to end: sleep --journal stopped by SIGTERM or killed by SIGKILL, then resumed, as if never
// stopped.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "rankpool/journal.hpp"

#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::descendants_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;
using rankpool::test::run_rankpool_during;
using rankpool::test::RunResult;

namespace {

/// 12 distinct durations (0.2 .. 0.31 s): distinct, so that the order of the Done lines shows.
std::vector<std::string> durations() {
    std::vector<std::string> d;
    for (int k = 20; k < 32; ++k) {
        d.push_back("0." + std::to_string(k));
    }
    return d;
}

std::vector<std::string> sleep_args(const std::string& journal, bool json = false) {
    std::vector<std::string> a = {"sleep"};
    const auto d = durations();
    a.insert(a.end(), d.begin(), d.end());
    if (!journal.empty()) {
        a.insert(a.end(), {"--journal", journal});
    }
    if (json) {
        a.emplace_back("--json");
    }
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

std::vector<unsigned char> file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Results the journal holds now (a torn tail is no result).
std::size_t journaled(const std::string& path) {
    try {
        return rankpool::read_journal(file_bytes(path)).entries.size();
    } catch (const rankpool::journal_error&) {
        return 0;
    }
}

std::string launcher(int ranks) {
    return std::string(RANKPOOL_MPIEXEC) + " -n " + std::to_string(ranks) + " " +
           RANKPOOL_MPIEXEC_FLAGS;
}

std::string journal_path(const char* name) {
    return "/tmp/rankpool-journal-cli-" + std::to_string(::getpid()) + "-" + name;
}

/// Who a signal goes to: every rank (as srun and scancel send it; SIGKILL: a crash), or mpiexec
/// alone (which forwards it to the ranks and kills them about a second later).
enum class To { ranks, launcher };

/// Runs sleep with a journal and, once the journal holds `after` results, sends `signo`.
RunResult interrupted(int ranks, const std::string& journal, int signo, std::size_t after,
                      To to = To::ranks) {
    return run_rankpool_during(
        launcher(ranks), sleep_args(journal),
        [&](int shell) {
            for (int k = 0; k < 3000 && journaled(journal) < after; ++k) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            for (const int pid : descendants_with(shell, to == To::ranks ? " sleep 0.2" : "")) {
                const auto cmd = file_bytes("/proc/" + std::to_string(pid) + "/cmdline");
                const std::string first(cmd.begin(), std::find(cmd.begin(), cmd.end(), '\0'));
                if (first == (to == To::ranks ? RANKPOOL_EXE : RANKPOOL_MPIEXEC)) {
                    ::kill(pid, signo); // a rank, or mpiexec: not timeout, not the shell
                }
            }
        },
        60);
}

/// The uninterrupted run's Done lines (the same at any rank count).
const std::vector<std::string>& reference() {
    static const auto done = done_lines(run_rankpool(2, sleep_args("")).out);
    return done;
}

void stop_and_resume(int ranks, int resume_ranks, int signo, To to = To::ranks) {
    CAPTURE(ranks);
    CAPTURE(resume_ranks);
    CAPTURE(signo);
    const std::string journal = journal_path("resume");
    std::remove(journal.c_str());
    const auto first = interrupted(ranks, journal, signo, 3, to);
    CAPTURE(first.err);
    CHECK(first.exit_code != 0);
    if (to == To::launcher) { // mpiexec kills the ranks: the journal alone tells what was done
        CHECK(run_rankpool(resume_ranks, sleep_args(journal)).exit_code == 0);
        CHECK(done_lines(run_rankpool(resume_ranks, sleep_args(journal)).out) == reference());
        std::remove(journal.c_str());
        return;
    }
    const std::size_t kept = journaled(journal);
    CHECK(kept >= 3);
    CHECK(kept < 12);
    if (signo == SIGTERM) {
        CHECK(first.exit_code == 143); // 128 + SIGTERM, from every rank
        CHECK(first.err.find("rankpool: stopped by SIGTERM: ") != std::string::npos);
        CHECK(first.err.find(" of 12 tasks done (journal " + journal +
                             "; rerun the same command to resume)") != std::string::npos);
    }
    const auto resumed = run_rankpool(resume_ranks, sleep_args(journal));
    CAPTURE(resumed.err);
    CHECK(resumed.exit_code == 0);
    REQUIRE(reference().size() == 12);
    CHECK(done_lines(resumed.out) == reference());
    CHECK(resumed.out.find("resumed: " + std::to_string(kept) +
                           " of 12 tasks taken from journal") != std::string::npos);
    CHECK(journaled(journal) == 12);
    std::remove(journal.c_str());
}

} // namespace

TEST_CASE("sleep --journal: stopped by SIGTERM, resumed, the same Done lines, at 1, 2 and 4 "
          "ranks and 4 resumed on 2") {
    for (const auto& [ranks, again] : {std::pair{1, 1}, {2, 2}, {4, 4}, {4, 2}}) {
        stop_and_resume(ranks, again, SIGTERM);
    }
}

TEST_CASE("sleep --journal: mpiexec sent SIGTERM (it forwards it, then kills), resumed, the same "
          "Done lines") {
    stop_and_resume(2, 2, SIGTERM, To::launcher);
}

TEST_CASE("sleep --journal: killed by SIGKILL, resumed, the same Done lines, at 1, 2 and 4 "
          "ranks and 4 resumed on 2") {
    for (const auto& [ranks, again] : {std::pair{1, 1}, {2, 2}, {4, 4}, {4, 2}}) {
        stop_and_resume(ranks, again, SIGKILL);
    }
}

TEST_CASE("sleep --journal --json: a resumed run's results.values are the uninterrupted run's") {
    const std::string journal = journal_path("json");
    std::remove(journal.c_str());
    const auto whole = nlohmann::json::parse(run_rankpool(2, sleep_args("", true)).out);
    const auto first = interrupted(2, journal, SIGTERM, 3);
    CHECK(first.exit_code != 0);
    const auto r = run_rankpool(2, sleep_args(journal, true));
    CHECK(r.exit_code == 0);
    const auto resumed = nlohmann::json::parse(r.out);
    CHECK(resumed["results"]["values"] == whole["results"]["values"]);
    CHECK(resumed["results"]["completed"] == 12);
    CHECK(resumed["ok"] == true);
    CHECK(resumed["results"]["journaled"].get<int>() >= 3);
    std::remove(journal.c_str());
}

TEST_CASE("sleep --journal: a journal of other inputs is refused before any work, untouched") {
    const std::string journal = journal_path("other");
    std::remove(journal.c_str());
    REQUIRE(run_rankpool(1, {"sleep", "0", "0", "--journal", journal}).exit_code == 0);
    const auto before = file_bytes(journal);
    check_refusals(
        {{{"sleep", "0", "0.5", "--journal", journal},
          "journal '" + journal + "' was written for other inputs"},
         {{"sleep", "0", "0", "--repeat", "2", "--journal", journal},
          "journal '" + journal + "' was written for other inputs"},
         {{"sleep", "0", "--journal", "/"}, "journal '/' cannot be opened: Is a directory"},
         {{"sleep", "0", "--journal", "/nonexistent/j"},
          "journal '/nonexistent/j' cannot be opened: No such file or directory"},
         {{"sleep", "--grace", "soon"}, "--grace must be"},
         {{"sleep", "--grace", "-1"}, "--grace"}},
        {1, 3});
    CHECK(file_bytes(journal) == before);
    std::remove(journal.c_str());
}

TEST_CASE("sleep --journal: a torn or corrupt last record is dropped; damage before it is an "
          "error naming the record") {
    const std::string journal = journal_path("torn");
    std::remove(journal.c_str());
    REQUIRE(run_rankpool(1, {"sleep", "0", "0.01", "0.02", "--journal", journal}).exit_code == 0);
    auto bytes = file_bytes(journal);
    REQUIRE(rankpool::read_journal(bytes).entries.size() == 3);
    const auto write = [&](const std::vector<unsigned char>& b) {
        std::ofstream(journal, std::ios::binary | std::ios::trunc)
            .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    };
    const std::size_t record = 8 + 1 + 8 + 8; // a result record of a double
    // The last record cut short: dropped; its task runs again.
    write({bytes.begin(), bytes.end() - 5});
    auto r = run_rankpool(2, {"sleep", "0", "0.01", "0.02", "--journal", journal});
    CHECK(r.exit_code == 0);
    CHECK(done_lines(r.out) == std::vector<std::string>{"Done 0", "Done 0.01", "Done 0.02"});
    CHECK(r.out.find("resumed: 2 of 3 tasks") != std::string::npos);
    CHECK(file_bytes(journal).size() == bytes.size());
    // The last record's checksum wrong (a byte of its result flipped): dropped the same way.
    bytes = file_bytes(journal);
    auto flipped = bytes;
    flipped.back() ^= 0x40;
    write(flipped);
    r = run_rankpool(1, {"sleep", "0", "0.01", "0.02", "--journal", journal});
    CHECK(r.exit_code == 0);
    CHECK(done_lines(r.out) == std::vector<std::string>{"Done 0", "Done 0.01", "Done 0.02"});
    CHECK(r.out.find("resumed: 2 of 3 tasks") != std::string::npos);
    // A record before the last damaged: refused, exit 2, naming the record.
    bytes = file_bytes(journal);
    auto middle = bytes;
    middle[bytes.size() - 2 * record + 12] ^= 0x01; // inside record 3 of 4
    write(middle);
    check_refusals({{{"sleep", "0", "0.01", "0.02", "--journal", journal},
                     "journal '" + journal + "': record 3 (at byte "}},
                   {0, 2});
    std::remove(journal.c_str());
}

TEST_CASE("squares --schedule --journal: a journal cut to its first records resumes to the "
          "uninterrupted output; without --schedule it is refused") {
    const std::string journal = journal_path("squares");
    std::remove(journal.c_str());
    const std::vector<std::string> args = {"squares",   "100",   "--schedule", "dynamic",
                                           "--journal", journal, "--print"};
    const auto whole = run_rankpool(2, args);
    REQUIRE(whole.exit_code == 0);
    auto bytes = file_bytes(journal);
    const auto contents = rankpool::read_journal(bytes);
    REQUIRE(contents.entries.size() == 100);
    // Keep the header and the first records (one per chunk) up to about a third of the squares,
    // then half of the next one: a run killed while writing.
    const auto frame_end = [&](std::size_t at) { // where the record starting at `at` ends
        return at + 8 +
               (bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | bytes[at + 3] << 24);
    };
    std::size_t cut = frame_end(8); // after the header
    while (rankpool::read_journal(std::span(bytes).first(frame_end(cut))).entries.size() < 34) {
        cut = frame_end(cut);
    }
    const std::size_t kept = rankpool::read_journal(std::span(bytes).first(cut)).entries.size();
    REQUIRE(kept < 34);
    bytes.resize(cut + (frame_end(cut) - cut) / 2);
    std::ofstream(journal, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    const auto resumed = run_rankpool(3, args);
    CHECK(resumed.exit_code == 0);
    auto strip = [](const std::string& out) { // the values and the checksum, not the timing
        std::vector<std::string> keep;
        for (const auto& l : lines(out)) {
            if (l.rfind("seconds:", 0) != 0 && l.rfind("squares:", 0) != 0 &&
                l.rfind("resumed:", 0) != 0 && l.rfind("overhead:", 0) != 0) {
                keep.push_back(l);
            }
        }
        return keep;
    };
    CHECK(strip(resumed.out) == strip(whole.out));
    CHECK(resumed.out.find("resumed: " + std::to_string(kept) +
                           " of 100 squares taken from journal " + journal) != std::string::npos);
    CHECK(journaled(journal) == 100);
    check_refusals({{{"squares", "10", "--journal", journal},
                     "--journal goes with --schedule: the collective path"},
                    {{"squares", "10", "--grace", "1"}, "--grace goes with --schedule"},
                    {{"squares", "10", "--schedule", "dynamic", "--grace", "x"}, "--grace must be"},
                    {{"squares", "11", "--schedule", "dynamic", "--journal", journal},
                     "journal '" + journal + "' was written for other inputs"}},
                   {1});
    std::remove(journal.c_str());
}

TEST_CASE("sleep --journal --output: a resumed run writes the uninterrupted run's file, byte for "
          "byte") {
    const std::string journal = journal_path("output");
    const std::string whole = journal_path("whole.csv");
    const std::string resumed = journal_path("resumed.csv");
    std::remove(journal.c_str());
    const std::vector<std::string> tasks = {"sleep", "0", "0.01", "0.02", "0.03", "--quiet"};
    auto args = tasks;
    args.insert(args.end(), {"--output", whole});
    REQUIRE(run_rankpool(2, args).exit_code == 0);
    args = tasks;
    args.insert(args.end(), {"--journal", journal});
    REQUIRE(run_rankpool(2, args).exit_code == 0);
    auto bytes = file_bytes(journal);
    const auto contents = rankpool::read_journal(bytes);
    bytes.resize(8 + 8 + 1 + contents.header.size() +
                 std::size_t{2} * (8 + 1 + 8 + 8)); // 2 results left
    std::ofstream(journal, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    args.insert(args.end(), {"--output", resumed});
    const auto r = run_rankpool(3, args);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("resumed: 2 of 4 tasks") != std::string::npos);
    CHECK(file_bytes(resumed) == file_bytes(whole));
    CHECK_FALSE(file_bytes(whole).empty());
    for (const auto& f : {journal, whole, resumed}) {
        std::remove(f.c_str());
    }
}
