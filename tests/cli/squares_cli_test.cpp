// End-to-end tests of `rankpool squares` under mpiexec: output, JSON, exit codes, error text.
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "overhead_check.hpp"
#include "run.hpp"

using rankpool::test::check_refusals;
using rankpool::test::count_lines_with;
using rankpool::test::lines;
using rankpool::test::run_rankpool;
using rankpool::test::run_rankpool_with;

TEST_CASE("squares 10 --print on 3 ranks prints 0..81 in order and checksum 285") {
    const auto r = run_rankpool(3, {"squares", "10", "--print"});
    CHECK(r.exit_code == 0);
    const auto ls = lines(r.out);
    REQUIRE(ls.size() >= 10);
    for (int i = 0; i < 10; ++i) {
        CHECK(ls[static_cast<std::size_t>(i)] == std::to_string(i * i));
    }
    CHECK(r.out.find("checksum: 285 (= n(n-1)(2n-1)/6, ok)") != std::string::npos);
    CHECK(r.out.find("on 3 ranks") != std::string::npos);
    CHECK(r.err.empty());
}

TEST_CASE("squares --json at 1, 2, 3 and 4 ranks, both inputs and both gathers") {
    for (const int ranks : {1, 2, 3, 4}) {
        for (const auto& extra : std::vector<std::vector<std::string>>{
                 {}, {"--input", "array"}, {"--gather", "none"}}) {
            CAPTURE(ranks);
            std::vector<std::string> args = {"squares", "1009", "--json"};
            args.insert(args.end(), extra.begin(), extra.end());
            const auto r = run_rankpool(ranks, args);
            CHECK(r.exit_code == 0);
            const auto j = nlohmann::json::parse(r.out);
            CHECK(j["command"] == "squares");
            CHECK(j["options"]["n"] == 1009);
            CHECK(j["ranks"] == ranks);
            CHECK(j["results"]["checksum"] == 341905704);
            CHECK(j["ok"] == true);
            CHECK(j["hosts"].size() == static_cast<std::size_t>(ranks));
            CHECK(j["max_rss_bytes"].size() == static_cast<std::size_t>(ranks));
            for (const auto* phase : {"scatter", "compute", "gather", "total"}) {
                CHECK(j["seconds"][phase].is_number());
            }
            CHECK(j["seconds"]["total"].get<double>() >= j["seconds"]["compute"].get<double>());
        }
    }
}

TEST_CASE("squares defaults to the tutorial's range(100)") {
    const auto r = run_rankpool(2, {"squares", "--json", "--print"});
    CHECK(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["options"]["n"] == 100);
    CHECK(j["results"]["checksum"] == 328350);
    REQUIRE(j["results"]["values"].size() == 100);
    CHECK(j["results"]["values"][99] == 9801);
}

TEST_CASE("squares 0 and n below the rank count") {
    for (const auto& n : {"0", "1", "3"}) {
        const auto r = run_rankpool(4, {"squares", n, "--print"});
        CHECK(r.exit_code == 0);
        CHECK(count_lines_with(r.out, "ok)") == 1);
    }
}

TEST_CASE("a checksum above 64 bits is printed exactly") {
    const auto r = run_rankpool(2, {"squares", "5000000", "--gather", "none", "--json"});
    CHECK(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["results"]["checksum"] == "41666654166667500000");
    CHECK(j["ok"] == true);
}

TEST_CASE("bad input: one line from rank 0 only, exit code 2 on every rank count") {
    const rankpool::test::Refusals cases = {
        {{"squares", "-5"}, "rankpool: error: N must be >= 0, got '-5'"},
        {{"squares", "2.5"}, "rankpool: error: N must be a whole number, got '2.5'"},
        {{"squares", "abc"}, "rankpool: error: N must be a whole number, got 'abc'"},
        {{"squares", "99999999999"},
         "rankpool: error: N = 99999999999 is too large (at most 4294967296)"},
        {{"squares", "--nope"},
         "rankpool: error: The following argument was not expected: --nope "
         "(see rankpool --help)"},
        {{"cubes"},
         "rankpool: error: unknown command 'cubes'; commands: spawn, squares, sleep, compare, "
         "demo, "
         "run, doctor (see rankpool --help)"},
    };
    check_refusals(cases, {0, 1, 3});
}

TEST_CASE("too large for rank 0's memory: refused up front") {
    // 2^31 - 1 results need 16 GiB on rank 0 for an array input plus its results; ask for more
    // than MemAvailable by using the array input only when that is indeed more.
    const auto r = run_rankpool(2, {"squares", "2147483647", "--input", "array"});
    if (r.exit_code == 2) {
        CHECK(count_lines_with(r.err, "rankpool: error: squares 2147483647 needs 32.00 GiB") == 1);
        CHECK(r.err.find("use --gather none") != std::string::npos);
    } else {
        MESSAGE("this machine has more than 32 GiB available; the refusal is not exercised");
    }
}

