// Tests of the command line's value parsing: accepted forms and each error message.
#include <map>
#include <string>

#include <doctest/doctest.h>

#include "rankpool/parse.hpp"

using rankpool::launcher_rank;
using rankpool::parse_count;
using rankpool::parse_seconds;
using rankpool::usage_error;

TEST_CASE("counts: whole decimal numbers within the limit") {
    CHECK(parse_count("0", "N", 10) == 0);
    CHECK(parse_count("10", "N", 10) == 10);
    CHECK(parse_count("18446744073709551615", "N", 18446744073709551615ull) ==
          18446744073709551615ull);
}

TEST_CASE("counts: each kind of bad input has its own message") {
    CHECK_THROWS_WITH_AS((void)parse_count("-5", "N", 10), "N must be >= 0, got '-5'", usage_error);
    CHECK_THROWS_WITH_AS((void)parse_count("2.5", "N", 10), "N must be a whole number, got '2.5'",
                         usage_error);
    CHECK_THROWS_WITH_AS((void)parse_count("abc", "N", 10), "N must be a whole number, got 'abc'",
                         usage_error);
    CHECK_THROWS_WITH_AS((void)parse_count("1e6", "N", 10), "N must be a whole number, got '1e6'",
                         usage_error);
    CHECK_THROWS_WITH_AS((void)parse_count("", "N", 10),
                         "N must be a whole number, got an empty string", usage_error);
    CHECK_THROWS_WITH_AS((void)parse_count("11", "N", 10), "N = 11 is too large (at most 10)",
                         usage_error);
    CHECK_THROWS_WITH_AS((void)parse_count("99999999999999999999999", "N", 10),
                         "N = 99999999999999999999999 is too large (at most 10)", usage_error);
}

TEST_CASE("positive counts and schedule names") {
    CHECK(rankpool::parse_positive("3", "--chunksize", 10) == 3);
    CHECK_THROWS_WITH_AS((void)rankpool::parse_positive("0", "--chunksize", 10),
                         "--chunksize must be >= 1, got '0'", usage_error);
    CHECK(rankpool::parse_schedule("guided", "--schedule") == rankpool::Schedule::guided);
    CHECK_THROWS_WITH_AS((void)rankpool::parse_schedule("fast", "--schedule"),
                         "--schedule must be static, cyclic, dynamic or guided, got 'fast'",
                         usage_error);
}

TEST_CASE("seconds: finite and not negative") {
    CHECK(parse_seconds("5", "seconds") == 5.0);
    CHECK(parse_seconds("0.25", "seconds") == 0.25);
    CHECK(parse_seconds("1e-2", "seconds") == doctest::Approx(0.01));
    CHECK(parse_seconds("0", "seconds") == 0.0);
    CHECK_THROWS_WITH_AS((void)parse_seconds("-1", "seconds"), "seconds must be >= 0, got '-1'",
                         usage_error);
    CHECK_THROWS_WITH_AS((void)parse_seconds("nan", "seconds"),
                         "seconds must be a finite number of seconds, got 'nan'", usage_error);
    CHECK_THROWS_WITH_AS((void)parse_seconds("inf", "seconds"),
                         "seconds must be a finite number of seconds, got 'inf'", usage_error);
    CHECK_THROWS_WITH_AS((void)parse_seconds("1e999", "seconds"),
                         "seconds must be a finite number of seconds, got '1e999'", usage_error);
    CHECK_THROWS_WITH_AS((void)parse_seconds("two", "seconds"),
                         "seconds must be a number of seconds, got 'two'", usage_error);
    CHECK_THROWS_WITH_AS((void)parse_seconds("2s", "seconds"),
                         "seconds must be a number of seconds, got '2s'", usage_error);
}

TEST_CASE("seconds: at most max_seconds (10^9 s), far below a steady clock's 2^63 ns") {
    using rankpool::max_seconds;
    CHECK(max_seconds == 1e9);
    CHECK(parse_seconds("1e9", "SECONDS") == 1e9);
    CHECK(parse_seconds("1000000000", "SECONDS") == max_seconds);
    CHECK(parse_seconds("999999999.999", "SECONDS") == 999999999.999);
    const char* too_long = " is too long (at most 1000000000 seconds, about 31.7 years)";
    CHECK_THROWS_WITH_AS((void)parse_seconds("1000000000.001", "SECONDS"),
                         (std::string("SECONDS = 1000000000.001") + too_long).c_str(), usage_error);
    // Past 2^63 ns (9.2e9 s) the old conversion to nanoseconds overflowed: the task was 'done'.
    CHECK_THROWS_WITH_AS((void)parse_seconds("9.3e9", "SECONDS"),
                         (std::string("SECONDS = 9.3e9") + too_long).c_str(), usage_error);
    CHECK_THROWS_WITH_AS((void)parse_seconds("1e12", "SECONDS"),
                         (std::string("SECONDS = 1e12") + too_long).c_str(), usage_error);
    CHECK_THROWS_WITH_AS((void)parse_seconds("1.7976931348623157e308", "SECONDS"),
                         (std::string("SECONDS = 1.7976931348623157e308") + too_long).c_str(),
                         usage_error);
}

TEST_CASE("the launcher's rank, before MPI starts") {
    std::map<std::string, std::string> env;
    const auto get = [&](const char* k) -> const char* {
        const auto it = env.find(k);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    CHECK(launcher_rank(get) == 0);
    env["SLURM_PROCID"] = "3";
    CHECK(launcher_rank(get) == 3);
    env["OMPI_COMM_WORLD_RANK"] = "2";
    CHECK(launcher_rank(get) == 2);
    env["OMPI_COMM_WORLD_RANK"] = "garbage";
    CHECK(launcher_rank(get) == 3);
}

TEST_CASE("the launcher's size, before MPI starts") {
    std::map<std::string, std::string> env;
    const auto get = [&](const char* k) -> const char* {
        const auto it = env.find(k);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    CHECK(rankpool::launcher_size(get) == 1);
    env["SLURM_NTASKS"] = "8";
    CHECK(rankpool::launcher_size(get) == 8);
    env["OMPI_COMM_WORLD_SIZE"] = "3";
    CHECK(rankpool::launcher_size(get) == 3);
}
