// Tests of rankpool/tasks.hpp and thread_level.hpp: task sets, their checks, the root's work.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "rankpool/tasks.hpp"
#include "rankpool/thread_level.hpp"

using namespace rankpool;

TEST_CASE("a task set: all of [0, n) or a subset, with payloads by index") {
    const Tasks all(5);
    CHECK(all.count() == 5);
    CHECK(all.index_at(3) == 3);
    CHECK_FALSE(all.has_payloads());
    CHECK(all.problem(false) == std::nullopt);

    const std::vector<std::uint64_t> subset = {1, 4};
    const std::vector<std::string> payloads = {"a", "", "ccc", "dd", "e"};
    Tasks some(5);
    some.only(subset).with_payloads(payloads);
    CHECK(some.count() == 2);
    CHECK(some.index_at(1) == 4);
    REQUIRE(some.has_payloads());
    CHECK(some.payload(2).size() == 3);
    CHECK(some.payload(1).empty());
    CHECK(some.problem(false) == std::nullopt);

    const std::vector<std::uint64_t> none;
    CHECK(Tasks(5).only(none).count() == 0); // a resumed run with nothing left
}

TEST_CASE("a task set's problems, in words") {
    const std::vector<std::uint64_t> unsorted = {2, 1};
    const std::vector<std::uint64_t> twice = {0, 3, 3};
    const std::vector<std::uint64_t> outside = {4, 5};
    CHECK(Tasks(5).only(unsorted).problem(false) ==
          "task subset: must be sorted and unique, but 1 follows 2");
    CHECK(Tasks(5).only(twice).problem(false) ==
          "task subset: must be sorted and unique, but 3 follows 3");
    CHECK(Tasks(5).only(outside).problem(false) == "task subset: index 5 is not below n = 5");

    const std::vector<std::string> four(4);
    CHECK(Tasks(5).with_payloads(four).problem(false) == "4 payloads for 5 tasks");
    const std::vector<double> costs(6);
    CHECK(Tasks(5).with_costs(costs).problem(false) == "6 costs for 5 tasks");
    CHECK(Tasks(5).problem(true) == "longest_first needs one cost per task on the root");
    const std::vector<double> five(5);
    CHECK(Tasks(5).with_costs(five).problem(true) == std::nullopt);
    CHECK(Tasks(0).problem(true) == std::nullopt); // no tasks, no costs needed
}

TEST_CASE("the root works on a thread of its own only if MPI's thread level allows") {
    for (const auto level : {ThreadLevel::single, ThreadLevel::funneled, ThreadLevel::serialized,
                             ThreadLevel::multiple}) {
        CAPTURE(to_string(level));
        // Alone, the root runs tasks inline, whatever was asked and whatever the level.
        CHECK(decide_root_work(true, 1, level, 0).works);
        CHECK(decide_root_work(false, 1, level, 0).works);
        CHECK(decide_root_work(false, 1, level, 0).note.empty());
        // Asked not to work: it does not, and there is nothing to note.
        CHECK_FALSE(decide_root_work(false, 4, level, 0).works);
        CHECK(decide_root_work(false, 4, level, 0).note.empty());
    }
    // The task thread never calls MPI: funneled is enough.
    for (const auto level :
         {ThreadLevel::funneled, ThreadLevel::serialized, ThreadLevel::multiple}) {
        const auto w = decide_root_work(true, 2, level, 0);
        CHECK(w.works);
        CHECK(w.note.empty());
    }
    // Single: no second thread; the root only dispatches and says why.
    const auto w = decide_root_work(true, 3, ThreadLevel::single, 2);
    CHECK_FALSE(w.works);
    CHECK(w.note == "rank 2 only dispatches: MPI gave thread level single, and running tasks on "
                    "a thread beside the dispatcher needs funneled");
}

TEST_CASE("a rank asks for funneled only where it starts threads of its own") {
    using rankpool::ExtraThreads;
    using rankpool::thread_level_to_request;
    for (const int rank : {0, 1, 3}) {
        CAPTURE(rank);
        CHECK(thread_level_to_request(ExtraThreads::none, rank) == ThreadLevel::single);
        CHECK(thread_level_to_request(ExtraThreads::every_rank, rank) == ThreadLevel::funneled);
        // The root that works runs tasks on a thread; the workers run them on their one thread.
        CHECK(thread_level_to_request(ExtraThreads::root, rank) ==
              (rank == 0 ? ThreadLevel::funneled : ThreadLevel::single));
        CHECK(thread_level_to_request(ExtraThreads::root, rank, 3) ==
              (rank == 3 ? ThreadLevel::funneled : ThreadLevel::single));
    }
}
