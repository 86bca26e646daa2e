// Retries and halt policies of the executor under mpiexec, checked through the attempt records
// the root receives (on_attempt): which tasks ran, on which rank, how each attempt ended.
#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <doctest/doctest.h>

#include "rankpool/executor.hpp"

using namespace rankpool;

namespace {

const Schedule all_schedules[] = {Schedule::static_block, Schedule::cyclic, Schedule::dynamic,
                                  Schedule::guided};

struct Run {
    std::vector<TaskAttempt> attempts; // as on_attempt saw them (root)
    std::vector<std::uint64_t> order;  // results as delivered (root)
    ExecutionSummary summary;
    std::string error; // execution_error's what(), or empty
    [[nodiscard]] std::vector<TaskAttempt> of(std::uint64_t i) const {
        std::vector<TaskAttempt> a;
        std::copy_if(attempts.begin(), attempts.end(), std::back_inserter(a),
                     [i](const TaskAttempt& t) { return t.index == i; });
        std::sort(a.begin(), a.end(),
                  [](const auto& x, const auto& y) { return x.attempt < y.attempt; });
        return a;
    }
};

/// Runs n tasks; `fails(index, attempt)` says whether an attempt throws; `seconds(index)` how
/// long a task sleeps (cancellable) before it returns its index.
template <class Fails, class Seconds>
Run run(const boost::mpi::communicator& comm, std::uint64_t n, ExecutorOptions o, Fails fails,
        Seconds seconds) {
    Run r;
    o.on_attempt = [&](const TaskAttempt& a) { r.attempts.push_back(a); };
    try {
        r.summary = execute(
            comm, Tasks(n),
            [&](const TaskContext& c) -> std::uint64_t {
                if (fails(c.index, c.attempt)) {
                    throw std::runtime_error("fails " + std::to_string(c.index) + " attempt " +
                                             std::to_string(c.attempt));
                }
                if (!sleep_unless_stopped(seconds(c.index), c.stop)) {
                    throw task_cancelled();
                }
                return c.index;
            },
            [&](std::uint64_t i, std::uint64_t v) {
                CHECK(v == i);
                r.order.push_back(i);
            },
            o);
    } catch (const execution_error& e) {
        r.summary = e.summary();
        r.error = e.what();
    }
    return r;
}

double no_sleep(std::uint64_t) {
    return 0;
}

} // namespace

TEST_CASE("a task that fails on its first attempt only succeeds with one retry, elsewhere") {
    const boost::mpi::communicator world;
    const std::uint64_t n = 13;
    const auto flaky = [](std::uint64_t i, unsigned attempt) { return i % 4 == 1 && attempt == 1; };
    for (const auto schedule : all_schedules) {
        for (const std::uint64_t chunksize : {1, 3}) {
            for (const bool ordered : {true, false}) {
                CAPTURE(to_string(schedule));
                CAPTURE(chunksize);
                CAPTURE(ordered);
                ExecutorOptions o;
                o.schedule = schedule;
                o.chunksize = chunksize;
                o.ordered = ordered;
                o.retries = 1;
                const auto r = run(world, n, o, flaky, no_sleep);
                CHECK(r.error.empty());
                CHECK(r.summary.failed == 0);
                CHECK(r.summary.completed == n);
                if (world.rank() != 0) {
                    continue;
                }
                CHECK(r.summary.retries == 3); // tasks 1, 5, 9
                CHECK(r.summary.attempts == n + 3);
                CHECK(r.attempts.size() == n + 3);
                auto sorted = r.order;
                std::sort(sorted.begin(), sorted.end());
                CHECK(sorted.size() == n);
                CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
                if (ordered) {
                    CHECK(std::is_sorted(r.order.begin(), r.order.end()));
                }
                for (std::uint64_t i = 0; i < n; ++i) {
                    CAPTURE(i);
                    const auto a = r.of(i);
                    if (i % 4 != 1) {
                        REQUIRE(a.size() == 1);
                        CHECK(a[0].status == AttemptStatus::ok);
                        continue;
                    }
                    REQUIRE(a.size() == 2);
                    CHECK(a[0].attempt == 1);
                    CHECK(a[0].status == AttemptStatus::failed);
                    CHECK(a[0].error == "fails " + std::to_string(i) + " attempt 1");
                    CHECK(a[1].attempt == 2);
                    CHECK(a[1].status == AttemptStatus::ok);
                    CHECK(a[1].error.empty());
                    CHECK(a[1].start >= a[0].start - 1); // Unix seconds, one host's clock
                    CHECK(a[0].start > 1.6e9);
                    if (world.size() > 1) {
                        CHECK(a[1].rank != a[0].rank); // retried on another rank
                    }
                }
            }
        }
    }
}

