// `rankpool compare N`: the same CPU worker run serially, on two threads and on two ranks.
#include "compare.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sched.h>
#include <thread>

#include <mpi.h>

#include "rankpool/wait.hpp"

#include "report_json.hpp"

namespace rankpool::commands {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int cpus_allowed() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) {
        return 0;
    }
    return CPU_COUNT(&set);
}

/// Times one worker on each of ranks 0 and 1 (the others idle): barrier, MPI_Wtime, slowest rank.
CompareRow run_ranks(const boost::mpi::communicator& comm, const CompareOptions& o) {
    CompareRow row{"ranks", compare_tasks, 0, 0, 0, false, ""};
    const bool works = comm.rank() < compare_tasks;
    MPI_Barrier(comm);
    const double t0 = MPI_Wtime();
    const uint128 mine = works ? cpu_worker(o.n, o.repeat) : 0;
    const double mine_seconds = works ? MPI_Wtime() - t0 : 0.0;
    quiet_barrier(comm); // idle ranks sleep here rather than spin in the reduce
    MPI_Reduce(&mine_seconds, &row.seconds, 1, MPI_DOUBLE, MPI_MAX, 0, comm);
    uint128 partials[compare_tasks] = {};
    // Ranks 0 and 1 hold the results: rank 1 sends its own to rank 0.
    if (comm.rank() == 1) {
        MPI_Send(&mine, sizeof mine, MPI_BYTE, 0, 0, comm);
    } else if (comm.rank() == 0) {
        partials[0] = mine;
        MPI_Recv(&partials[1], sizeof mine, MPI_BYTE, 1, 0, comm, MPI_STATUS_IGNORE);
    }
    for (const uint128 p : partials) {
        row.result += p;
    }
    if (comm.size() > compare_tasks) {
        row.note = "ranks 0 and 1 worked, " +
                   (comm.size() == 3 ? std::string("rank 2")
                                     : "ranks 2.." + std::to_string(comm.size() - 1)) +
                   " idled";
    }
    return row;
}

} // namespace

uint128 cpu_worker(std::uint64_t n, std::uint64_t repeat) {
    uint128 total = 0;
    for (std::uint64_t r = 0; r < repeat; ++r) {
        std::uint64_t acc = 0;
        for (std::uint64_t x = 0; x < n; ++x) {
            acc += x * x;
            // Opaque to the optimiser: acc may have changed, so no closed form, no hoisting.
            __asm__ __volatile__("" : "+r"(acc));
        }
        total += acc;
    }
    return total;
}

uint128 expected_result(const CompareOptions& o) {
    return static_cast<uint128>(compare_tasks) * o.repeat * sum_of_squares(o.n);
}

CompareRow run_serial(const CompareOptions& o) {
    CompareRow row{"serial", 1, 0, 0, 0, false, ""};
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < compare_tasks; ++i) {
        row.result += cpu_worker(o.n, o.repeat);
    }
    row.seconds = seconds_since(t0);
    return row;
}

CompareRow run_threads(const CompareOptions& o) {
    CompareRow row{"threads", compare_tasks, 0, 0, 0, false, ""};
    uint128 results[compare_tasks] = {};
    const auto t0 = std::chrono::steady_clock::now();
    {
        std::jthread threads[compare_tasks];
        for (int i = 0; i < compare_tasks; ++i) {
            threads[i] = std::jthread([&results, i, o] { results[i] = cpu_worker(o.n, o.repeat); });
        }
    } // joined here
    row.seconds = seconds_since(t0);
    for (const uint128 r : results) {
        row.result += r;
    }
    return row;
}

CompareRow skipped_ranks_row() {
    return {"ranks",
            compare_tasks,
            0,
            0,
            0,
            true,
            "skipped: needs a second rank, run mpirun -np 2 rankpool compare"};
}

void set_speedups(std::vector<CompareRow>& rows) {
    double serial = 0;
    for (const auto& r : rows) {
        if (r.way == "serial" && !r.skipped) {
            serial = r.seconds;
        }
    }
    for (auto& r : rows) {
        r.speedup = (r.skipped || r.seconds <= 0 || serial <= 0) ? 0.0 : serial / r.seconds;
    }
}

bool CompareReport::ok() const {
    return std::ranges::all_of(rows,
                               [this](const auto& r) { return r.skipped || r.result == expected; });
}

