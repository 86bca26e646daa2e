// Pool.map over MPI collectives: scatter blocks, apply a function on every rank, gather in order.
#pragma once

#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <ranges>
#include <type_traits>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/datatype.hpp>
#include <mpi.h>

#include "rankpool/buffer.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/partition.hpp"
#include "rankpool/timing.hpp"

namespace rankpool {

/// Where a map, map_range or map_reduce runs from and what it measures. Read on every rank;
/// `root` must be the same everywhere.
struct MapOptions {
    int root = 0; ///< the rank that holds the input and receives the results
    /// If set, receives this rank's phase times when the call returns. Timing starts with a
    /// barrier so that every rank's clock starts together; without `times` there is none.
    MapTimes* times = nullptr;
};

namespace detail {

template <class T>
MPI_Datatype datatype() {
    static_assert(boost::mpi::is_mpi_datatype<T>::value,
                  "map moves elements as MPI datatypes: use a type Boost.MPI maps to one");
    return boost::mpi::get_mpi_datatype<T>(T{});
}

/// The element type of a contiguous input range.
template <class In>
using element_t = std::ranges::range_value_t<const In&>;

/// Throws std::invalid_argument unless 0 <= root < comm.size().
void check_root(const boost::mpi::communicator& comm, int root);

/// A failure of task `index` on this rank (and its host) with the exception's text.
[[nodiscard]] TaskFailure failure_here(const boost::mpi::communicator& comm, std::uint64_t index,
                                       const char* message);

/// Collective: if any rank holds a failure, every rank throws task_error (the root's lists every
/// failure). Costs one small allreduce when nothing failed.
void raise_if_any_failed(const boost::mpi::communicator& comm,
                         const std::optional<TaskFailure>& mine, int root);

/// The phase times of one call, measured only if the caller asked for them: without `out` there
/// is no barrier and no clock is read.
class MapTimer {
public:
    MapTimer(const boost::mpi::communicator& comm, MapTimes* out) : out_(out) {
        if (out_ != nullptr) {
            clock_.emplace(comm);
        }
    }
    /// Ends `phase`: the time since the previous phase ended (or the start) goes to it.
    void lap(double MapTimes::*phase) {
        if (clock_) {
            t_.*phase = clock_->lap();
        }
    }
    /// Sets total (the start to the end of the last phase) and hands the times to the caller.
    void finish() {
        if (clock_) {
            t_.total = clock_->lapped();
            *out_ = t_;
        }
    }

private:
    MapTimes* out_;
    std::optional<PhaseClock> clock_;
    MapTimes t_;
};

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
        return failure_here(comm, first + i, e.what());
    } catch (...) {
        return failure_here(comm, first + i, "unknown exception");
    }
    return std::nullopt;
}

/// What map and map_range share once each rank knows its block: applies get(i) to the block's
/// items into the result buffer (the root's own block in place), agrees on failures, gathers in
/// order on the root (MPI_Gatherv, MPI_IN_PLACE there). Ends the compute and gather phases and
/// returns the results on the root, an empty buffer elsewhere.
template <class R, class Get>
Buffer<R> compute_and_gather(const boost::mpi::communicator& comm, std::uint64_t n, const Counts& c,
                             int root, Get&& get, MapTimer& timer) {
    const auto me = static_cast<std::size_t>(comm.rank());
    const auto mine = static_cast<std::uint64_t>(c.counts[me]);
    const auto first = static_cast<std::uint64_t>(c.displs[me]);
    const bool is_root = comm.rank() == root;

    Buffer<R> out(is_root ? n : mine);
    R* dst = is_root ? out.data() + first : out.data();
    const auto failure =
        apply_block(comm, first, mine, get, [&](std::uint64_t i, R r) { dst[i] = r; });
    raise_if_any_failed(comm, failure, root);
    timer.lap(&MapTimes::compute);

    if (is_root) {
        MPI_Gatherv(MPI_IN_PLACE, 0, datatype<R>(), out.data(), c.counts.data(), c.displs.data(),
                    datatype<R>(), root, comm);
    } else {
        MPI_Gatherv(out.data(), c.counts[me], datatype<R>(), nullptr, nullptr, nullptr,
                    datatype<R>(), root, comm);
    }
    timer.lap(&MapTimes::gather);
    timer.finish();
    return is_root ? std::move(out) : Buffer<R>{};
}

/// A range map() can scatter: contiguous and sized.
template <class In>
concept contiguous_input =
    std::ranges::contiguous_range<const In&> && std::ranges::sized_range<const In&>;

/// How map() hands f an element of In: by const reference.
template <class In>
using element_ref_t = const element_t<In>&;

/// A function map() can apply to the elements of In.
template <class F, class In>
concept element_function = std::invocable<F&, element_ref_t<In>>;

/// What map() returns for f over In.
template <class F, class In>
using element_result_t = std::invoke_result_t<F&, element_ref_t<In>>;

/// A function of a task index, as map_range and map_reduce apply.
template <class F>
concept index_function = std::invocable<F&, std::uint64_t>;

/// What f returns for a task index.
template <class F>
using index_result_t = std::invoke_result_t<F&, std::uint64_t>;

/// Folds F's results into an accumulator Acc, and accumulators into each other.
template <class Op, class Acc, class F>
concept folds_results_of =
    std::invocable<Op&, Acc, index_result_t<F>> && std::invocable<Op&, Acc, Acc> &&
    std::convertible_to<std::invoke_result_t<Op&, Acc, index_result_t<F>>, Acc> &&
    std::convertible_to<std::invoke_result_t<Op&, Acc, Acc>, Acc>;

} // namespace detail

