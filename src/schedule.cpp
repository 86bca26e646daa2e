// Scheduling policies for the executor.
#include "rankpool/schedule.hpp"

#include <algorithm>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <string>

#include "rankpool/partition.hpp"

namespace rankpool {

std::string_view to_string(Schedule s) {
    switch (s) {
    case Schedule::static_block:
        return "static";
    case Schedule::cyclic:
        return "cyclic";
    case Schedule::dynamic:
        return "dynamic";
    case Schedule::guided:
        return "guided";
    }
    return "?";
}

std::optional<Schedule> schedule_from_string(std::string_view s) {
    for (const Schedule k :
         {Schedule::static_block, Schedule::cyclic, Schedule::dynamic, Schedule::guided}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return std::nullopt;
}

std::vector<std::uint64_t> task_order(std::uint64_t n, std::span<const double> costs,
                                      bool longest_first) {
    std::vector<std::uint64_t> order(n);
    std::iota(order.begin(), order.end(), std::uint64_t{0});
    if (longest_first) {
        if (costs.size() != n) {
            throw std::invalid_argument("longest-first needs one cost per task");
        }
        std::stable_sort(order.begin(), order.end(),
                         [&](std::uint64_t a, std::uint64_t b) { return costs[a] > costs[b]; });
    }
    return order;
}

Dispatcher::Dispatcher(std::vector<std::uint64_t> order, int workers, Schedule schedule,
                       std::uint64_t chunksize)
    : order_(std::move(order)), workers_(workers), schedule_(schedule), chunksize_(chunksize),
      remaining_(order_.size()), position_(static_cast<std::size_t>(std::max(workers, 0)), 0),
      chunker_(order_.size(), std::max(workers, 1)) {
    if (workers < 1) {
        throw std::invalid_argument("a dispatcher needs at least one worker");
    }
    if (chunksize == chunksize_auto && schedule != Schedule::dynamic) {
        throw std::invalid_argument("chunksize auto needs the dynamic schedule");
    }
}

std::span<const std::uint64_t> Dispatcher::next(int worker) {
    if (worker < 0 || worker >= workers_) {
        throw std::invalid_argument("no worker " + std::to_string(worker));
    }
    const std::uint64_t n = order_.size();
    auto& pos = position_[static_cast<std::size_t>(worker)];
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    switch (schedule_) {
    case Schedule::static_block: {
        if (pos++ == 0) {
            const Block b = block_of(n, workers_, worker);
            begin = b.begin;
            end = b.end;
        }
        break;
    }
    case Schedule::cyclic: {
        // Chunk k of this worker is global chunk worker + k * workers.
        const auto W = static_cast<std::uint64_t>(workers_);
        const std::uint64_t chunk = static_cast<std::uint64_t>(worker) + pos * W;
        const std::uint64_t chunks = (n + chunksize_ - 1) / chunksize_;
        if (chunk < chunks) {
            begin = chunk * chunksize_;
            end = std::min(n, begin + chunksize_);
            ++pos;
        }
        break;
    }
    case Schedule::dynamic:
    case Schedule::guided: {
        std::uint64_t size = chunksize_;
        if (adaptive()) {
            size = std::max<std::uint64_t>(1, chunker_.next(n - cursor_, times_));
        } else if (schedule_ == Schedule::guided) {
            const auto W = static_cast<std::uint64_t>(workers_);
            size = std::max(chunksize_, (n - cursor_ + W - 1) / W);
        }
        begin = cursor_;
        end = std::min(n, cursor_ + size);
        cursor_ = end;
        break;
    }
    }
    remaining_ -= end - begin;
    return std::span<const std::uint64_t>(order_).subspan(begin, end - begin);
}

std::uint64_t max_chunk(std::uint64_t n, int workers, Schedule schedule, std::uint64_t chunksize) {
    if (chunksize == chunksize_auto) {
        return std::min(std::max<std::uint64_t>(n, 1), max_auto_chunk(n, workers));
    }
    const auto W = static_cast<std::uint64_t>(std::max(workers, 1));
    const std::uint64_t share = n / W + (n % W != 0 ? 1 : 0);
    switch (schedule) {
    case Schedule::static_block:
        return share;
    case Schedule::cyclic:
    case Schedule::dynamic:
        return std::min(n, chunksize);
    case Schedule::guided:
        return std::min(n, std::max(chunksize, share));
    }
    return n;
}

double simulate_makespan(std::span<const double> costs, int workers, Schedule schedule,
                         std::uint64_t chunksize, bool longest_first) {
    Dispatcher d(task_order(costs.size(), costs, longest_first), workers, schedule, chunksize);
    // Event simulation: the worker that becomes free first asks for its next chunk.
    using Free = std::pair<double, int>; // (time it becomes free, worker)
    std::priority_queue<Free, std::vector<Free>, std::greater<>> idle;
    std::vector<std::uint64_t> running(static_cast<std::size_t>(std::max(workers, 0)), 0);
    std::vector<double> started(running.size(), 0.0);
    for (int w = 0; w < workers; ++w) {
        idle.emplace(0.0, w);
    }
    double makespan = 0;
    while (!idle.empty()) {
        const auto [t, w] = idle.top();
        idle.pop();
        const auto u = static_cast<std::size_t>(w);
        if (running[u] > 0) {
            d.observe(running[u], t - started[u]);
        }
        const auto chunk = d.next(w);
        running[u] = chunk.size();
        started[u] = t;
        if (chunk.empty()) {
            makespan = std::max(makespan, t);
            continue;
        }
        double busy = 0;
        for (const auto i : chunk) {
            busy += costs[i];
        }
        idle.emplace(t + busy, w);
    }
    return makespan;
}

double makespan_lower_bound(std::span<const double> costs, int workers) {
    double total = 0;
    double longest = 0;
    for (const double c : costs) {
        total += c;
        longest = std::max(longest, c);
    }
    return std::max(longest, workers > 0 ? total / workers : total);
}

} // namespace rankpool