CompareReport run_compare(const boost::mpi::communicator& comm, const CompareOptions& o) {
    CompareReport r;
    r.options = o;
    r.ranks = comm.size();
    r.expected = expected_result(o);
    if (comm.rank() == 0) {
        r.cpus = cpus_allowed();
        // Warm up (clock frequency, page faults, lazy binding) so the serial row is not the
        // one that pays for it: a first timed row measured 2-3x slow here without this.
        static_cast<void>(run_serial(o));
        r.rows.push_back(run_serial(o));
        r.rows.push_back(run_threads(o));
        if (r.cpus == 1) {
            r.rows.back().note = "rank 0 is bound to 1 CPU: mpirun --bind-to none lets it use 2";
        }
    }
    quiet_barrier(comm); // the other ranks sleep while rank 0 times the first two ways
    if (comm.size() >= compare_tasks) {
        CompareRow ranks = run_ranks(comm, o);
        if (comm.rank() == 0) {
            r.rows.push_back(std::move(ranks));
        }
    } else {
        r.rows.push_back(skipped_ranks_row());
    }
    set_speedups(r.rows);
    return r;
}

nlohmann::ordered_json to_json(const CompareOptions& o) {
    return {{"n", o.n}, {"repeat", o.repeat}};
}

nlohmann::ordered_json to_json(const CompareReport& r) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& row : r.rows) {
        nlohmann::ordered_json j = {{"way", row.way},
                                    {"workers", row.workers},
                                    {"seconds", row.seconds},
                                    {"speedup", row.speedup},
                                    {"result", json_uint128(row.result)},
                                    {"skipped", row.skipped}};
        if (row.skipped) {
            j["seconds"] = nullptr;
            j["speedup"] = nullptr;
            j["result"] = nullptr;
        }
        if (!row.note.empty()) {
            j["note"] = row.note;
        }
        rows.push_back(std::move(j));
    }
    nlohmann::ordered_json seconds = nlohmann::ordered_json::object();
    double total = 0;
    for (const auto& row : r.rows) {
        seconds[row.way] =
            row.skipped ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(row.seconds);
        total += row.skipped ? 0.0 : row.seconds;
    }
    seconds["total"] = total;
    return {{"command", "compare"},
            {"ok", r.ok()},
            {"options", to_json(r.options)},
            {"seconds", seconds},
            {"results", {{"count", r.rows.size()}, {"expected", json_uint128(r.expected)}}},
            {"detail", {{"tasks", compare_tasks}, {"cpus", r.cpus}, {"rows", rows}}}};
}

std::vector<std::string> to_text(const CompareReport& r) {
    std::vector<std::string> lines;
    char line[256];
    std::snprintf(line, sizeof line,
                  "compare: %d workers, each sum(x*x for x in range(%llu)) %llu times; %d rank%s",
                  compare_tasks, static_cast<unsigned long long>(r.options.n),
                  static_cast<unsigned long long>(r.options.repeat), r.ranks,
                  r.ranks == 1 ? "" : "s");
    lines.emplace_back(line);
    std::snprintf(line, sizeof line, "%-8s %7s %10s %8s  %s", "way", "workers", "seconds",
                  "speedup", "result");
    lines.emplace_back(line);
    for (const auto& row : r.rows) {
        if (row.skipped) {
            std::snprintf(line, sizeof line, "%-8s %7d  %s", row.way.c_str(), row.workers,
                          row.note.c_str());
            lines.emplace_back(line);
            continue;
        }
        std::snprintf(line, sizeof line, "%-8s %7d %10.4f %7.2fx  %s%s%s", row.way.c_str(),
                      row.workers, row.seconds, row.speedup, to_string(row.result).c_str(),
                      row.note.empty() ? "" : "  (", row.note.c_str());
        lines.emplace_back(std::string(line) + (row.note.empty() ? "" : ")"));
    }
    lines.emplace_back("In C++ the threads run in parallel: there is no GIL, unlike the Python "
                       "original.");
    lines.push_back(r.ok()
                        ? "Every way computed " + std::to_string(compare_tasks) + " * " +
                              std::to_string(r.options.repeat) + " * sum_of_squares(" +
                              std::to_string(r.options.n) + ") = " + to_string(r.expected) + ", ok"
                        : "MISMATCH: expected " + to_string(r.expected) + " from every way");
    return lines;
}

} // namespace rankpool::commands
