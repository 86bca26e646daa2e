// What an executor run is given: which tasks, their payloads and costs, and what a task sees.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rankpool/stop_token.hpp"

namespace rankpool {

/// The tasks of one executor run: indices [0, n), or a subset of them, each optionally with a
/// payload (bytes handed to the task) and a cost (for longest-first). n is needed on every rank;
/// the subset, the payloads and the costs are read on the root only and must stay valid until
/// the run ends. Builder-style: `Tasks(n).only(todo).with_payloads(commands)`.
class Tasks {
public:
    /// A payload by task index, as a view that stays valid for the run.
    using PayloadFn = std::function<std::span<const std::byte>(std::uint64_t index)>;

    /// Every index in [0, n).
    explicit Tasks(std::uint64_t n) : n_(n) {}

    /// Runs only these indices (sorted, unique, each < n): what a resumed run does.
    Tasks& only(std::span<const std::uint64_t> indices) {
        subset_ = indices;
        return *this;
    }
    /// One payload per task index in [0, n), handed to the task that runs it.
    Tasks& with_payloads(std::span<const std::string> payloads);
    /// One payload per task index in [0, n), handed to the task that runs it.
    Tasks& with_payloads(std::span<const std::vector<std::byte>> payloads);
    /// The payload of task i is payload_of(i), called on the root's main thread when the task
    /// is handed out; `count` is the number of payloads it has (must be n).
    Tasks& with_payloads(PayloadFn payload_of, std::uint64_t count);
    /// One cost per task index in [0, n) (seconds, or any unit): needed for longest-first.
    Tasks& with_costs(std::span<const double> costs) {
        costs_ = costs;
        return *this;
    }

    [[nodiscard]] std::uint64_t n() const noexcept { return n_; }
    [[nodiscard]] const std::optional<std::span<const std::uint64_t>>& subset() const noexcept {
        return subset_;
    }
    /// Tasks to run: the subset's size, or n.
    [[nodiscard]] std::uint64_t count() const noexcept { return subset_ ? subset_->size() : n_; }
    /// The index of the k-th task to run (k < count()).
    [[nodiscard]] std::uint64_t index_at(std::uint64_t k) const {
        return subset_ ? (*subset_)[k] : k;
    }
    [[nodiscard]] bool has_payloads() const noexcept { return static_cast<bool>(payload_of_); }
    [[nodiscard]] std::span<const std::byte> payload(std::uint64_t index) const {
        return payload_of_(index);
    }
    [[nodiscard]] std::span<const double> costs() const noexcept { return costs_; }

    /// Why these tasks cannot run with `longest_first`, or nullopt if they can. Pure.
    [[nodiscard]] std::optional<std::string> problem(bool longest_first) const;

private:
    std::uint64_t n_;
    std::optional<std::span<const std::uint64_t>> subset_;
    PayloadFn payload_of_;
    std::uint64_t payload_count_ = 0;
    std::span<const double> costs_;
};

/// What a task is handed: its index, its payload (empty without payloads), and the run's stop
/// token.
struct TaskContext {
    std::uint64_t index = 0;
    std::span<const std::byte> payload;
    const StopToken& stop;
    /// 1 on a task's first run, 2 on its first retry (ExecutorOptions::retries), ...
    unsigned attempt = 1;

    /// The payload as text.
    [[nodiscard]] std::string_view payload_text() const noexcept {
        return {reinterpret_cast<const char*>(payload.data()), payload.size()};
    }
    [[nodiscard]] bool stop_requested() const { return stop.stop_requested(); }
};

} // namespace rankpool
