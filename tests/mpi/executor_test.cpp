// Tests of rankpool/executor.hpp under mpiexec: ordered and unordered results, every schedule,
// chunk sizes, more ranks than tasks, failures on rank 0 and elsewhere, keep-going, cancellation.
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <doctest/doctest.h>

#include "rankpool/executor.hpp"

using namespace rankpool;

namespace {

const Schedule all_schedules[] = {Schedule::static_block, Schedule::cyclic, Schedule::dynamic,
                                  Schedule::guided};

/// Uneven tasks: task i sleeps a little when i % 3 == 0, so tasks finish out of order.
std::uint64_t uneven(std::uint64_t i) {
    if (i % 3 == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return i * i + 7;
}

struct Collected {
    std::vector<std::uint64_t> order;  // indices in the order on_result saw them
    std::vector<std::uint64_t> values; // by index
};

Collected run(const boost::mpi::communicator& comm, std::uint64_t n, const ExecutorOptions& o,
              ExecutionSummary* summary = nullptr) {
    Collected c;
    c.values.assign(n, 0);
    const auto s = execute(
        comm, n, uneven,
        [&](std::uint64_t i, std::uint64_t v) {
            c.order.push_back(i);
            c.values[i] = v;
        },
        o);
    if (summary != nullptr) {
        *summary = s;
    }
    return c;
}

void check_all_results(const boost::mpi::communicator& comm, const Collected& c, std::uint64_t n,
                       int root) {
    if (comm.rank() != root) {
        CHECK(c.order.empty());
        return;
    }
    REQUIRE(c.order.size() == n);
    for (std::uint64_t i = 0; i < n; ++i) {
        CHECK(c.values[i] == i * i + 7);
    }
}

} // namespace

TEST_CASE("ordered results arrive in input order, every schedule and chunk size") {
    const boost::mpi::communicator world;
    for (const Schedule s : all_schedules) {
        for (const std::uint64_t chunk : {1, 3, 50}) {
            CAPTURE(to_string(s));
            CAPTURE(chunk);
            ExecutorOptions o;
            o.schedule = s;
            o.chunksize = chunk;
            ExecutionSummary summary;
            const auto c = run(world, 23, o, &summary);
            check_all_results(world, c, 23, 0);
            if (world.rank() == 0) {
                for (std::size_t k = 0; k < c.order.size(); ++k) {
                    CHECK(c.order[k] == k);
                }
                std::uint64_t ran = 0;
                for (const auto t : summary.tasks_per_rank) {
                    ran += t;
                }
                CHECK(ran == 23);
            }
            CHECK(summary.tasks == 23);
            CHECK(summary.completed == 23);
            CHECK(summary.failed == 0);
        }
    }
}

TEST_CASE("unordered results: each exactly once, as they complete") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.ordered = false;
    const auto c = run(world, 31, o);
    check_all_results(world, c, 31, 0);
    if (world.rank() == 0) {
        auto sorted = c.order;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t k = 0; k < sorted.size(); ++k) {
            CHECK(sorted[k] == k);
        }
    }
}

TEST_CASE("zero tasks, one task, fewer tasks than ranks") {
    const boost::mpi::communicator world;
    for (const std::uint64_t n : {0, 1, 2, 3}) {
        CAPTURE(n);
        const auto c = run(world, n, {});
        check_all_results(world, c, n, 0);
    }
}

TEST_CASE("another root, and a root that only dispatches") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.root = world.size() - 1;
    o.root_works = false;
    ExecutionSummary summary;
    const auto c = run(world, 17, o, &summary);
    check_all_results(world, c, 17, o.root);
    if (world.rank() == o.root && world.size() > 1) {
        CHECK(summary.tasks_per_rank[static_cast<std::size_t>(o.root)] == 0);
    }
}

TEST_CASE("spin waiting gives the same results") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.idle = IdleWait::spin;
    check_all_results(world, run(world, 19, o), 19, 0);
}

TEST_CASE("longest-first changes the hand-out order, not the result order") {
    const boost::mpi::communicator world;
    std::vector<double> costs(12);
    for (std::size_t i = 0; i < costs.size(); ++i) {
        costs[i] = static_cast<double>(i);
    }
    ExecutorOptions o;
    o.longest_first = true;
    Collected c;
    c.values.assign(12, 0);
    execute(
        world, 12, uneven,
        [&](std::uint64_t i, std::uint64_t v) {
            c.order.push_back(i);
            c.values[i] = v;
        },
        o, costs);
    check_all_results(world, c, 12, 0);
    if (world.rank() == 0) {
        CHECK(std::is_sorted(c.order.begin(), c.order.end()));
    }
}

