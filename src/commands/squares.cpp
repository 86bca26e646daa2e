// `rankpool squares N`: Pool.map(x*x, range(N)) over MPI collectives, checked and timed.
#include "squares.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <limits>

#include <mpi.h>

#include "rankpool/executor.hpp"
#include "rankpool/map.hpp"
#include "rankpool/memory.hpp"

#include "cli/output.hpp"
#include "report_json.hpp"

namespace rankpool::commands {

namespace {

constexpr auto square = [](std::uint64_t x) -> std::uint64_t { return x * x; };

std::string gib(std::uint64_t bytes) {
    char s[32];
    std::snprintf(s, sizeof s, "%.2f GiB", static_cast<double>(bytes) / (1u << 30));
    return s;
}

void print_results(cli::Output& out, const Buffer<std::uint64_t>& results) {
    std::array<char, 24> s{};
    for (const std::uint64_t v : results) {
        const auto end = std::to_chars(s.data(), s.data() + s.size(), v).ptr;
        out.result({s.data(), static_cast<std::size_t>(end - s.data())});
    }
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

namespace {

/// Squares through the executor: tasks are indices, results land at their index on the root.
uint128 scheduled_squares(const boost::mpi::communicator& comm, const SquaresOptions& o,
                          Buffer<std::uint64_t>& results, MapTimes& t) {
    ExecutorOptions eo;
    eo.schedule = *o.schedule;
    eo.chunksize = squares_chunksize(o, comm.size());
    eo.ordered = false; // results are stored by index: input order without a window
    const bool keep = o.gather == GatherMode::all;
    if (keep && comm.rank() == 0) {
        results = Buffer<std::uint64_t>(o.n);
    }
    uint128 sum = 0;
    const auto summary = execute(
        comm, o.n, square,
        [&](std::uint64_t i, std::uint64_t v) {
            sum += v;
            if (keep) {
                results[i] = v;
            }
        },
        eo);
    t.total = summary.makespan;
    return sum;
}

} // namespace

SquaresReport run_squares(const boost::mpi::communicator& comm, const SquaresOptions& o,
                          cli::Output& out) {
    check_root_memory(comm, o);
    SquaresReport r;
    r.options = o;
    r.ranks = comm.size();
    r.expected = sum_of_squares(o.n);
    MapTimes local;
    if (o.schedule) {
        Buffer<std::uint64_t> results;
        r.checksum = scheduled_squares(comm, o, results, local);
        if (o.print) {
            if (out.json()) {
                r.results.assign(results.begin(), results.end());
            } else {
                print_results(out, results);
            }
        }
    } else if (o.gather == GatherMode::none) {
        r.checksum = map_reduce(
            comm, 0, o.n, square, uint128{0}, [](uint128 a, uint128 b) { return a + b; }, 0,
            &local);
    } else {
        Buffer<std::uint64_t> results;
        if (o.input == InputMode::range) {
            results = map_range(comm, 0, o.n, square, 0, &local);
        } else {
            Buffer<std::uint64_t> input(comm.rank() == 0 ? o.n : 0);
            for (std::uint64_t i = 0; i < input.size(); ++i) {
                input[i] = i;
            }
            results = map(comm, std::span<const std::uint64_t>(input), square, 0, &local);
        }
        for (const std::uint64_t v : results) {
            r.checksum += v;
        }
        if (o.print) {
            if (out.json()) {
                r.results.assign(results.begin(), results.end());
            } else {
                print_results(out, results);
            }
        }
    }
    r.seconds = max_over_ranks(comm, local);
    r.rank_info = gather_rank_info(comm);
    cli::print_report(out, r);
    return r;
}

nlohmann::json to_json(const SquaresOptions& o) {
    return {{"n", o.n},
            {"print", o.print},
            {"input", o.input == InputMode::range ? "range" : "array"},
            {"gather", o.gather == GatherMode::all ? "all" : "none"},
            {"schedule", o.schedule ? std::string(to_string(*o.schedule)) : "collective"},
            {"chunksize", o.chunksize}};
}

nlohmann::json to_json(const SquaresReport& r) {
    nlohmann::json j = {
        {"command", "squares"},
        {"n", r.options.n},
        {"ranks", r.ranks},
        {"input", r.options.input == InputMode::range ? "range" : "array"},
        {"gather", r.options.gather == GatherMode::all ? "all" : "none"},
        {"schedule", r.options.schedule ? std::string(to_string(*r.options.schedule))
                                        : std::string("collective")},
        {"checksum", json_uint128(r.checksum)},
        {"expected", json_uint128(r.expected)},
        {"ok", r.ok()},
        {"seconds",
         {{"scatter", r.seconds.scatter},
          {"compute", r.seconds.compute},
          {"gather", r.seconds.gather},
          {"total", r.seconds.total}}},
    };
    add_rank_info(j, r.rank_info);
    if (r.options.schedule) {
        j["chunksize"] = squares_chunksize(r.options, r.ranks);
    }
    if (r.options.print) {
        j["results"] = r.results;
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
    return lines;
}

} // namespace rankpool::commands
