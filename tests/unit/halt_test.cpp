// The halt policy: GNU parallel's --halt text parsed, and its stop/go decisions.
#include <doctest/doctest.h>

#include "rankpool/halt.hpp"

using namespace rankpool;

TEST_CASE("halt policies parse from GNU parallel's text and print back the same") {
    for (const char* text :
         {"never", "now,fail=1", "soon,fail=1", "now,fail=3", "soon,fail=10%", "now,fail=100%"}) {
        const auto p = parse_halt(text);
        REQUIRE(p.has_value());
        CHECK(to_string(*p) == text);
    }
    const auto p = parse_halt("soon,fail=25%");
    REQUIRE(p);
    CHECK(p->when == HaltPolicy::When::soon);
    CHECK(p->percent);
    CHECK(p->threshold == 25);
    CHECK(HaltPolicy{} == *parse_halt("now,fail=1"));
    CHECK(HaltPolicy{}.stops_at_first_failure());
    CHECK_FALSE(parse_halt("soon,fail=1")->stops_at_first_failure());
    CHECK_FALSE(HaltPolicy::never().stops_at_first_failure());
}

TEST_CASE("bad halt texts are refused with a reason") {
    for (const char* text :
         {"", "always", "now", "now,", "now,fail=", "now,fail=0", "now,fail=-1", "now,fail=+1",
          "now,fail=1.5", "now,fail=101%", "now,fail=0%", "now,fail=%", "later,fail=1",
          "now,success=1", "now,done=1", "never,fail=1", "now,fail=1 ", " now,fail=1",
          "now,fail=99999999999999999999999"}) {
        std::string why;
        CHECK_MESSAGE(!parse_halt(text, &why).has_value(), text);
        CHECK_MESSAGE(!why.empty(), text);
    }
}

TEST_CASE("never goes on whatever fails") {
    CHECK(HaltPolicy::never().decide(0, 0, 10) == HaltAction::go_on);
    CHECK(HaltPolicy::never().decide(10, 10, 10) == HaltAction::go_on);
}

TEST_CASE("fail=N stops at the Nth failure, now or soon") {
    const auto now3 = *parse_halt("now,fail=3");
    CHECK(now3.decide(0, 5, 100) == HaltAction::go_on);
    CHECK(now3.decide(2, 50, 100) == HaltAction::go_on);
    CHECK(now3.decide(3, 50, 100) == HaltAction::stop_now);
    CHECK(now3.decide(4, 50, 100) == HaltAction::stop_now);
    const auto soon1 = *parse_halt("soon,fail=1");
    CHECK(soon1.decide(0, 1, 2) == HaltAction::go_on);
    CHECK(soon1.decide(1, 1, 2) == HaltAction::stop_soon);
    CHECK(HaltPolicy{}.decide(1, 1, 1000) == HaltAction::stop_now);
}

TEST_CASE("fail=P% stops once P% of all tasks failed") {
    const auto p = *parse_halt("soon,fail=10%");
    CHECK(p.decide(9, 9, 100) == HaltAction::go_on);
    CHECK(p.decide(10, 10, 100) == HaltAction::stop_soon);
    CHECK(p.decide(1, 1, 7) == HaltAction::stop_soon); // 14% of 7
    CHECK(p.decide(1, 1, 11) == HaltAction::go_on);    // 9% of 11
    const auto all = *parse_halt("now,fail=100%");
    CHECK(all.decide(4, 5, 5) == HaltAction::go_on);
    CHECK(all.decide(5, 5, 5) == HaltAction::stop_now);
}
