// --deadline's texts, Slurm's end times, and the gate that says whether a task can still finish.
#include <cstdlib>
#include <ctime>

#include <doctest/doctest.h>

#include "rankpool/deadline.hpp"

using namespace rankpool;

namespace {

/// The Unix time of a local calendar time (as the parser must compute it).
double local(int y, int mo, int d, int h, int mi, int s) {
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    tm.tm_isdst = -1;
    return static_cast<double>(std::mktime(&tm));
}

} // namespace

TEST_CASE("a deadline in seconds is that long from now") {
    const double now = 1'800'000'000.25;
    CHECK(parse_deadline("3600", now)->at == doctest::Approx(now + 3600));
    CHECK(parse_deadline("2.5", now)->at == doctest::Approx(now + 2.5));
    CHECK(parse_deadline("0", now)->at == doctest::Approx(now));
    CHECK_FALSE(parse_deadline("3600", now)->slurm);
    CHECK(parse_deadline("slurm", now)->slurm);
}

TEST_CASE("a clock time is today's, or tomorrow's once past") {
    const double now = local(2026, 11, 27, 5, 30, 0);
    CHECK(parse_deadline("06:40", now)->at == local(2026, 11, 27, 6, 40, 0));
    CHECK(parse_deadline("6:40:30", now)->at == local(2026, 11, 27, 6, 40, 30));
    CHECK(parse_deadline("05:29", now)->at == local(2026, 11, 28, 5, 29, 0));
    CHECK(parse_deadline("05:30:00", now)->at == local(2026, 11, 28, 5, 30, 0)); // now: past
    CHECK(parse_deadline("23:59:59", now)->at == local(2026, 11, 27, 23, 59, 59));
    CHECK(parse_deadline("00:00", now)->at == local(2026, 11, 28, 0, 0, 0));
}

TEST_CASE("ISO 8601 times: local without a zone, UTC with Z, or an offset") {
    const double now = local(2026, 11, 27, 5, 30, 0);
    CHECK(parse_deadline("2026-11-27T06:40:00", now)->at == local(2026, 11, 27, 6, 40, 0));
    CHECK(parse_deadline("2026-11-27 06:40", now)->at == local(2026, 11, 27, 6, 40, 0));
    CHECK(parse_deadline("2026-11-27T06:40:00Z", now)->at == 1795737600.0 + 6 * 3600 + 40 * 60);
    CHECK(parse_deadline("2026-11-27T07:40:00+01:00", now)->at ==
          1795737600.0 + 6 * 3600 + 40 * 60);
    CHECK(parse_deadline("2026-11-27T01:40-0500", now)->at == 1795737600.0 + 6 * 3600 + 40 * 60);
    // a time in the past is still a deadline: nothing more starts
    CHECK(parse_deadline("2020-01-01T00:00:00Z", now)->at == 1577836800.0);
}

TEST_CASE("bad deadlines are refused with a reason") {
    for (const char* text : {"",
                             " ",
                             "-1",
                             "+5",
                             "1e3",
                             "5s",
                             "1.",
                             ".5",
                             "abc",
                             "SLURM",
                             "slurm ",
                             "24:00",
                             "12:60",
                             "12:30:60",
                             "123:00",
                             "12:3",
                             "12:",
                             ":30",
                             "2026-13-01T00:00",
                             "2026-02-30T00:00",
                             "2026-11-27",
                             "2026-11-27T6:40",
                             "2026-11-27T06:40:00X",
                             "2026-11-27T06:40+25:00",
                             "2026-11-27T06:40:00Z ",
                             "99999999999",
                             "inf",
                             "nan"}) {
        std::string why;
        CHECK_MESSAGE(!parse_deadline(text, 1'800'000'000.0, &why).has_value(), text);
        CHECK_MESSAGE(!why.empty(), text);
    }
}

TEST_CASE("Slurm's end times: squeue's and scontrol's text, or Unix seconds") {
    CHECK(parse_slurm_end_time("2026-11-27T06:40:00\n") == local(2026, 11, 27, 6, 40, 0));
    CHECK(parse_slurm_end_time("1795768800") == 1795768800.0);
    CHECK_FALSE(parse_slurm_end_time("Unknown").has_value());
    CHECK_FALSE(parse_slurm_end_time("N/A").has_value());
    CHECK_FALSE(parse_slurm_end_time("NONE").has_value());
    CHECK_FALSE(parse_slurm_end_time("").has_value());
    const char* scontrol =
        "JobId=7 JobName=run.sbatch\n   RunTime=00:00:03 TimeLimit=00:02:00 TimeMin=N/A\n"
        "   SubmitTime=2026-11-27T06:00:00 EligibleTime=2026-11-27T06:00:00\n"
        "   StartTime=2026-11-27T06:00:01 EndTime=2026-11-27T06:02:01 Deadline=N/A\n";
    CHECK(slurm_end_time_from_scontrol(scontrol) == local(2026, 11, 27, 6, 2, 1));
    CHECK_FALSE(slurm_end_time_from_scontrol("JobId=7 EndTime=Unknown Deadline=N/A").has_value());
    CHECK_FALSE(slurm_end_time_from_scontrol("slurm_load_jobs error: Invalid job id").has_value());
}

TEST_CASE("the gate: measured task times say whether a chunk can finish") {
    DeadlineGate gate(100.0);
    CHECK(gate.mean() == 0);
    CHECK(gate.allows(10, 1)); // nothing measured: it may start while the deadline is ahead
    CHECK_FALSE(gate.allows(100, 1));
    CHECK_FALSE(gate.allows(150, 0));
    gate.finished(2.0, 1);
    gate.finished(10.0, 2); // a chunk of two: 5 s each
    CHECK(gate.mean() == doctest::Approx(4.0));
    CHECK(gate.allows(96, 1)); // 96 + 4 = 100: just in time
    CHECK_FALSE(gate.allows(96.5, 1));
    CHECK(gate.allows(90, 2));       // 90 + 8 = 98
    CHECK_FALSE(gate.allows(90, 3)); // 90 + 12 = 102
}

TEST_CASE("the gate uses a prior (a journal's times) until a task finishes here") {
    DeadlineGate gate(100.0, 30.0);
    CHECK(gate.mean() == 30.0);
    CHECK(gate.allows(70, 1));
    CHECK_FALSE(gate.allows(71, 1));
    gate.finished(1.0, 1); // measured here: the prior no longer counts
    CHECK(gate.mean() == 1.0);
    CHECK(gate.allows(99, 1));
}
