// Errors that cross ranks: where a task failed, and the exception that carries it to the caller.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace rankpool {

/// Bad input from the user, found before any work: rank 0 prints what() on one line and every
/// rank exits 2. Every rank parses the same input, so every rank raises it alike.
class usage_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// One failed task: its index in the input, the rank and host that ran it, the exception's text.
struct TaskFailure {
    std::uint64_t index = 0;
    int rank = 0;
    std::string host;
    std::string message;

    template <class Archive>
    void serialize(Archive& ar, unsigned /*version*/) {
        ar& index& rank& host& message;
    }
    friend bool operator==(const TaskFailure&, const TaskFailure&) = default;
};

/// "task 3 failed on rank 1 (host): message": the one line a user sees.
[[nodiscard]] std::string describe(const TaskFailure& f);

/// Thrown on every rank when any task failed. On the root `failures` lists each failure that was
/// collected, in task order; elsewhere it may be empty. what() is the first failure's line.
class task_error : public std::runtime_error {
public:
    explicit task_error(std::vector<TaskFailure> failures);
    /// With a text of its own: the root's what(), repeated on ranks that hold no failures.
    task_error(const std::string& what, std::vector<TaskFailure> failures);
    [[nodiscard]] const std::vector<TaskFailure>& failures() const noexcept { return failures_; }

private:
    std::vector<TaskFailure> failures_;
};

} // namespace rankpool
