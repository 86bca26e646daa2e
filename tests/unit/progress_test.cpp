// Progress lines: durations, rate and ETA, and when a meter prints (terminal or file).
#include <doctest/doctest.h>

#include "rankpool/progress.hpp"

using namespace rankpool;

TEST_CASE("durations print as m:ss or h:mm:ss") {
    CHECK(format_duration(0) == "0:00");
    CHECK(format_duration(7.9) == "0:07");
    CHECK(format_duration(205) == "3:25");
    CHECK(format_duration(3723) == "1:02:03");
    CHECK(format_duration(-1) == "?");
    CHECK(format_duration(1.0 / 0.0) == "?");
}

TEST_CASE("a progress line has done of total, the rate and the ETA") {
    CHECK(progress_line(120, 1000, 3) ==
          "progress: 120/1000 tasks (12.0%), 40.0 tasks/s, ETA 0:22, elapsed 0:03");
    CHECK(progress_line(0, 10, 5) ==
          "progress: 0/10 tasks (0.0%), 0.0 tasks/s, ETA ?, elapsed 0:05");
    CHECK(progress_line(10, 10, 4) ==
          "progress: 10/10 tasks (100.0%), 2.5 tasks/s, ETA 0:00, elapsed 0:04");
    CHECK(progress_line(0, 0, 0) ==
          "progress: 0/0 tasks (100.0%), 0.0 tasks/s, ETA 0:00, elapsed 0:00");
}

TEST_CASE("the plans: automatic waits, on starts at once, off shows nothing") {
    const auto auto_tty = plan_progress(ProgressMode::automatic, true);
    CHECK(auto_tty.enabled);
    CHECK(auto_tty.live);
    CHECK(auto_tty.first_after == 2);
    const auto auto_file = plan_progress(ProgressMode::automatic, false);
    CHECK_FALSE(auto_file.live);
    CHECK(auto_file.every == 10);
    CHECK(plan_progress(ProgressMode::on, false).always_final);
    CHECK_FALSE(plan_progress(ProgressMode::off, true).enabled);
}

TEST_CASE("a meter into a file prints a plain line when due, and a closing one") {
    ProgressMeter m(plan_progress(ProgressMode::automatic, false));
    CHECK_FALSE(m.update(1, 100, 0.5));
    CHECK_FALSE(m.update(5, 100, 9.9));
    CHECK(m.update(10, 100, 10.0).value() ==
          "progress: 10/100 tasks (10.0%), 1.0 tasks/s, ETA 1:30, elapsed 0:10\n");
    CHECK_FALSE(m.update(11, 100, 15));
    CHECK(m.update(40, 100, 31).has_value()); // due at 20 s; next at 40 s
    CHECK_FALSE(m.update(41, 100, 35));
    CHECK(m.finish(100, 100, 50).value() ==
          "progress: 100/100 tasks (100.0%), 2.0 tasks/s, ETA 0:00, elapsed 0:50\n");
}

TEST_CASE("an automatic meter says nothing about a short run; a forced one closes with a line") {
    ProgressMeter quiet(plan_progress(ProgressMode::automatic, false));
    CHECK_FALSE(quiet.update(3, 3, 1));
    CHECK_FALSE(quiet.finish(3, 3, 1));
    ProgressMeter forced(plan_progress(ProgressMode::on, false));
    CHECK(forced.finish(3, 3, 1).value().find("progress: 3/3 tasks") == 0);
    ProgressMeter off(plan_progress(ProgressMode::off, false));
    CHECK_FALSE(off.update(3, 3, 100));
    CHECK_FALSE(off.finish(3, 3, 100));
}

TEST_CASE("a live meter redraws one line in place and ends it with a newline") {
    ProgressMeter m(plan_progress(ProgressMode::automatic, true));
    CHECK_FALSE(m.update(1, 1000, 1));
    const auto first = m.update(900, 1000, 2.5).value();
    CHECK(first.front() == '\r');
    CHECK(first.find('\n') == std::string::npos);
    const auto second = m.update(1000, 1000, 3.0).value(); // shorter ETA text: padded
    CHECK(second.size() >= first.size());
    const auto last = m.finish(1000, 1000, 3.0).value();
    CHECK(last.front() == '\r');
    CHECK(last.back() == '\n');
}
