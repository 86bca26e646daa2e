// Progress of a long run: when to show it and the line that shows it (done, rate, ETA).
#include "rankpool/progress.hpp"

#include <cmath>
#include <cstdio>

namespace rankpool {

ProgressPlan plan_progress(ProgressMode mode, bool terminal) {
    switch (mode) {
    case ProgressMode::off:
        return {};
    case ProgressMode::on:
        return terminal ? ProgressPlan{true, true, 0, 0.5, true}
                        : ProgressPlan{true, false, 5, 5, true};
    case ProgressMode::automatic:
        break;
    }
    return terminal ? ProgressPlan{true, true, 2, 0.5, false}
                    : ProgressPlan{true, false, 10, 10, false};
}

std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e12) {
        return "?";
    }
    const auto s = static_cast<std::uint64_t>(seconds);
    char buf[48];
    if (s >= 3600) {
        std::snprintf(
            buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(s / 3600),
            static_cast<unsigned long long>(s / 60 % 60), static_cast<unsigned long long>(s % 60));
    } else {
        std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(s / 60),
                      static_cast<unsigned long long>(s % 60));
    }
    return buf;
}

std::string progress_line(std::uint64_t done, std::uint64_t total, double elapsed) {
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    const double percent =
        total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
    const std::string eta = done >= total ? "0:00"
                            : rate > 0 ? format_duration(static_cast<double>(total - done) / rate)
                                       : "?";
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "progress: %llu/%llu tasks (%.1f%%), %.1f tasks/s, ETA %s, "
                  "elapsed %s",
                  static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                  percent, rate, eta.c_str(), format_duration(elapsed).c_str());
    return buf;
}

std::string ProgressMeter::render(const std::string& line) {
    shown_ = true;
    if (!plan_.live) {
        return line + "\n";
    }
    std::string text = "\r" + line;
    if (line.size() < width_) {
        text.append(width_ - line.size(), ' ');
    }
    width_ = line.size();
    return text;
}

std::optional<std::string> ProgressMeter::update(std::uint64_t done, std::uint64_t total,
                                                 double elapsed) {
    if (!plan_.enabled || elapsed < next_) {
        return std::nullopt;
    }
    while (next_ <= elapsed) {
        next_ += plan_.every;
    }
    return render(progress_line(done, total, elapsed));
}

std::optional<std::string> ProgressMeter::finish(std::uint64_t done, std::uint64_t total,
                                                 double elapsed) {
    if (!plan_.enabled || (!shown_ && !plan_.always_final)) {
        return std::nullopt;
    }
    auto text = render(progress_line(done, total, elapsed));
    if (plan_.live) {
        text += "\n";
    }
    return text;
}

} // namespace rankpool