TEST_CASE("a task that throws: on rank 0 and on the last rank, with its origin") {
    const boost::mpi::communicator world;
    // Static schedule: worker w gets block w, so task 0 runs on rank 0 and the last task on the
    // last rank.
    const std::uint64_t n = 2 * static_cast<std::uint64_t>(world.size());
    for (const std::uint64_t bad : {std::uint64_t{0}, n - 1}) {
        CAPTURE(bad);
        ExecutorOptions o;
        o.schedule = Schedule::static_block;
        std::vector<std::uint64_t> got;
        const auto s = execute(
            world, n,
            [&](std::uint64_t i) -> std::uint64_t {
                if (i == bad) {
                    throw std::runtime_error("bad task " + std::to_string(i));
                }
                return i;
            },
            [&](std::uint64_t i, std::uint64_t) { got.push_back(i); }, o);
        CHECK(s.failed == 1);
        CHECK(s.completed < n);
        if (world.rank() == 0) {
            REQUIRE(s.failures.size() == 1);
            CHECK(s.failures[0].index == bad);
            CHECK(s.failures[0].rank == (bad == 0 ? 0 : world.size() - 1));
            CHECK(s.failures[0].message == "bad task " + std::to_string(bad));
            CHECK_FALSE(s.failures[0].host.empty());
            // results stop at the first failure, in order
            for (const auto i : got) {
                CHECK(i < bad);
            }
        }
    }
}

TEST_CASE("keep going: every other task runs and every failure is reported") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.keep_going = true;
    std::vector<std::uint64_t> got;
    const auto s = execute(
        world, 20,
        [](std::uint64_t i) -> std::uint64_t {
            if (i % 5 == 2) {
                throw std::runtime_error("multiple of five plus two");
            }
            return i;
        },
        [&](std::uint64_t i, std::uint64_t) { got.push_back(i); }, o);
    CHECK(s.failed == 4);
    CHECK(s.completed == 16);
    if (world.rank() == 0) {
        REQUIRE(s.failures.size() == 4);
        CHECK(s.failures[0].index == 2);
        CHECK(s.failures[3].index == 17);
        CHECK(got.size() == 16);
        CHECK(std::is_sorted(got.begin(), got.end()));
    }
}

TEST_CASE("a failure stops long tasks that watch their stop token") {
    const boost::mpi::communicator world;
    if (world.size() < 2) {
        return; // needs a long task running elsewhere while another fails
    }
    // Task 0 (rank 0's thread) fails after a moment; the others would sleep for 60 s.
    const auto start = std::chrono::steady_clock::now();
    const auto s = execute(
        world, static_cast<std::uint64_t>(world.size()),
        [](std::uint64_t i, const StopToken& stop) -> double {
            if (i == 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                throw std::runtime_error("first task fails");
            }
            if (!sleep_unless_stopped(60, stop)) {
                throw task_cancelled();
            }
            return 60;
        },
        [](std::uint64_t, double) {});
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(s.failed == 1);
    CHECK(s.completed == 0);
    // Not a speed claim: a run that waited for the 60 s sleeps would have been cut by ctest.
    CHECK(took < 30);
}

TEST_CASE("an exception from on_result reaches the root's caller; workers stop") {
    const boost::mpi::communicator world;
    bool raised = false;
    try {
        execute(
            world, 10, [](std::uint64_t i) { return i; },
            [](std::uint64_t i, std::uint64_t) {
                if (i == 3) {
                    throw std::logic_error("sink refuses 3");
                }
            });
    } catch (const std::logic_error& e) {
        raised = true;
        CHECK(std::string(e.what()) == "sink refuses 3");
    }
    CHECK(raised == (world.rank() == 0));
}

TEST_CASE("runs on a sub-communicator") {
    const boost::mpi::communicator world;
    const auto half = world.split(world.rank() % 2);
    const auto c = run(half, 9, {});
    check_all_results(half, c, 9, 0);
}

TEST_CASE("bad options are refused on every rank") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.chunksize = 0;
    CHECK_THROWS_AS(
        execute(
            world, 3, [](std::uint64_t i) { return i; }, [](std::uint64_t, std::uint64_t) {}, o),
        std::invalid_argument);
    ExecutorOptions lf;
    lf.longest_first = true; // without costs
    CHECK_THROWS_AS(
        execute(
            world, 3, [](std::uint64_t i) { return i; }, [](std::uint64_t, std::uint64_t) {}, lf),
        std::invalid_argument);
}
