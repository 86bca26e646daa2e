// Errors that cross ranks.
#include "rankpool/errors.hpp"

namespace rankpool {

std::string describe(const TaskFailure& f) {
    return "task " + std::to_string(f.index) + " failed on rank " + std::to_string(f.rank) + " (" +
           f.host + "): " + f.message;
}

namespace {
std::string summary(const std::vector<TaskFailure>& fs) {
    if (fs.empty()) {
        return "a task failed on another rank";
    }
    std::string s = describe(fs.front());
    if (fs.size() > 1) {
        s += " (and " + std::to_string(fs.size() - 1) + " more)";
    }
    return s;
}
} // namespace

task_error::task_error(std::vector<TaskFailure> failures)
    : std::runtime_error(summary(failures)), failures_(std::move(failures)) {}

task_error::task_error(const std::string& what, std::vector<TaskFailure> failures)
    : std::runtime_error(what), failures_(std::move(failures)) {}

} // namespace rankpool
