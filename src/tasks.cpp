// What an executor run is given: payload adapters and the checks of a task set.
#include "rankpool/tasks.hpp"

namespace rankpool {

Tasks& Tasks::with_payloads(std::span<const std::string> payloads) {
    return with_payloads(
        [payloads](std::uint64_t i) { return std::as_bytes(std::span(payloads[i])); },
        payloads.size());
}

Tasks& Tasks::with_payloads(std::span<const std::vector<std::byte>> payloads) {
    return with_payloads([payloads](std::uint64_t i) { return std::span(payloads[i]); },
                         payloads.size());
}

Tasks& Tasks::with_payloads(PayloadFn payload_of, std::uint64_t count) {
    payload_of_ = std::move(payload_of);
    payload_count_ = count;
    return *this;
}

std::optional<std::string> Tasks::problem(bool longest_first) const {
    const auto of_n = [this](std::uint64_t k, const char* what) {
        return std::to_string(k) + " " + what + " for " + std::to_string(n_) + " tasks";
    };
    if (subset_) {
        for (std::size_t k = 0; k < subset_->size(); ++k) {
            const std::uint64_t i = (*subset_)[k];
            if (i >= n_) {
                return "task subset: index " + std::to_string(i) +
                       " is not below n = " + std::to_string(n_);
            }
            if (k > 0 && i <= (*subset_)[k - 1]) {
                return "task subset: must be sorted and unique, but " + std::to_string(i) +
                       " follows " + std::to_string((*subset_)[k - 1]);
            }
        }
    }
    if (payload_of_ && payload_count_ != n_) {
        return of_n(payload_count_, "payloads");
    }
    if (!costs_.empty() && costs_.size() != n_) {
        return of_n(costs_.size(), "costs");
    }
    if (longest_first && costs_.size() != n_) {
        return std::string("longest_first needs one cost per task on the root");
    }
    return std::nullopt;
}

} // namespace rankpool