TEST_CASE("without retries the flaky task fails the run") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    const auto r = run(
        world, 6, o, [](std::uint64_t i, unsigned attempt) { return i == 2 && attempt == 1; },
        no_sleep);
    CHECK(r.summary.failed == 1);
    CHECK(r.error.find("task 2 failed on rank ") == 0);
    CHECK(r.error.find("fails 2 attempt 1") != std::string::npos);
    if (world.rank() == 0) {
        CHECK(r.summary.retries == 0);
        REQUIRE(r.of(2).size() == 1);
        CHECK(r.of(2)[0].status == AttemptStatus::failed);
    }
}

TEST_CASE("a task that always fails is tried 1 + retries times, on distinct ranks while any is "
          "left, and fails with its last error") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.retries = 3;
    o.halt = HaltPolicy::never();
    const auto r = run(
        world, 8, o, [](std::uint64_t i, unsigned) { return i == 5; }, no_sleep);
    CHECK(r.summary.failed == 1);
    CHECK(r.summary.completed == 7);
    if (world.rank() != 0) {
        return;
    }
    CHECK(r.summary.retries == 3);
    CHECK(r.summary.attempts == 11);
    const auto a = r.of(5);
    REQUIRE(a.size() == 4);
    std::vector<int> ranks;
    for (unsigned k = 0; k < a.size(); ++k) {
        CHECK(a[k].attempt == k + 1);
        CHECK(a[k].status == AttemptStatus::failed);
        ranks.push_back(a[k].rank);
    }
    // The first min(size, 4) attempts ran on distinct ranks.
    const auto distinct = static_cast<std::size_t>(std::min(world.size(), 4));
    std::sort(ranks.begin(), ranks.begin() + static_cast<long>(distinct));
    CHECK(std::adjacent_find(ranks.begin(), ranks.begin() + static_cast<long>(distinct)) ==
          ranks.begin() + static_cast<long>(distinct));
    REQUIRE(r.summary.failures.size() == 1);
    CHECK(r.summary.failures[0].message == "fails 5 attempt 4");
}

TEST_CASE("halt never: every task runs and every failure is reported") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.halt = HaltPolicy::never();
    const auto r = run(
        world, 10, o, [](std::uint64_t i, unsigned) { return i % 3 == 0; }, no_sleep);
    CHECK(r.summary.failed == 4);
    CHECK(r.summary.completed == 6);
    if (world.rank() == 0) {
        CHECK(r.attempts.size() == 10);
        CHECK(r.order == std::vector<std::uint64_t>{1, 2, 4, 5, 7, 8});
        CHECK_FALSE(r.summary.halted);
    }
}

TEST_CASE("halt soon: the tasks handed out finish, nothing more is handed out") {
    const boost::mpi::communicator world;
    const auto workers = static_cast<std::uint64_t>(world.size()); // the root works too
    const std::uint64_t n = 4 * workers + 4;
    ExecutorOptions o;
    o.halt = *parse_halt("soon,fail=1");
    // Task 0 fails at once; the tasks handed out with it sleep a while and finish.
    const auto r = run(
        world, n, o, [](std::uint64_t i, unsigned) { return i == 0; },
        [](std::uint64_t) { return 0.3; });
    CHECK(r.summary.failed == 1);
    if (world.rank() != 0) {
        return;
    }
    CHECK(r.summary.halted);
    CHECK(r.summary.completed == workers - 1);
    REQUIRE(r.attempts.size() == workers);
    for (const auto& a : r.attempts) {
        CAPTURE(a.index);
        CHECK(a.index < workers); // the first chunk of each worker, no other
        CHECK(a.status == (a.index == 0 ? AttemptStatus::failed : AttemptStatus::ok));
    }
}

TEST_CASE("halt now: the running tasks are cancelled through their stop token") {
    const boost::mpi::communicator world;
    const auto workers = static_cast<std::uint64_t>(world.size());
    const std::uint64_t n = 4 * workers + 4;
    ExecutorOptions o;
    o.halt = *parse_halt("now,fail=1");
    o.retries = 0;
    const auto r = run(
        world, n, o, [](std::uint64_t i, unsigned) { return i == 0; },
        [](std::uint64_t) { return 60.0; }); // only a cancellation ends these in time
    CHECK(r.summary.failed == 1);
    CHECK(r.summary.completed == 0);
    if (world.rank() != 0) {
        return;
    }
    CHECK(r.summary.halted);
    REQUIRE(r.attempts.size() == workers);
    for (const auto& a : r.attempts) {
        CAPTURE(a.index);
        CHECK(a.index < workers);
        CHECK(a.status == (a.index == 0 ? AttemptStatus::failed : AttemptStatus::cancelled));
        CHECK(a.seconds < 60);
    }
}

TEST_CASE("halt now,fail=2: the second failure stops the run, not the first") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.halt = *parse_halt("now,fail=2");
    o.ordered = false;
    // Tasks 0 and 1 fail at once; every other task waits to be cancelled.
    const auto r = run(
        world, 20, o, [](std::uint64_t i, unsigned) { return i < 2; },
        [](std::uint64_t) { return 60.0; });
    CHECK(r.summary.failed == 2);
    CHECK(r.summary.completed == 0);
    if (world.rank() != 0) {
        return;
    }
    CHECK(r.summary.halted);
    for (const auto& a : r.attempts) {
        CAPTURE(a.index);
        CHECK(a.status == (a.index < 2 ? AttemptStatus::failed : AttemptStatus::cancelled));
    }
    CHECK(r.of(0).size() == 1);
    CHECK(r.of(1).size() == 1);
}