/// Pool.map: `input` (read on the root only; any contiguous sized range: std::vector,
/// std::array, a C array, Buffer, std::span) is split into balanced contiguous blocks, scattered
/// with MPI_Scatterv, f is applied on every rank (the root included) and the results are
/// gathered in input order with MPI_Gatherv into one buffer on the root (the root's own block is
/// written in place). Returns the results on the root and an empty buffer elsewhere. Collective.
/// Throws task_error on every rank if f threw anywhere, limit_error if the input is larger than
/// MPI's int counts allow.
template <detail::contiguous_input In, detail::element_function<In> F>
Buffer<detail::element_result_t<F, In>> map(const boost::mpi::communicator& comm, const In& input,
                                            F&& f, const MapOptions& o = {}) {
    using T = detail::element_t<In>;
    using R = detail::element_result_t<F, In>;
    detail::check_root(comm, o.root);
    detail::MapTimer timer(comm, o.times);
    const T* data = std::ranges::data(input);
    std::uint64_t n = std::ranges::size(input);
    MPI_Bcast(&n, 1, MPI_UINT64_T, o.root, comm);
    const Counts c = mpi_counts(n, comm.size());
    const auto me = static_cast<std::size_t>(comm.rank());
    const auto first = static_cast<std::uint64_t>(c.displs[me]);

    Buffer<T> local_in;
    const T* in = nullptr;
    if (comm.rank() == o.root) {
        MPI_Scatterv(data, c.counts.data(), c.displs.data(), detail::datatype<T>(), MPI_IN_PLACE, 0,
                     detail::datatype<T>(), o.root, comm);
        in = data + first;
    } else {
        local_in = Buffer<T>(static_cast<std::size_t>(c.counts[me]));
        MPI_Scatterv(nullptr, nullptr, nullptr, detail::datatype<T>(), local_in.data(),
                     c.counts[me], detail::datatype<T>(), o.root, comm);
        in = local_in.data();
    }
    timer.lap(&MapTimes::scatter);
    return detail::compute_and_gather<R>(
        comm, n, c, o.root, [&](std::uint64_t i) { return f(in[i]); }, timer);
}

/// Pool.map over range(begin, end) without an input array: the root broadcasts the bounds, each
/// rank derives its own block from them and applies f to each index; results are gathered in
/// order on the root as in map(). `begin` and `end` are read on the root only.
template <detail::index_function F>
Buffer<detail::index_result_t<F>> map_range(const boost::mpi::communicator& comm,
                                            std::uint64_t begin, std::uint64_t end, F&& f,
                                            const MapOptions& o = {}) {
    using R = detail::index_result_t<F>;
    detail::check_root(comm, o.root);
    detail::MapTimer timer(comm, o.times);
    std::uint64_t bounds[2] = {begin, end < begin ? begin : end};
    MPI_Bcast(bounds, 2, MPI_UINT64_T, o.root, comm);
    const std::uint64_t n = bounds[1] - bounds[0];
    const Counts c = mpi_counts(n, comm.size());
    const std::uint64_t x0 =
        bounds[0] + static_cast<std::uint64_t>(c.displs[static_cast<std::size_t>(comm.rank())]);
    timer.lap(&MapTimes::scatter);
    return detail::compute_and_gather<R>(
        comm, n, c, o.root, [&](std::uint64_t i) { return f(x0 + i); }, timer);
}

/// std::transform_reduce(begin, end, init, reduce, transform) over range(begin, end) on every
/// rank, without gathering the results: each rank folds its block from the left,
/// acc = reduce(acc, transform(x)) starting from `init`; the root gathers one partial per rank
/// and folds them in rank order. The result is therefore the left fold in index order: `reduce`
/// must be associative but, unlike for std::transform_reduce, need not be commutative. `init`
/// must be an identity of `reduce`. Returns the total on the root and `init` elsewhere. No
/// int-count limit applies: the range may hold any 64-bit count. Acc must be trivially copyable.
template <class Acc, detail::index_function F, detail::folds_results_of<Acc, F> Op>
Acc map_reduce(const boost::mpi::communicator& comm, std::uint64_t begin, std::uint64_t end,
               Acc init, Op&& reduce, F&& transform, const MapOptions& o = {}) {
    static_assert(std::is_trivially_copyable_v<Acc>, "partials travel as bytes");
    detail::check_root(comm, o.root);
    detail::MapTimer timer(comm, o.times);
    std::uint64_t bounds[2] = {begin, end < begin ? begin : end};
    MPI_Bcast(bounds, 2, MPI_UINT64_T, o.root, comm);
    const Block b = block_of(bounds[1] - bounds[0], comm.size(), comm.rank());
    timer.lap(&MapTimes::scatter);

    Acc acc = init;
    const std::uint64_t x0 = bounds[0] + b.begin;
    const auto failure = detail::apply_block(
        comm, b.begin, b.size(), [&](std::uint64_t i) { return transform(x0 + i); },
        [&](std::uint64_t, auto r) { acc = reduce(acc, r); });
    detail::raise_if_any_failed(comm, failure, o.root);
    timer.lap(&MapTimes::compute);

    const bool is_root = comm.rank() == o.root;
    Buffer<Acc> partials(is_root ? static_cast<std::size_t>(comm.size()) : 0);
    MPI_Gather(&acc, sizeof(Acc), MPI_BYTE, partials.data(), sizeof(Acc), MPI_BYTE, o.root, comm);
    Acc total = init;
    if (is_root) {
        for (const Acc& p : partials) {
            total = reduce(total, p);
        }
    }
    timer.lap(&MapTimes::gather);
    timer.finish();
    return total;
}

} // namespace rankpool