TEST_CASE("under RLIMIT_AS (ulimit -v) a result array larger than what is left is refused, "
          "naming the limit; what fits runs") {
    // Before: std::bad_alloc on rank 0 and Open MPI's abort banner. 2e9 bytes of address space
    // leave rank 0 about 1.7 GiB once MPI is up; 3e8 results need 2.24 GiB.
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer reserves terabytes of shadow address space at start, which RLIMIT_AS
    // forbids: a sanitized rankpool cannot start under this limit at all.
    MESSAGE("skipped under AddressSanitizer: its shadow memory does not fit under RLIMIT_AS");
    return;
#endif
    const std::string limit = "prlimit --as=2000000000";
    const std::string mpi = limit + " " + RANKPOOL_MPIEXEC + " -n 2 " + RANKPOOL_MPIEXEC_FLAGS;
    for (const auto& launcher : {limit, mpi}) {
        CAPTURE(launcher);
        const auto r = run_rankpool_with(launcher, {"squares", "300000000"});
        CAPTURE(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
        CHECK(count_lines_with(r.err, "rankpool: error: squares 300000000 needs 2.24 GiB on rank 0 "
                                      "for the gathered results but ") == 1);
        CHECK(count_lines_with(r.err, " GiB is available (RLIMIT_AS, ulimit -v); use --gather "
                                      "none to sum without gathering") == 1);
        CHECK(run_rankpool_with(launcher, {"squares", "10000000"}).exit_code == 0);
        CHECK(run_rankpool_with(launcher, {"squares", "300000000", "--gather", "none"}).exit_code ==
              0);
    }
}

TEST_CASE("help: rankpool --help and rankpool squares --help, exit 0") {
    const auto top = run_rankpool(0, {"--help"});
    CHECK(top.exit_code == 0);
    CHECK(top.out.find("squares") != std::string::npos);
    const auto sub = run_rankpool(2, {"squares", "--help"});
    CHECK(sub.exit_code == 0);
    CHECK(count_lines_with(sub.out, "--gather") == 1);
}

TEST_CASE("squares --schedule: every schedule gives the same results through the executor") {
    for (const int ranks : {1, 2, 3, 4}) {
        for (const auto* schedule : {"static", "cyclic", "dynamic", "guided"}) {
            for (const auto& chunk : std::vector<std::vector<std::string>>{
                     {}, {"--chunksize", "1"}, {"--chunksize", "7"}, {"--chunksize", "500"}}) {
                CAPTURE(ranks);
                CAPTURE(schedule);
                std::vector<std::string> args = {"squares", "101",        "--print",
                                                 "--json",  "--schedule", schedule};
                args.insert(args.end(), chunk.begin(), chunk.end());
                const auto r = run_rankpool(ranks, args);
                CHECK(r.exit_code == 0);
                const auto j = nlohmann::json::parse(r.out);
                CHECK(j["options"]["schedule"] == schedule);
                CHECK(j["results"]["checksum"] == 338350);
                CHECK(j["ok"] == true);
                REQUIRE(j["results"]["values"].size() == 101);
                bool in_order = true;
                for (std::size_t i = 0; i < 101; ++i) {
                    in_order = in_order && j["results"]["values"][i] == i * i;
                }
                CHECK(in_order);
            }
        }
    }
}

TEST_CASE("squares --schedule: the executor's overhead breakdown, in JSON and in text") {
    for (const int ranks : {1, 2, 3}) {
        CAPTURE(ranks);
        const auto r = run_rankpool(ranks, {"squares", "1000", "--schedule", "dynamic", "--json"});
        REQUIRE(r.exit_code == 0);
        rankpool::test::check_overhead(nlohmann::json::parse(r.out)["detail"], 1000, ranks);
    }
    const auto text = run_rankpool(2, {"squares", "1000", "--schedule", "guided"});
    CHECK(text.exit_code == 0);
    CHECK(count_lines_with(text.out, "overhead: rank 0 dispatching ") == 1);
    // The collective path runs no executor: no breakdown.
    const auto collective = run_rankpool(2, {"squares", "1000", "--json"});
    CHECK(nlohmann::json::parse(collective.out)["detail"].contains("overhead") == false);
    CHECK(count_lines_with(run_rankpool(2, {"squares", "1000"}).out, "overhead:") == 0);
}

TEST_CASE("squares --schedule: Pool.map's default chunk size, and bad combinations") {
    const auto r = run_rankpool(4, {"squares", "1000", "--schedule", "dynamic", "--json"});
    CHECK(r.exit_code == 0);
    CHECK(nlohmann::json::parse(r.out)["detail"]["chunksize"] == 63); // ceil(1000 / 16)
    const auto bad = run_rankpool(2, {"squares", "--chunksize", "3"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("rankpool: error: --chunksize goes with --schedule") != std::string::npos);
    const auto arr = run_rankpool(0, {"squares", "--schedule", "static", "--input", "array"});
    CHECK(arr.exit_code == 2);
    CHECK(arr.err.find("does not take --input array") != std::string::npos);
}
