// When a run with failing tasks stops: parsing and deciding GNU parallel's --halt policies.
#include "rankpool/halt.hpp"

#include <charconv>

namespace rankpool {

HaltAction HaltPolicy::decide(std::uint64_t failures, std::uint64_t /*done*/,
                              std::uint64_t total) const {
    if (when == When::never || failures == 0) {
        return HaltAction::go_on;
    }
    // P% of all tasks: failures / total >= P / 100, in integers.
    const bool reached = percent ? failures * 100 >= threshold * total : failures >= threshold;
    if (!reached) {
        return HaltAction::go_on;
    }
    return when == When::now ? HaltAction::stop_now : HaltAction::stop_soon;
}

std::string to_string(const HaltPolicy& p) {
    if (p.when == HaltPolicy::When::never) {
        return "never";
    }
    return std::string(p.when == HaltPolicy::When::now ? "now" : "soon") +
           ",fail=" + std::to_string(p.threshold) + (p.percent ? "%" : "");
}

namespace {

std::optional<HaltPolicy> refuse(std::string* why, const std::string& text) {
    if (why != nullptr) {
        *why = text;
    }
    return std::nullopt;
}

} // namespace

std::optional<HaltPolicy> parse_halt(std::string_view text, std::string* why) {
    if (text == "never") {
        return HaltPolicy::never();
    }
    const auto comma = text.find(',');
    const auto when = text.substr(0, comma);
    if (comma == std::string_view::npos || (when != "now" && when != "soon")) {
        return refuse(why, "must be 'never', 'now,fail=N', 'soon,fail=N', 'now,fail=P%' or "
                           "'soon,fail=P%'");
    }
    auto why_text = text.substr(comma + 1);
    if (why_text.substr(0, 5) != "fail=") {
        return refuse(why, "only fail=N or fail=P% can stop a run (after the comma)");
    }
    auto number = why_text.substr(5);
    HaltPolicy p;
    p.when = when == "now" ? HaltPolicy::When::now : HaltPolicy::When::soon;
    p.percent = !number.empty() && number.back() == '%';
    if (p.percent) {
        number.remove_suffix(1);
    }
    std::uint64_t n = 0;
    const auto* end = number.data() + number.size();
    const auto [ptr, ec] = std::from_chars(number.data(), end, n);
    if (number.empty() || ec != std::errc{} || ptr != end) {
        return refuse(why, "fail= needs a whole number without a sign, got '" +
                               std::string(number) + "'");
    }
    if (n < 1 || (p.percent && n > 100)) {
        return refuse(why, p.percent ? "fail=P% needs 1 <= P <= 100" : "fail=N needs N >= 1");
    }
    p.threshold = n;
    return p;
}

} // namespace rankpool
