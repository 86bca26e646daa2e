// Tests of the lifeline: a child's death is seen at once, a released child's exit is not a death.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <doctest/doctest.h>

#include "rankpool/lifeline.hpp"

using rankpool::Lifeline;
using rankpool::LifelineWatch;

namespace {

/// How a forked child leaves once it has connected.
enum class Ending { killed, released, exits_unreleased };

/// Forks a child that connects to `watch`, then ends as told; returns its pid once reaped.
pid_t child_that(const LifelineWatch& watch, Ending how) {
    const pid_t pid = fork();
    if (pid == 0) {
        Lifeline line = Lifeline::connect(watch.address());
        if (!line.connected()) {
            _exit(3);
        }
        if (how == Ending::killed) {
            std::raise(SIGKILL);
        }
        if (how == Ending::released) {
            line.release();
        }
        _exit(0); // without release, the kernel closes the connection: an unreleased exit
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (how == Ending::killed) {
        CHECK(WIFSIGNALED(status));
    } else {
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    return pid;
}

/// Waits (10 s at most: a bound against hangs, not a timing check) until `done` holds.
bool eventually(const std::function<bool()>& done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

bool closed(const LifelineWatch& w, std::size_t n) {
    const auto cs = w.children();
    if (cs.size() != n) {
        return false;
    }
    return std::ranges::all_of(cs, [](const auto& c) { return c.closed; });
}

} // namespace

TEST_CASE("a child killed by SIGKILL is lost, named by its pid") {
    LifelineWatch watch;
    CHECK_FALSE(watch.lost());
    const pid_t pid = child_that(watch, Ending::killed);
    REQUIRE(eventually([&] { return closed(watch, 1); }));
    REQUIRE(watch.lost());
    CHECK(*watch.lost() == static_cast<std::uint64_t>(pid));
    CHECK(watch.children()[0].pid == static_cast<std::uint64_t>(pid));
    CHECK_FALSE(watch.children()[0].released);
}

TEST_CASE("a child that exits without releasing is lost too; one that released is not") {
    LifelineWatch watch;
    const pid_t done = child_that(watch, Ending::released);
    REQUIRE(eventually([&] { return closed(watch, 1); }));
    CHECK(watch.children()[0].pid == static_cast<std::uint64_t>(done));
    CHECK(watch.children()[0].released);
    CHECK_FALSE(watch.lost());
    const pid_t quit = child_that(watch, Ending::exits_unreleased);
    REQUIRE(eventually([&] { return closed(watch, 2); }));
    REQUIRE(watch.lost());
    CHECK(*watch.lost() == static_cast<std::uint64_t>(quit));
}

TEST_CASE("a loss while Blocked calls the fatal handler on the watch thread, once") {
    LifelineWatch watch;
    std::atomic<std::uint64_t> fired_pid{0};
    std::atomic<int> calls{0};
    std::atomic<bool> other_thread{false};
    const auto main_thread = std::this_thread::get_id();
    pid_t pid = 0;
    {
        const LifelineWatch::Blocked blocked(watch, [&](std::uint64_t p) {
            other_thread = std::this_thread::get_id() != main_thread;
            fired_pid = p;
            ++calls;
        });
        pid = child_that(watch, Ending::killed);
        REQUIRE(eventually([&] { return calls.load() == 1; }));
    }
    CHECK(fired_pid.load() == static_cast<std::uint64_t>(pid));
    CHECK(other_thread.load());
    CHECK(calls.load() == 1);
}

TEST_CASE("a Blocked opened after a loss fires at once, on the opening thread") {
    LifelineWatch watch;
    const pid_t pid = child_that(watch, Ending::killed);
    REQUIRE(eventually([&] { return watch.lost().has_value(); }));
    std::uint64_t fired = 0;
    const LifelineWatch::Blocked blocked(watch, [&](std::uint64_t p) { fired = p; });
    CHECK(fired == static_cast<std::uint64_t>(pid)); // no wait: it ran in the constructor
}

TEST_CASE("a released child does not fire a Blocked; no child, no loss") {
    LifelineWatch watch;
    int calls = 0;
    {
        const LifelineWatch::Blocked blocked(watch, [&](std::uint64_t) { ++calls; });
        child_that(watch, Ending::released);
        REQUIRE(eventually([&] { return closed(watch, 1); }));
    }
    CHECK(calls == 0);
    CHECK_FALSE(watch.lost());
    const LifelineWatch idle;
    CHECK(idle.children().empty());
    CHECK_FALSE(idle.lost());
}

TEST_CASE("addresses are unique; connecting to one nobody listens on fails quietly") {
    const LifelineWatch a;
    const LifelineWatch b;
    CHECK(a.address() != b.address());
    CHECK(a.address().rfind("rankpool-lifeline-", 0) == 0);
    CHECK_FALSE(Lifeline::connect("rankpool-lifeline-nobody-listens-here").connected());
    Lifeline none;
    none.release(); // harmless when not connected
    CHECK_FALSE(none.connected());
}
