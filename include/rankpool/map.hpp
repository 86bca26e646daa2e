// Pool.map over MPI collectives: scatter blocks, apply a function on every rank, gather in order.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/datatype.hpp>
#include <mpi.h>

#include "rankpool/buffer.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/partition.hpp"
#include "rankpool/timing.hpp"

namespace rankpool {

namespace detail {

template <class T>
MPI_Datatype datatype() {
    static_assert(boost::mpi::is_mpi_datatype<T>::value,
                  "map moves elements as MPI datatypes: use a type Boost.MPI maps to one");
    return boost::mpi::get_mpi_datatype<T>(T{});
}

/// Throws std::invalid_argument unless 0 <= root < comm.size().
void check_root(const boost::mpi::communicator& comm, int root);

/// This rank's host name, as MPI_Get_processor_name gives it.
std::string processor_name();

/// Collective: if any rank holds a failure, every rank throws task_error (the root's lists every
/// failure). Costs one small allreduce when nothing failed.
void raise_if_any_failed(const boost::mpi::communicator& comm,
                         const std::optional<TaskFailure>& mine, int root);

/// Applies f to items [0, count) of a block whose first index is `first`, writing out[i].
/// Catches the first exception and reports which index threw.
template <class Get, class Put>
std::optional<TaskFailure> apply_block(const boost::mpi::communicator& comm, std::uint64_t first,
                                       std::uint64_t count, Get&& get, Put&& put) {
    std::uint64_t i = 0;
    try {
        for (; i < count; ++i) {
            put(i, get(i));
        }
    } catch (const std::exception& e) {
        return TaskFailure{first + i, comm.rank(), processor_name(), e.what()};
    } catch (...) {
        return TaskFailure{first + i, comm.rank(), processor_name(), "unknown exception"};
    }
    return std::nullopt;
}

/// What map and map_range share once each rank knows its block: applies get(i) to the block's
/// items into the result buffer (the root's own block in place), agrees on failures, gathers in
/// order on the root (MPI_Gatherv, MPI_IN_PLACE there). Fills the compute, gather and total
/// times and returns the results on the root, an empty buffer elsewhere.
template <class R, class Get>
Buffer<R> compute_and_gather(const boost::mpi::communicator& comm, std::uint64_t n, const Counts& c,
                             int root, Get&& get, PhaseClock& clock, MapTimes& t, MapTimes* times) {
    const auto me = static_cast<std::size_t>(comm.rank());
    const auto mine = static_cast<std::uint64_t>(c.counts[me]);
    const auto first = static_cast<std::uint64_t>(c.displs[me]);
    const bool is_root = comm.rank() == root;

    Buffer<R> out(is_root ? n : mine);
    R* dst = is_root ? out.data() + first : out.data();
    const auto failure =
        apply_block(comm, first, mine, get, [&](std::uint64_t i, R r) { dst[i] = r; });
    raise_if_any_failed(comm, failure, root);
    t.compute = clock.lap();

    if (is_root) {
        MPI_Gatherv(MPI_IN_PLACE, 0, datatype<R>(), out.data(), c.counts.data(), c.displs.data(),
                    datatype<R>(), root, comm);
    } else {
        MPI_Gatherv(out.data(), c.counts[me], datatype<R>(), nullptr, nullptr, nullptr,
                    datatype<R>(), root, comm);
    }
    t.gather = clock.lap();
    t.total = clock.elapsed();
    if (times != nullptr) {
        *times = t;
    }
    return is_root ? std::move(out) : Buffer<R>{};
}

} // namespace detail

/// Pool.map: `input` (read on the root only) is split into balanced contiguous blocks, scattered
/// with MPI_Scatterv, f is applied on every rank (the root included) and the results are gathered
/// in input order with MPI_Gatherv into one buffer on the root (the root's own block is written
/// in place). Returns the results on the root and an empty buffer elsewhere. Collective.
/// Throws task_error on every rank if f threw anywhere, limit_error if the input is larger than
/// MPI's int counts allow. `times`, if given, receives this rank's phase times.
template <class T, class F, class R = std::invoke_result_t<F&, const T&>>
Buffer<R> map(const boost::mpi::communicator& comm, std::span<const T> input, F&& f, int root = 0,
              MapTimes* times = nullptr) {
    detail::check_root(comm, root);
    PhaseClock clock(comm);
    MapTimes t;
    std::uint64_t n = input.size();
    MPI_Bcast(&n, 1, MPI_UINT64_T, root, comm);
    const Counts c = mpi_counts(n, comm.size());
    const auto me = static_cast<std::size_t>(comm.rank());
    const auto first = static_cast<std::uint64_t>(c.displs[me]);

    Buffer<T> local_in;
    const T* in = nullptr;
    if (comm.rank() == root) {
        MPI_Scatterv(input.data(), c.counts.data(), c.displs.data(), detail::datatype<T>(),
                     MPI_IN_PLACE, 0, detail::datatype<T>(), root, comm);
        in = input.data() + first;
    } else {
        local_in = Buffer<T>(static_cast<std::size_t>(c.counts[me]));
        MPI_Scatterv(nullptr, nullptr, nullptr, detail::datatype<T>(), local_in.data(),
                     c.counts[me], detail::datatype<T>(), root, comm);
        in = local_in.data();
    }
    t.scatter = clock.lap();
    return detail::compute_and_gather<R>(
        comm, n, c, root, [&](std::uint64_t i) { return f(in[i]); }, clock, t, times);
}

/// Pool.map over range(begin, end) without an input array: the root broadcasts the bounds, each
/// rank derives its own block from them and applies f to each index; results are gathered in
/// order on the root as in map(). `begin` and `end` are read on the root only.
template <class F, class R = std::invoke_result_t<F&, std::uint64_t>>
Buffer<R> map_range(const boost::mpi::communicator& comm, std::uint64_t begin, std::uint64_t end,
                    F&& f, int root = 0, MapTimes* times = nullptr) {
    detail::check_root(comm, root);
    PhaseClock clock(comm);
    MapTimes t;
    std::uint64_t bounds[2] = {begin, end < begin ? begin : end};
    MPI_Bcast(bounds, 2, MPI_UINT64_T, root, comm);
    const std::uint64_t n = bounds[1] - bounds[0];
    const Counts c = mpi_counts(n, comm.size());
    const std::uint64_t x0 =
        bounds[0] + static_cast<std::uint64_t>(c.displs[static_cast<std::size_t>(comm.rank())]);
    t.scatter = clock.lap();
    return detail::compute_and_gather<R>(
        comm, n, c, root, [&](std::uint64_t i) { return f(x0 + i); }, clock, t, times);
}

/// map_range followed by a fold, without gathering the results: each rank folds its block with
/// `op` starting from `init`, the root gathers one partial per rank and folds them in rank order.
/// `init` must be an identity of `op`. Returns the total on the root and `init` elsewhere. No
/// int-count limit applies: n may be any 64-bit size. Acc must be trivially copyable.
template <class F, class Acc, class Op>
Acc map_reduce(const boost::mpi::communicator& comm, std::uint64_t begin, std::uint64_t end, F&& f,
               Acc init, Op&& op, int root = 0, MapTimes* times = nullptr) {
    static_assert(std::is_trivially_copyable_v<Acc>, "partials travel as bytes");
    detail::check_root(comm, root);
    PhaseClock clock(comm);
    MapTimes t;
    std::uint64_t bounds[2] = {begin, end < begin ? begin : end};
    MPI_Bcast(bounds, 2, MPI_UINT64_T, root, comm);
    const Block b = block_of(bounds[1] - bounds[0], comm.size(), comm.rank());
    t.scatter = clock.lap();

    Acc acc = init;
    const std::uint64_t x0 = bounds[0] + b.begin;
    const auto failure = detail::apply_block(
        comm, b.begin, b.size(), [&](std::uint64_t i) { return f(x0 + i); },
        [&](std::uint64_t, auto r) { acc = op(acc, r); });
    detail::raise_if_any_failed(comm, failure, root);
    t.compute = clock.lap();

    const bool is_root = comm.rank() == root;
    Buffer<Acc> partials(is_root ? static_cast<std::size_t>(comm.size()) : 0);
    MPI_Gather(&acc, sizeof(Acc), MPI_BYTE, partials.data(), sizeof(Acc), MPI_BYTE, root, comm);
    Acc total = init;
    if (is_root) {
        for (const Acc& p : partials) {
            total = op(total, p);
        }
    }
    t.gather = clock.lap();
    t.total = clock.elapsed();
    if (times != nullptr) {
        *times = t;
    }
    return total;
}

} // namespace rankpool
