// Tests of rankpool/executor.hpp under mpiexec: ordered and unordered results, every schedule,
// chunk sizes, more ranks than tasks, subsets, payloads, variable-size results, the hand-out
// order, failures on rank 0 and elsewhere, keep-going, cancellation, a failing on_result.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/collectives/gather.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
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

Collected run(const boost::mpi::communicator& comm, const Tasks& tasks, const ExecutorOptions& o,
              ExecutionSummary* summary = nullptr) {
    Collected c;
    c.values.assign(tasks.n(), 0);
    const auto s = execute(
        comm, tasks, uneven,
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

Collected run(const boost::mpi::communicator& comm, std::uint64_t n, const ExecutorOptions& o,
              ExecutionSummary* summary = nullptr) {
    return run(comm, Tasks(n), o, summary);
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

std::uint64_t sum(const std::vector<std::uint64_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

/// The root's text, on every rank: to check that every rank raised the same what().
std::string roots(const boost::mpi::communicator& comm, std::string text, int root = 0) {
    boost::mpi::broadcast(comm, text, root);
    return text;
}

/// Byte k of payload (or result) i: every byte depends on both, so a shifted buffer shows.
char byte_of(std::uint64_t i, std::size_t k) {
    return static_cast<char>('a' + (i * 7 + k * 3) % 26);
}
std::string text_of(std::uint64_t i, std::size_t size) {
    std::string s(size, ' ');
    for (std::size_t k = 0; k < size; ++k) {
        s[k] = byte_of(i, k);
    }
    return s;
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
                CHECK(sum(summary.tasks_per_rank) == 23);
            }
            CHECK(summary.tasks == 23);
            CHECK(summary.completed == 23);
            CHECK(summary.failed == 0);
            CHECK(summary.root_worked); // the test main asks for MPI_THREAD_FUNNELED
            CHECK(summary.notes.empty());
        }
    }
}

TEST_CASE("auto chunk sizes: every result once, in input order, in few chunks") {
    const boost::mpi::communicator world;
    for (const std::uint64_t n : {0ULL, 1ULL, 3ULL, 23ULL, 20000ULL}) {
        for (const bool root_works : {true, false}) {
            CAPTURE(n);
            CAPTURE(root_works);
            ExecutorOptions o;
            o.chunksize = chunksize_auto;
            o.root_works = root_works;
            ExecutionSummary summary;
            const auto c = run(world, n, o, &summary);
            check_all_results(world, c, n, 0);
            if (world.rank() == 0) {
                for (std::size_t k = 0; k < c.order.size(); ++k) {
                    CHECK(c.order[k] == k);
                }
                CHECK(sum(summary.tasks_per_rank) == n);
                // Factoring: about `workers` chunks per halving of the work, never more than n.
                CHECK(summary.chunks <= n);
                if (n == 20000) {
                    CHECK(summary.chunks < 200);
                }
            }
            CHECK(summary.completed == n);
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
    CHECK(summary.root_worked == (world.size() == 1)); // alone, the root always works
    CHECK(summary.notes.empty());                      // as asked: nothing to note
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

TEST_CASE("a subset of the tasks: results for it alone, in index order") {
    const boost::mpi::communicator world;
    const std::vector<std::uint64_t> subset = {3, 4, 7, 20, 21, 22, 39};
    for (const Schedule s : all_schedules) {
        for (const std::uint64_t chunk : {1, 2, 50}) {
            for (const bool ordered : {true, false}) {
                CAPTURE(to_string(s));
                CAPTURE(chunk);
                CAPTURE(ordered);
                ExecutorOptions o;
                o.schedule = s;
                o.chunksize = chunk;
                o.ordered = ordered;
                ExecutionSummary summary;
                // Only the root reads the subset: the others pass none.
                Tasks tasks(40);
                if (world.rank() == 0) {
                    tasks.only(subset);
                }
                const auto c = run(world, tasks, o, &summary);
                CHECK(summary.tasks == subset.size());
                CHECK(summary.completed == subset.size());
                if (world.rank() != 0) {
                    CHECK(c.order.empty());
                    continue;
                }
                auto got = c.order;
                if (!ordered) {
                    std::sort(got.begin(), got.end());
                }
                CHECK(got == subset);
                for (const auto i : subset) {
                    CHECK(c.values[i] == i * i + 7);
                }
                CHECK(sum(summary.tasks_per_rank) == subset.size());
                CHECK(summary.failures.empty());
            }
        }
    }
}

TEST_CASE("subsets smaller than the ranks, empty, and longest-first within a subset") {
    const boost::mpi::communicator world;
    for (const std::vector<std::uint64_t>& subset :
         {std::vector<std::uint64_t>{}, {17}, {0, 39}, {5, 6, 7}}) {
        CAPTURE(subset.size());
        ExecutionSummary summary;
        const auto c = run(world, Tasks(40).only(subset), {}, &summary);
        CHECK(summary.tasks == subset.size());
        CHECK(summary.completed == subset.size());
        if (world.rank() == 0) {
            CHECK(c.order == subset);
        }
    }
    // Costs are by task index (i % 10): the subset's hand-out order is 39 (9), 8 (8), 25 (5),
    // 2 and 12 (2, in index order), 1 (1); rank r runs the r-th of these first.
    std::vector<double> costs(40);
    for (std::size_t i = 0; i < costs.size(); ++i) {
        costs[i] = static_cast<double>(i % 10);
    }
    const std::vector<std::uint64_t> subset = {1, 2, 8, 12, 25, 39};
    const std::vector<std::uint64_t> handout = {39, 8, 25, 2, 12, 1};
    ExecutorOptions o;
    o.longest_first = true;
    std::vector<std::uint64_t> ran; // tasks this rank ran, in the order it ran them
    std::vector<std::uint64_t> got;
    execute(
        world, Tasks(40).only(subset).with_costs(costs),
        [&](std::uint64_t i) {
            ran.push_back(i);
            return i;
        },
        [&](std::uint64_t i, std::uint64_t v) {
            CHECK(v == i);
            got.push_back(i);
        },
        o);
    std::vector<std::vector<std::uint64_t>> all;
    boost::mpi::gather(world, ran, all, 0);
    if (world.rank() == 0) {
        CHECK(got == subset);
        for (std::size_t r = 0; r < all.size() && r < handout.size(); ++r) {
            CAPTURE(r);
            REQUIRE_FALSE(all[r].empty());
            CHECK(all[r].front() == handout[r]);
        }
    }
}

TEST_CASE("longest-first changes the hand-out order, not the result order") {
    const boost::mpi::communicator world;
    const std::uint64_t n = 12;
    std::vector<double> costs(n);
    for (std::size_t i = 0; i < costs.size(); ++i) {
        costs[i] = static_cast<double>(i); // task 11 is the costliest
    }
    for (const bool longest_first : {true, false}) {
        CAPTURE(longest_first);
        ExecutorOptions o;
        o.longest_first = longest_first;
        std::vector<std::uint64_t> ran; // tasks this rank ran, in the order it ran them
        std::vector<std::uint64_t> got;
        // On the root the tasks run on its task thread; `ran` is read after execute returns.
        execute(
            world, Tasks(n).with_costs(costs),
            [&](std::uint64_t i) {
                ran.push_back(i);
                return uneven(i);
            },
            [&](std::uint64_t i, std::uint64_t) { got.push_back(i); }, o);
        std::vector<std::vector<std::uint64_t>> all;
        boost::mpi::gather(world, ran, all, 0);
        if (world.rank() != 0) {
            continue;
        }
        CHECK(std::is_sorted(got.begin(), got.end()));
        CHECK(got.size() == n);
        // Dynamic, chunks of one: rank r (worker r) gets the r-th task of the hand-out order
        // first, and each rank runs its tasks in hand-out order.
        std::vector<std::uint64_t> every;
        for (std::size_t r = 0; r < all.size(); ++r) {
            CAPTURE(r);
            REQUIRE_FALSE(all[r].empty());
            CHECK(all[r].front() == (longest_first ? n - 1 - r : r));
            if (longest_first) {
                CHECK(std::is_sorted(all[r].rbegin(), all[r].rend()));
            } else {
                CHECK(std::is_sorted(all[r].begin(), all[r].end()));
            }
            every.insert(every.end(), all[r].begin(), all[r].end());
        }
        std::sort(every.begin(), every.end());
        std::vector<std::uint64_t> expected(n);
        std::iota(expected.begin(), expected.end(), std::uint64_t{0});
        CHECK(every == expected);
    }
}

TEST_CASE("payloads reach their tasks intact: empty, small and over 64 KiB") {
    const boost::mpi::communicator world;
    const std::vector<std::size_t> sizes = {0, 1, 100, 70000, 0, 3, 200000, 65536, 7, 0, 12, 1};
    const std::uint64_t n = sizes.size();
    std::vector<std::string> payloads;
    std::vector<std::vector<std::byte>> byte_payloads;
    std::vector<double> costs;
    if (world.rank() == 0) { // payloads are read on the root only
        for (std::uint64_t i = 0; i < n; ++i) {
            payloads.push_back(text_of(i, sizes[i]));
            const auto b = std::as_bytes(std::span(payloads.back()));
            byte_payloads.emplace_back(b.begin(), b.end());
            costs.push_back(static_cast<double>(sizes[i]));
        }
    }
    struct Case {
        Schedule schedule;
        std::uint64_t chunksize;
        bool longest_first;
        bool subset;
        bool bytes;
    };
    const std::vector<std::uint64_t> subset = {0, 2, 3, 6, 7, 11};
    for (const Case k : {Case{Schedule::dynamic, 1, false, false, false},
                         Case{Schedule::static_block, 1, false, false, true},
                         Case{Schedule::dynamic, 3, true, false, false},
                         Case{Schedule::cyclic, 2, true, true, true}}) {
        CAPTURE(to_string(k.schedule));
        CAPTURE(k.chunksize);
        CAPTURE(k.longest_first);
        CAPTURE(k.subset);
        ExecutorOptions o;
        o.schedule = k.schedule;
        o.chunksize = k.chunksize;
        o.longest_first = k.longest_first;
        Tasks tasks(n);
        if (world.rank() == 0) {
            if (k.bytes) {
                tasks.with_payloads(byte_payloads);
            } else {
                tasks.with_payloads(payloads);
            }
            tasks.with_costs(costs);
            if (k.subset) {
                tasks.only(subset);
            }
        }
        std::vector<std::uint64_t> got;
        const auto s = execute(
            world, tasks,
            [&](const TaskContext& c) -> std::uint64_t {
                // What arrived must be exactly the payload the root holds for this index.
                if (c.payload_text() != text_of(c.index, sizes[c.index])) {
                    throw std::runtime_error("payload of task " + std::to_string(c.index) +
                                             " arrived damaged");
                }
                return c.payload.size();
            },
            [&](std::uint64_t i, std::uint64_t size) {
                CHECK(size == sizes[i]);
                got.push_back(i);
            },
            o);
        CHECK(s.failed == 0);
        if (world.rank() == 0) {
            if (k.subset) {
                CHECK(got == subset);
            } else {
                CHECK(got.size() == n);
            }
        }
    }
}

TEST_CASE("payloads from a function; a task without payloads sees an empty one") {
    const boost::mpi::communicator world;
    const std::string big(100000, 'x');
    std::vector<std::uint64_t> sizes;
    execute(
        world,
        Tasks(5).with_payloads(
            [&](std::uint64_t i) {
                return std::as_bytes(std::span(big.data(), static_cast<std::size_t>(i * 20000)));
            },
            5),
        [](const TaskContext& c) {
            return c.payload_text() == std::string(c.index * 20000, 'x') ? c.payload.size()
                                                                         : std::size_t{1};
        },
        [&](std::uint64_t, std::size_t size) { sizes.push_back(size); });
    if (world.rank() == 0) {
        CHECK(sizes == std::vector<std::uint64_t>{0, 20000, 40000, 60000, 80000});
    }
    std::vector<std::uint64_t> empty;
    execute(
        world, Tasks(4), [](const TaskContext& c) { return c.payload.size(); },
        [&](std::uint64_t, std::size_t size) { empty.push_back(size); });
    if (world.rank() == 0) {
        CHECK(empty == std::vector<std::uint64_t>{0, 0, 0, 0});
    }
}

TEST_CASE("variable-size results: strings and bytes, empty and large, in either order") {
    const boost::mpi::communicator world;
    // Empty for i % 4 == 0, 300000 bytes for task 5, 10 i bytes otherwise.
    const auto size_of = [](std::uint64_t i) -> std::size_t {
        return i % 4 == 0 ? 0 : i == 5 ? 300000 : 10 * i;
    };
    const std::uint64_t n = 23;
    for (const std::uint64_t chunk : {1, 4}) {
        for (const bool ordered : {true, false}) {
            CAPTURE(chunk);
            CAPTURE(ordered);
            ExecutorOptions o;
            o.chunksize = chunk;
            o.ordered = ordered;
            std::vector<std::uint64_t> got;
            const auto s = execute(
                world, n, [&](std::uint64_t i) { return text_of(i, size_of(i)); },
                [&](std::uint64_t i, std::string_view r) {
                    CHECK(r == text_of(i, size_of(i)));
                    got.push_back(i);
                },
                o);
            CHECK(s.completed == n);
            if (world.rank() == 0) {
                CHECK(got.size() == n);
                if (ordered) {
                    CHECK(std::is_sorted(got.begin(), got.end()));
                }
            }
        }
    }
    std::vector<std::uint64_t> got;
    execute(
        world, n,
        [&](std::uint64_t i) {
            const auto t = text_of(i, size_of(i));
            const auto b = std::as_bytes(std::span(t));
            return std::vector<std::byte>(b.begin(), b.end());
        },
        [&](std::uint64_t i, std::span<const std::byte> r) {
            CHECK(std::string_view(reinterpret_cast<const char*>(r.data()), r.size()) ==
                  text_of(i, size_of(i)));
            got.push_back(i);
        });
    if (world.rank() == 0) {
        CHECK(got.size() == n);
    }
}

TEST_CASE("variable-size results around failures keep their bytes apart") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.keep_going = true;
    o.chunksize = 4; // failures in the middle of chunks
    std::vector<std::uint64_t> got;
    try {
        execute(
            world, 20,
            [](std::uint64_t i) {
                if (i % 3 == 1) {
                    throw std::runtime_error("no " + std::to_string(i));
                }
                return text_of(i, 1000 + i);
            },
            [&](std::uint64_t i, std::string_view r) {
                CHECK(r == text_of(i, 1000 + i));
                got.push_back(i);
            },
            o);
        FAIL("execute did not throw");
    } catch (const execution_error& e) {
        CHECK(e.summary().failed == 7);
        CHECK(e.summary().completed == 13);
    }
    if (world.rank() == 0) {
        CHECK(got == std::vector<std::uint64_t>{0, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18});
    }
}

TEST_CASE("a task that throws: execution_error on every rank, with its origin") {
    const boost::mpi::communicator world;
    // Static schedule: worker w gets block w, so task 0 runs on rank 0 and the last task on the
    // last rank.
    const std::uint64_t n = 2 * static_cast<std::uint64_t>(world.size());
    for (const std::uint64_t bad : {std::uint64_t{0}, n - 1}) {
        CAPTURE(bad);
        ExecutorOptions o;
        o.schedule = Schedule::static_block;
        std::vector<std::uint64_t> got;
        std::string what;
        try {
            execute(
                world, n,
                [&](std::uint64_t i) -> std::uint64_t {
                    if (i == bad) {
                        throw std::runtime_error("bad task " + std::to_string(i));
                    }
                    return i;
                },
                [&](std::uint64_t i, std::uint64_t) { got.push_back(i); }, o);
            FAIL("execute did not throw");
        } catch (const execution_error& e) {
            what = e.what();
            const auto& s = e.summary();
            CHECK(s.failed == 1);
            CHECK(s.completed < n);
            if (world.rank() == 0) {
                REQUIRE(e.failures().size() == 1);
                CHECK(e.failures() == s.failures);
                const auto& f = s.failures[0];
                CHECK(f.index == bad);
                CHECK(f.rank == (bad == 0 ? 0 : world.size() - 1));
                CHECK(f.message == "bad task " + std::to_string(bad));
                CHECK_FALSE(f.host.empty());
                CHECK(what == describe(f)); // map's form: "task 3 failed on rank 1 (host): ..."
                CHECK(sum(s.tasks_per_rank) == s.completed + s.failed);
                // results stop at the first failure, in order
                for (const auto i : got) {
                    CHECK(i < bad);
                }
            } else {
                CHECK(e.failures().empty());
            }
        }
        CHECK(what == roots(world, what)); // the same line on every rank
        CHECK(what.rfind("task " + std::to_string(bad) + " failed on rank ", 0) == 0);
    }
}

TEST_CASE("keep going: every other task runs, then every failure is reported") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    o.keep_going = true;
    std::vector<std::uint64_t> got;
    std::string what;
    try {
        execute(
            world, 20,
            [](std::uint64_t i) -> std::uint64_t {
                if (i % 5 == 2) {
                    throw std::runtime_error("multiple of five plus two");
                }
                return i;
            },
            [&](std::uint64_t i, std::uint64_t) { got.push_back(i); }, o);
        FAIL("execute did not throw");
    } catch (const execution_error& e) {
        what = e.what();
        const auto& s = e.summary();
        CHECK(s.failed == 4);
        CHECK(s.completed == 16);
        if (world.rank() == 0) {
            REQUIRE(e.failures().size() == 4);
            CHECK(e.failures()[0].index == 2);
            CHECK(e.failures()[3].index == 17);
            CHECK(what == describe(e.failures()[0]) + " (and 3 more)");
            CHECK(got.size() == 16);
            CHECK(std::is_sorted(got.begin(), got.end()));
            CHECK(sum(s.tasks_per_rank) == 20);
        }
    }
    CHECK(what == roots(world, what));
}

TEST_CASE("after an early stop, tasks_per_rank counts the tasks that ran") {
    const boost::mpi::communicator world;
    for (const Schedule s : {Schedule::static_block, Schedule::dynamic}) {
        CAPTURE(to_string(s));
        ExecutorOptions o;
        o.schedule = s;
        o.chunksize = 3;
        try {
            // Task 4 fails at once; the others take a moment, so most are never run.
            execute(
                world, 60,
                [](std::uint64_t i, const StopToken& stop) -> std::uint64_t {
                    if (i == 4) {
                        throw std::runtime_error("four");
                    }
                    if (!sleep_unless_stopped(0.02, stop)) {
                        throw task_cancelled();
                    }
                    return i;
                },
                [](std::uint64_t, std::uint64_t) {}, o);
            FAIL("execute did not throw");
        } catch (const execution_error& e) {
            const auto& summary = e.summary();
            CHECK(summary.failed == 1);
            if (world.rank() == 0) {
                CHECK(sum(summary.tasks_per_rank) == summary.completed + summary.failed);
            }
        }
    }
}

TEST_CASE("a failure stops long tasks that watch their stop token") {
    const boost::mpi::communicator world;
    if (world.size() < 2) {
        return; // needs a long task running elsewhere while another fails
    }
    // Task 0 (rank 0's thread) fails after a moment; the others would sleep for 60 s.
    const auto start = std::chrono::steady_clock::now();
    try {
        execute(
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
        FAIL("execute did not throw");
    } catch (const execution_error& e) {
        CHECK(e.summary().failed == 1);
        CHECK(e.summary().completed == 0);
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Not a speed claim: a run that waited for the 60 s sleeps would have been cut by ctest.
    CHECK(took < 30);
}

TEST_CASE("an exception from on_result: rethrown on the root, execution_error elsewhere") {
    const boost::mpi::communicator world;
    for (const bool bytes : {false, true}) {
        CAPTURE(bytes);
        std::string what;
        bool logic = false;
        const auto refuse = [](std::uint64_t i) {
            if (i == 3) {
                throw std::logic_error("sink refuses 3");
            }
        };
        try {
            if (bytes) {
                execute(
                    world, 10, [](std::uint64_t i) { return std::string(i, 'b'); },
                    [&](std::uint64_t i, std::string_view) { refuse(i); });
            } else {
                execute(
                    world, 10, [](std::uint64_t i) { return i; },
                    [&](std::uint64_t i, std::uint64_t) { refuse(i); });
            }
            FAIL("execute did not throw");
        } catch (const std::logic_error& e) {
            logic = true;
            what = e.what();
        } catch (const task_error& e) {
            what = e.what();
            CHECK(dynamic_cast<const execution_error*>(&e) != nullptr);
        }
        CHECK(logic == (world.rank() == 0));
        if (world.rank() == 0) {
            CHECK(what == "sink refuses 3");
        } else {
            CHECK(what.rfind("on_result for task 3 failed on rank 0 (", 0) == 0);
            CHECK(what.find("): sink refuses 3") != std::string::npos);
        }
        // Nothing was left in flight: the next run on the same communicator is whole.
        check_all_results(world, run(world, 9, {}), 9, 0);
    }
}

TEST_CASE("runs on a sub-communicator") {
    const boost::mpi::communicator world;
    const auto half = world.split(world.rank() % 2);
    const auto c = run(half, 9, {});
    check_all_results(half, c, 9, 0);
}

TEST_CASE("bad options and bad task sets are refused on every rank alike") {
    const boost::mpi::communicator world;
    const auto refused = [&](const Tasks& tasks, const ExecutorOptions& o) {
        std::string what = "accepted";
        try {
            execute(
                world, tasks, [](std::uint64_t i) { return i; },
                [](std::uint64_t, std::uint64_t) {}, o);
        } catch (const std::invalid_argument& e) {
            what = e.what();
        }
        CHECK(what == roots(world, what));
        return what;
    };
    ExecutorOptions guided_auto; // chunksize 0 is auto, which only the dynamic schedule takes
    guided_auto.chunksize = chunksize_auto;
    guided_auto.schedule = Schedule::guided;
    CHECK(refused(Tasks(3), guided_auto) == "chunksize auto needs the dynamic schedule");
    ExecutorOptions lf;
    lf.longest_first = true; // without costs
    CHECK(refused(Tasks(3), lf) == "longest_first needs one cost per task on the root");
    // The root's task set decides; the others pass a plain Tasks(n).
    const std::vector<std::uint64_t> unsorted = {1, 0};
    const std::vector<std::uint64_t> twice = {1, 1};
    const std::vector<std::uint64_t> outside = {2, 3};
    const std::vector<std::string> two = {"a", "b"};
    const std::vector<double> costs = {1, 2};
    const auto on_root = [&](auto&& build) {
        Tasks t(3);
        if (world.rank() == 0) {
            build(t);
        }
        return t;
    };
    CHECK(refused(on_root([&](Tasks& t) { t.only(unsorted); }), {}) ==
          "task subset: must be sorted and unique, but 0 follows 1");
    CHECK(refused(on_root([&](Tasks& t) { t.only(twice); }), {}) ==
          "task subset: must be sorted and unique, but 1 follows 1");
    CHECK(refused(on_root([&](Tasks& t) { t.only(outside); }), {}) ==
          "task subset: index 3 is not below n = 3");
    CHECK(refused(on_root([&](Tasks& t) { t.with_payloads(two); }), {}) ==
          "2 payloads for 3 tasks");
    CHECK(refused(on_root([&](Tasks& t) { t.with_costs(costs); }), {}) == "2 costs for 3 tasks");
}

TEST_CASE("a deadline passed already starts nothing; one far ahead changes nothing") {
    const boost::mpi::communicator world;
    const auto unix_now = [] {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    ExecutorOptions o;
    o.deadline = unix_now() - 1;
    std::uint64_t got = 0;
    const auto past = execute(
        world, Tasks(10), [](std::uint64_t i) { return i; },
        [&](std::uint64_t, std::uint64_t) { ++got; }, o);
    CHECK(past.completed == 0);
    CHECK(got == 0);
    if (world.rank() == 0) {
        CHECK(past.deadline_stopped);
    }
    o.deadline = unix_now() + 3600;
    const auto ahead = execute(
        world, Tasks(10), [](std::uint64_t i) { return i; },
        [&](std::uint64_t, std::uint64_t) { ++got; }, o);
    CHECK(ahead.completed == 10);
    CHECK_FALSE(ahead.deadline_stopped);
    if (world.rank() == 0) {
        CHECK(got == 10);
    }
}

TEST_CASE("a deadline the measured task time says the next chunk cannot meet stops handing out") {
    const boost::mpi::communicator world;
    ExecutorOptions o;
    // 0.6 s tasks and a deadline 1 s away: the first round starts (nothing measured), then
    // 0.6 + 0.6 > 1: no second round. Every worker runs one task at most.
    o.deadline =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() +
        1.0;
    const auto s = execute(
        world, Tasks(40),
        [](std::uint64_t i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(600));
            return i;
        },
        [](std::uint64_t, std::uint64_t) {}, o);
    CHECK(s.completed >= 1);
    CHECK(s.completed <= static_cast<std::uint64_t>(world.size()));
    if (world.rank() == 0) {
        CHECK(s.deadline_stopped);
    }
}

TEST_CASE("on_chunk_end: once per chunk, after that chunk's results") {
    const boost::mpi::communicator world;
    for (const auto schedule : all_schedules) {
        ExecutorOptions o;
        o.schedule = schedule;
        o.chunksize = 3;
        o.ordered = false;
        std::uint64_t results = 0;
        std::uint64_t ends = 0;
        std::uint64_t results_at_last_end = 0;
        o.on_chunk_end = [&] {
            ++ends;
            CHECK(results > results_at_last_end); // every chunk brought results
            results_at_last_end = results;
        };
        const auto s = execute(
            world, Tasks(50), [](std::uint64_t i) { return i; },
            [&](std::uint64_t, std::uint64_t) { ++results; }, o);
        if (world.rank() == 0) {
            CHECK(ends == s.chunks);
            CHECK(results_at_last_end == 50);
        } else {
            CHECK(ends == 0);
        }
    }
}

TEST_CASE("the overhead breakdown: tasks, chunks, busy time and traffic per rank") {
    const boost::mpi::communicator world;
    const auto size = static_cast<std::size_t>(world.size());
    for (const bool root_works : {true, false}) {
        for (const std::uint64_t chunksize : {std::uint64_t{1}, std::uint64_t{7}}) {
            CAPTURE(root_works);
            CAPTURE(chunksize);
            ExecutorOptions o;
            o.root_works = root_works;
            o.chunksize = chunksize;
            const std::uint64_t n = 500;
            ExecutionSummary s;
            run(world, n, o, &s);
            if (world.rank() != 0) {
                CHECK(s.overhead.empty()); // gathered on the root only
                continue;
            }
            REQUIRE(s.overhead.size() == size);
            std::uint64_t tasks = 0;
            std::uint64_t chunks = 0;
            std::uint64_t messages = 0;
            std::uint64_t bytes = 0;
            for (std::size_t r = 0; r < size; ++r) {
                CAPTURE(r);
                const auto& ro = s.overhead[r];
                CHECK(ro.tasks == s.tasks_per_rank[r]);
                CHECK(ro.busy >= 0);
                CHECK(ro.waiting >= 0);
                CHECK(ro.chunks <= ro.tasks);
                CHECK((ro.tasks == 0) == (ro.chunks == 0));
                tasks += ro.tasks;
                chunks += ro.chunks;
                messages += ro.messages;
                bytes += ro.bytes;
                if (r > 0) {
                    // a result message per chunk, of 8 bytes and a status byte per task
                    CHECK(ro.messages == ro.chunks);
                    CHECK(ro.bytes == ro.tasks * 9);
                }
            }
            CHECK(tasks == n);
            CHECK(chunks == s.chunks);
            CHECK(s.dispatching >= 0);
            CHECK(s.inline_chunks <= s.overhead[0].chunks);
            if (!root_works && size > 1) {
                CHECK(s.overhead[0].tasks == 0);
                CHECK(s.overhead[0].chunks == 0);
                CHECK(s.overhead[0].busy == 0);
                CHECK(s.overhead[0].waiting == 0);
                CHECK(s.inline_chunks == 0);
            }
            if (size > 1) {
                CHECK(messages > 0);
                CHECK(bytes > 0);
                // the root sends each remote chunk's indices and one stop per remote rank
                const std::uint64_t remote_chunks = chunks - s.overhead[0].chunks;
                CHECK(s.overhead[0].messages == remote_chunks + (size - 1));
                CHECK(s.overhead[0].bytes == (n - s.overhead[0].tasks) * 8);
            } else {
                CHECK(messages == 0);
                CHECK(s.inline_chunks == s.chunks); // alone: every chunk inline
            }
        }
    }
}