TEST_CASE("on_progress is called on the root, and last with every task done") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    o.on_progress = [&](std::uint64_t done, std::uint64_t total) {
        calls.emplace_back(done, total);
    };
    execute(
        world, 30, [](std::uint64_t i) { return i; }, [](std::uint64_t, std::uint64_t) {}, o);
    if (world.rank() == 0) {
        REQUIRE_FALSE(calls.empty());
        CHECK(calls.back() == std::pair<std::uint64_t, std::uint64_t>{30, 30});
        for (std::size_t k = 1; k < calls.size(); ++k) {
            CHECK(calls[k].first >= calls[k - 1].first);
        }
    }
}

TEST_CASE("bad retry counts are refused on every rank") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.retries = max_retries + 1;
    CHECK_THROWS_AS(
        execute(
            world, 3, [](std::uint64_t i) { return i; }, [](std::uint64_t, std::uint64_t) {}, o),
        std::invalid_argument);
}

TEST_CASE("failed_result: a failed attempt with a result is retried, and its last result is "
          "delivered in order beside the failure") {
    const boost::mpi::communicator world;
    const std::uint64_t n = 9;
    // Task 2 fails on its first attempt only; task 5 on every attempt; both return bytes.
    for (const unsigned retries : {0U, 1U}) {
        for (const bool ordered : {true, false}) {
            for (const std::uint64_t chunksize : {1, 2}) {
                CAPTURE(retries);
                CAPTURE(ordered);
                CAPTURE(chunksize);
                ExecutorOptions o;
                o.retries = retries;
                o.ordered = ordered;
                o.chunksize = chunksize;
                o.halt = HaltPolicy::never();
                std::vector<TaskAttempt> attempts;
                o.on_attempt = [&](const TaskAttempt& a) { attempts.push_back(a); };
                std::vector<std::pair<std::uint64_t, std::string>> got;
                ExecutionSummary s;
                std::string error;
                try {
                    s = execute(
                        world, Tasks(n),
                        [](const TaskContext& c) -> std::string {
                            const std::string out = "task " + std::to_string(c.index) +
                                                    " attempt " + std::to_string(c.attempt);
                            if ((c.index == 2 && c.attempt == 1) || c.index == 5) {
                                throw failed_result("exit code 3", out);
                            }
                            return out;
                        },
                        [&](std::uint64_t i, std::string_view v) { got.emplace_back(i, v); }, o);
                } catch (const execution_error& e) {
                    s = e.summary();
                    error = e.what();
                }
                const std::uint64_t failed = retries == 0 ? 2 : 1; // task 2 recovers on a retry
                CHECK(s.failed == failed);
                CHECK(s.completed == n - failed);
                CHECK(!error.empty());
                if (world.rank() != 0) {
                    continue;
                }
                REQUIRE(got.size() == n); // the failed tasks' results too
                if (ordered) {
                    for (std::uint64_t i = 0; i < n; ++i) {
                        CHECK(got[i].first == i);
                    }
                }
                std::sort(got.begin(), got.end());
                CHECK(got[2].second == (retries == 0 ? "task 2 attempt 1" : "task 2 attempt 2"));
                CHECK(got[5].second == "task 5 attempt " + std::to_string(1 + retries));
                CHECK(got[7].second == "task 7 attempt 1");
                REQUIRE(s.failures.size() == failed);
                CHECK(s.failures.back().index == 5);
                CHECK(s.failures.back().message == "exit code 3");
                CHECK(attempts.size() == n + 2 * retries);
                const auto failed_attempts =
                    std::count_if(attempts.begin(), attempts.end(), [](const TaskAttempt& a) {
                        return a.status == AttemptStatus::failed && a.error == "exit code 3";
                    });
                CHECK(failed_attempts == 2 + retries);
            }
        }
    }
}

TEST_CASE("failed_result with the default halt policy stops the run, its result delivered") {
    const boost::mpi::communicator world;
    std::vector<std::uint64_t> got;
    ExecutionSummary s;
    try {
        s = execute(
            world, Tasks(4),
            [](const TaskContext& c) -> std::string {
                if (c.index == 0) {
                    throw failed_result("exit code 1", "partial output");
                }
                return "ok";
            },
            [&](std::uint64_t i, std::string_view v) {
                got.push_back(i);
                if (i == 0) {
                    CHECK(v == "partial output");
                }
            });
    } catch (const execution_error& e) {
        s = e.summary();
    }
    CHECK(s.failed == 1);
    if (world.rank() == 0) {
        REQUIRE(!got.empty());
        CHECK(got.front() == 0);
        CHECK(s.halted);
    }
}
