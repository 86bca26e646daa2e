// Tests of rankpool/probe.hpp under mpiexec: texts to and from rank 0, the ping-pong of a plan,
// and a partner that never answers, which must fail its pair by the deadline instead of hanging.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <doctest/doctest.h>
#include <mpi.h>

#include "rankpool/preflight.hpp"
#include "rankpool/probe.hpp"

using namespace rankpool;
using namespace std::chrono_literals;

namespace {

/// Every rank its own "host", so that the plan pairs every two ranks (round-robin).
std::vector<std::string> one_host_per_rank(int size) {
    std::vector<std::string> hosts;
    hosts.reserve(static_cast<std::size_t>(size));
    for (int r = 0; r < size; ++r) {
        hosts.push_back("h" + std::to_string(r));
    }
    return hosts;
}

PingPongOptions quick(std::chrono::milliseconds timeout) {
    PingPongOptions o;
    o.timeout = timeout;
    o.latency_round_trips = 50;
    o.bandwidth_round_trips = 3;
    o.bandwidth_bytes = std::size_t{64} * 1024;
    return o;
}

} // namespace

TEST_CASE("rank 0 gathers each rank's text and sends every rank its own") {
    const boost::mpi::communicator world;
    const auto got =
        gather_texts(world, "rank " + std::to_string(world.rank()), 0, 10s, probe_tag_first);
    if (world.rank() == 0) {
        REQUIRE(got.size() == static_cast<std::size_t>(world.size()));
        for (int r = 0; r < world.size(); ++r) {
            REQUIRE(got[static_cast<std::size_t>(r)].has_value());
            CHECK(*got[static_cast<std::size_t>(r)] == "rank " + std::to_string(r));
        }
    } else {
        CHECK(got.empty());
    }
    const auto text =
        broadcast_text(world, world.rank() == 0 ? "the plan" : "", 0, probe_tag_first + 1);
    CHECK(text == "the plan");
    MPI_Barrier(world);
}

TEST_CASE("every pair of the plan is measured; the first rank of each reports it") {
    const boost::mpi::communicator world;
    const auto plan = probe_plan(one_host_per_rank(world.size()));
    CHECK(plan.size() == static_cast<std::size_t>(world.size() * (world.size() - 1) / 2));
    const auto outcomes = ping_pong(world, plan, quick(10s));
    std::size_t mine = 0;
    for (const auto& p : plan) {
        mine += p.a == world.rank() ? 1 : 0;
    }
    REQUIRE(outcomes.size() == mine);
    for (const auto& o : outcomes) {
        CAPTURE(o.error);
        CHECK(o.pair.a == world.rank());
        CHECK(o.ok);
        CHECK(o.error.empty());
        CHECK(o.latency > 0);
        CHECK(o.bandwidth > 0);
        CHECK(o.seconds > 0);
    }
    MPI_Barrier(world);
}

TEST_CASE("a partner that never answers fails the pair by the deadline, on the asking rank") {
    const boost::mpi::communicator world;
    if (world.size() < 2) {
        return;
    }
    // Rank 0 expects rank 1 in a pair; rank 1 has an empty plan and never shows up.
    const std::vector<ProbePair> plan = {{0, 1, 0, false}};
    MPI_Comm_set_errhandler(world, MPI_ERRORS_ARE_FATAL); // as rankpool's main sets it
    const auto t0 = std::chrono::steady_clock::now();
    const auto outcomes =
        ping_pong(world, world.rank() == 0 ? plan : std::vector<ProbePair>{}, quick(300ms));
    const auto waited = std::chrono::steady_clock::now() - t0;
    if (world.rank() == 0) {
        REQUIRE(outcomes.size() == 1);
        CHECK_FALSE(outcomes[0].ok);
        // Rank 1's half of the reachability message never comes.
        CHECK(outcomes[0].error == "no answer within 0.3 s (reachability)");
        CHECK(waited >= 300ms);
    } else {
        CHECK(outcomes.empty());
    }
    // The error handler is back to what it was.
    MPI_Errhandler after = MPI_ERRHANDLER_NULL;
    MPI_Comm_get_errhandler(world, &after);
    CHECK(after == MPI_ERRORS_ARE_FATAL);
    MPI_Errhandler_free(&after);
    MPI_Comm_set_errhandler(world, MPI_ERRORS_RETURN); // Boost.MPI's, for the other tests
    MPI_Barrier(world);
}

TEST_CASE("rank 0 stops waiting for a text that does not come") {
    const boost::mpi::communicator world;
    if (world.size() < 2) {
        return;
    }
    // Only rank 0 takes part: it waits 0.2 s for the others' texts and says who was silent.
    if (world.rank() == 0) {
        const auto got = gather_texts(world, "root", 0, 200ms, probe_tag_first + 7);
        CHECK(got[0] == "root");
        for (int r = 1; r < world.size(); ++r) {
            CHECK_FALSE(got[static_cast<std::size_t>(r)].has_value());
        }
    }
    MPI_Barrier(world);
}
