// Tests of compare's pure parts: the worker, the rows, speedups, the table and the JSON.
#include <string>

#include <doctest/doctest.h>

#include "commands/compare.hpp"

using namespace rankpool;
using namespace rankpool::commands;

TEST_CASE("cpu_worker is repeat * sum(x*x for x in range(n))") {
    CHECK(cpu_worker(0, 5) == 0);
    CHECK(cpu_worker(100, 0) == 0);
    CHECK(cpu_worker(100, 1) == 328350);
    CHECK(cpu_worker(100, 3) == 3 * 328350);
    CHECK(cpu_worker(1000, 2) == 2 * sum_of_squares(1000));
    CHECK(cpu_worker(max_compare_n, 1) == sum_of_squares(max_compare_n)); // one pass in 64 bits
}

TEST_CASE("expected_result counts both workers") {
    CHECK(expected_result({100, 1000}) == 656700000);
    CHECK(expected_result({0, 1000}) == 0);
    CHECK(expected_result({max_compare_n, max_compare_repeat}) ==
          static_cast<uint128>(2) * max_compare_repeat * sum_of_squares(max_compare_n));
}

TEST_CASE("serial and threads rows compute 2 * repeat * n(n-1)(2n-1)/6 and are timed") {
    const CompareOptions o{100, 500};
    const uint128 formula = uint128{2} * 500 * (99 * 100 * 199 / 6); // 328350000
    const auto s = run_serial(o);
    CHECK(s.way == "serial");
    CHECK(s.workers == 1);
    CHECK(s.result == formula);
    CHECK(s.seconds > 0); // measured: not left at its default 0
    CHECK_FALSE(s.skipped);
    const auto t = run_threads(o);
    CHECK(t.way == "threads");
    CHECK(t.workers == 2);
    CHECK(t.result == formula);
    CHECK(t.seconds > 0);
    CHECK_FALSE(t.skipped);
}

TEST_CASE("speedups are relative to the serial row; skipped rows get none") {
    std::vector<CompareRow> rows = {{"serial", 1, 2.0, 0, 0, false, ""},
                                    {"threads", 2, 1.0, 0, 0, false, ""},
                                    {"ranks", 2, 0.5, 0, 0, false, ""},
                                    skipped_ranks_row()};
    set_speedups(rows);
    CHECK(rows[0].speedup == 1.0);
    CHECK(rows[1].speedup == 2.0);
    CHECK(rows[2].speedup == 4.0);
    CHECK(rows[3].speedup == 0.0);
    std::vector<CompareRow> zero = {{"serial", 1, 0.0, 0, 0, false, ""}};
    set_speedups(zero);
    CHECK(zero[0].speedup == 0.0);
}

TEST_CASE("a report is ok when every row that ran agrees with the expected result") {
    CompareReport r;
    r.options = {10, 2};
    r.ranks = 1;
    r.expected = expected_result(r.options);
    r.rows = {{"serial", 1, 0.2, 1, r.expected, false, ""},
              {"threads", 2, 0.1, 2, r.expected, false, ""},
              skipped_ranks_row()};
    CHECK(r.ok());
    const auto text = to_text(r);
    REQUIRE(text.size() == 7);
    CHECK(text[0] == "compare: 2 workers, each sum(x*x for x in range(10)) 2 times; 1 rank");
    CHECK(text[2] == "serial         1     0.2000    1.00x  1140");
    CHECK(text[3] == "threads        2     0.1000    2.00x  1140");
    CHECK(text[4] == "ranks          2  skipped: needs a second rank, run mpirun -np 2 rankpool "
                     "compare");
    CHECK(text[5].find("no GIL") != std::string::npos);
    CHECK(text[6] == "Every way computed 2 * 2 * sum_of_squares(10) = 1140, ok");
    const auto j = to_json(r);
    CHECK(j["command"] == "compare");
    CHECK(j["detail"]["rows"].size() == 3);
    CHECK(j["detail"]["rows"][1]["speedup"] == 2.0);
    CHECK(j["detail"]["rows"][2]["skipped"] == true);
    CHECK(j["detail"]["rows"][2]["result"].is_null());
    CHECK(j["ok"] == true);

    r.rows[1].result += 1;
    CHECK_FALSE(r.ok());
    CHECK(to_text(r).back() == "MISMATCH: expected 1140 from every way");
    CHECK(to_json(r)["ok"] == false);
}
