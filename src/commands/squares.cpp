// `rankpool squares N`: Pool.map(x*x, range(N)) over MPI collectives, checked and timed.
#include "squares.hpp"

#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include <boost/mpi/collectives/broadcast.hpp>
#include <mpi.h>

#include "rankpool/errors.hpp"
#include "rankpool/executor.hpp"
#include "rankpool/journal.hpp"
#include "rankpool/map.hpp"
#include "rankpool/memory.hpp"
#include "rankpool/run_info.hpp"

#include "report_json.hpp"

namespace rankpool::commands {

namespace {

constexpr auto square = [](std::uint64_t x) -> std::uint64_t { return x * x; };

/// Calls body(f) with f the item function: the plain square, or the square after o.work
/// multiply-adds (a separate instantiation, so that --work 0 costs nothing).
template <class Body>
decltype(auto) with_item_function(const SquaresOptions& o, Body&& body) {
    if (o.work == 0) {
        return body(square);
    }
    const std::uint64_t work = o.work;
    return body([work](std::uint64_t x) { return square_after_work(x, work); });
}

std::string gib(std::uint64_t bytes) {
    char s[32];
    std::snprintf(s, sizeof s, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
    return s;
}

void hand_results(Sink& sink, const Buffer<std::uint64_t>& results) {
    sink.begin({"x", "square", "", results.size(), false, ValueKind::uint64});
    sink.results(0, std::span<const std::uint64_t>(results.data(), results.size()));
    sink.end();
}

} // namespace

void check_root_memory(const boost::mpi::communicator& comm, const SquaresOptions& o) {
    if (o.gather == GatherMode::none) {
        return;
    }
    // [0] bytes the root needs, [1] bytes it has, [2] whether that is known; decided on the
    // root, known to all. The limit that decided it (the tightest) is named on the root.
    std::uint64_t need_have[3] = {0, 0, 0};
    const auto have = comm.rank() == 0 ? available_memory() : std::nullopt;
    if (comm.rank() == 0) {
        const std::uint64_t per_item = o.input == InputMode::array ? 16 : 8;
        need_have[0] = o.n * per_item;
        need_have[1] = have ? have->bytes : 0;
        need_have[2] = have ? 1 : 0;
    }
    MPI_Bcast(need_have, 3, MPI_UINT64_T, 0, comm);
    if (need_have[2] != 0 && need_have[0] > need_have[1]) {
        throw limit_error("squares " + std::to_string(o.n) + " needs " + gib(need_have[0]) +
                          " on rank 0 for the gathered results but " + gib(need_have[1]) +
                          " is available (" + (have ? have->source : "on rank 0") +
                          "); use --gather none to sum without gathering");
    }
}

std::uint64_t squares_chunksize(const SquaresOptions& o, int ranks) {
    if (o.chunksize != 0) {
        return o.chunksize;
    }
    const auto per = 4 * static_cast<std::uint64_t>(ranks);
    return std::max<std::uint64_t>(1, o.n / per + (o.n % per != 0 ? 1 : 0));
}

std::string journal_header(const SquaresOptions& o) {
    return "rankpool squares: " + std::to_string(o.n) + " items";
}

namespace {

/// Opens o.journal on the root; every rank learns whether that worked and throws alike.
std::unique_ptr<JournalWriter> open_journal(const boost::mpi::communicator& comm,
                                            const SquaresOptions& o) {
    std::unique_ptr<JournalWriter> journal;
    std::string why;
    if (comm.rank() == 0) {
        try {
            journal = std::make_unique<JournalWriter>(o.journal, journal_header(o));
            for (const auto& e : journal->contents().entries) {
                if (e.result.size() != sizeof(std::uint64_t) || e.index >= o.n) {
                    throw journal_error("journal '" + o.journal +
                                        "' holds a record that is no "
                                        "square of this run (task " +
                                        std::to_string(e.index) + ")");
                }
            }
        } catch (const journal_error& e) {
            why = e.what();
        }
    }
    boost::mpi::broadcast(comm, why, 0);
    if (!why.empty()) {
        throw usage_error(why);
    }
    return journal;
}

/// Squares through the executor: tasks are indices, results land at their index on the root.
/// With a journal, the root first takes the squares it holds and hands out only the others,
/// journaling each as it arrives.
uint128 scheduled_squares(const boost::mpi::communicator& comm, const SquaresOptions& o,
                          Buffer<std::uint64_t>& results, MapTimes& t, SquaresReport& r) {
    ExecutorOptions eo;
    eo.schedule = *o.schedule;
    eo.chunksize = squares_chunksize(o, comm.size());
    eo.ordered = false; // results are stored by index: input order without a window
    eo.on_attempt = o.on_attempt;
    eo.on_progress = o.on_progress;
    eo.stop_requested = o.stop_requested;
    const bool keep = o.gather == GatherMode::all;
    if (keep && comm.rank() == 0) {
        results = Buffer<std::uint64_t>(o.n);
    }
    uint128 sum = 0;
    const auto journal = o.journal.empty() ? nullptr : open_journal(comm, o);
    std::vector<std::uint64_t> todo;
    if (journal) {
        for (const auto& e : journal->contents().entries) {
            std::uint64_t v = 0;
            std::memcpy(&v, e.result.data(), sizeof v);
            sum += v;
            if (keep) {
                results[e.index] = v;
            }
        }
        todo = journal_todo(journal->contents(), o.n);
        r.journaled = o.n - todo.size();
    }
    Tasks tasks(o.n);
    if (journal) {
        tasks.only(todo);
        eo.on_chunk_end = [&journal] { journal->end_chunk(); };
    }
    auto summary = with_item_function(o, [&](auto f) {
        return execute(
            comm, tasks, f,
            [&](std::uint64_t i, std::uint64_t v) {
                if (journal) { // one record per chunk: on_chunk_end writes it
                    journal->add(i,
                                 std::span(reinterpret_cast<const unsigned char*>(&v), sizeof v));
                }
                sum += v;
                if (keep) {
                    results[i] = v;
                }
            },
            eo);
    });
    if (journal) {
        journal->sync();
    }
    if (!o.journal.empty()) {
        boost::mpi::broadcast(comm, r.journaled, 0);
    }
    r.completed = r.journaled + summary.completed;
    const auto* flag = o.stop_requested;
    r.stopped_by = comm.rank() == 0 && flag != nullptr && r.completed < o.n ? flag->load() : 0;
    boost::mpi::broadcast(comm, r.stopped_by, 0);
    t.total = summary.makespan;
    r.summary = std::move(summary);
    return sum;
}

} // namespace

SquaresReport run_squares(const boost::mpi::communicator& comm, const SquaresOptions& o,
                          Sink& sink) {
    check_root_memory(comm, o);
    SquaresReport r;
    r.options = o;
    r.ranks = comm.size();
    r.expected = sum_of_squares(o.n);
    MapTimes local;
    Buffer<std::uint64_t> results;
    if (o.schedule) {
        r.checksum = scheduled_squares(comm, o, results, local, r);
    } else if (o.gather == GatherMode::none) {
        r.checksum = with_item_function(o, [&](auto f) {
            return map_reduce(comm, 0, o.n, uint128{0}, [](uint128 a, uint128 b) { return a + b; },
                              f, {.times = &local});
        });
    } else {
        results = with_item_function(o, [&](auto f) {
            if (o.input == InputMode::range) {
                return map_range(comm, 0, o.n, f, {.times = &local});
            }
            Buffer<std::uint64_t> input(comm.rank() == 0 ? o.n : 0);
            for (std::uint64_t i = 0; i < input.size(); ++i) {
                input[i] = i;
            }
            return map(comm, input, f, {.times = &local});
        });
        for (const std::uint64_t v : results) {
            r.checksum += v;
        }
    }
    r.seconds = max_over_ranks(comm, local);
    if (!o.schedule) {
        r.rank_compute.resize(comm.rank() == 0 ? static_cast<std::size_t>(comm.size()) : 0);
        MPI_Gather(&local.compute, 1, MPI_DOUBLE, r.rank_compute.data(), 1, MPI_DOUBLE, 0, comm);
    }
    // Last, so that no rank waits in a collective (at full speed) while rank 0 prints or writes.
    if (o.gather == GatherMode::all && comm.rank() == 0 && r.stopped_by == 0) {
        hand_results(sink, results); // a stopped run's are partial: none shown, none written
    }
    return r;
}

nlohmann::ordered_json to_json(const SquaresOptions& o) {
    return {{"n", o.n},
            {"print", o.print},
            {"input", o.input == InputMode::range ? "range" : "array"},
            {"gather", o.gather == GatherMode::all ? "all" : "none"},
            {"schedule", o.schedule ? std::string(to_string(*o.schedule)) : "collective"},
            {"chunksize", o.chunksize},
            {"work", o.work},
            {"journal", o.journal.empty() ? nlohmann::ordered_json(nullptr)
                                          : nlohmann::ordered_json(o.journal)},
            {"grace", o.grace}};
}

nlohmann::ordered_json to_json(const SquaresReport& r) {
    nlohmann::ordered_json j = {
        {"command", "squares"},
        {"ok", r.ok()},
        {"options", to_json(r.options)},
        {"seconds",
         {{"scatter", r.seconds.scatter},
          {"compute", r.seconds.compute},
          {"gather", r.seconds.gather},
          {"total", r.seconds.total}}},
        {"results",
         {{"count", r.options.n},
          {"checksum", json_uint128(r.checksum)},
          {"expected", json_uint128(r.expected)}}},
        {"detail", nlohmann::ordered_json::object()},
    };
    if (!r.rank_compute.empty()) {
        j["rank_seconds"] = {{"compute", r.rank_compute}};
    }
    if (r.options.schedule) {
        j["detail"]["chunksize"] = squares_chunksize(r.options, r.ranks);
        j["detail"]["stopped_by"] = r.stopped_by;
        j["detail"]["overhead"] = overhead_json(r.summary);
        j["results"]["completed"] = r.completed;
        j["results"]["journaled"] = r.journaled;
    }
    return j;
}

std::vector<std::string> to_text(const SquaresReport& r) {
    char line[256];
    std::vector<std::string> lines;
    const char* gathered =
        r.options.gather == GatherMode::all ? "gathered" : "summed, not gathered";
    if (r.options.schedule) {
        std::snprintf(
            line, sizeof line, "squares: n = %llu on %d rank%s (%s schedule, chunksize %llu, %s)",
            static_cast<unsigned long long>(r.options.n), r.ranks, r.ranks == 1 ? "" : "s",
            std::string(to_string(*r.options.schedule)).c_str(),
            static_cast<unsigned long long>(squares_chunksize(r.options, r.ranks)), gathered);
    } else {
        std::snprintf(line, sizeof line, "squares: n = %llu on %d rank%s (%s input, %s)",
                      static_cast<unsigned long long>(r.options.n), r.ranks,
                      r.ranks == 1 ? "" : "s",
                      r.options.input == InputMode::range ? "range" : "array", gathered);
    }
    lines.emplace_back(line);
    lines.push_back("checksum: " + to_string(r.checksum) +
                    (r.ok() ? " (= n(n-1)(2n-1)/6, ok)"
                            : " MISMATCH: n(n-1)(2n-1)/6 = " + to_string(r.expected)));
    if (r.options.schedule) {
        std::snprintf(line, sizeof line, "seconds: total %.6f (makespan on rank 0)",
                      r.seconds.total);
    } else {
        std::snprintf(line, sizeof line,
                      "seconds: scatter %.6f  compute %.6f  gather %.6f  total %.6f (slowest rank)",
                      r.seconds.scatter, r.seconds.compute, r.seconds.gather, r.seconds.total);
    }
    lines.emplace_back(line);
    if (auto overhead = overhead_text(r.summary); r.options.schedule && !overhead.empty()) {
        lines.push_back(std::move(overhead));
    }
    if (r.stopped_by != 0) {
        std::snprintf(line, sizeof line, "stopped: %llu of %llu squares done",
                      static_cast<unsigned long long>(r.completed),
                      static_cast<unsigned long long>(r.options.n));
        lines.emplace_back(line);
    }
    if (r.journaled > 0) {
        lines.push_back("resumed: " + std::to_string(r.journaled) + " of " +
                        std::to_string(r.options.n) + " squares taken from journal " +
                        r.options.journal);
    }
    return lines;
}

} // namespace rankpool::commands
