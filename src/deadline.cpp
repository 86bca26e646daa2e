// A run's deadline: --deadline's text read, and whether a task can still finish before it.
#include "rankpool/deadline.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace rankpool {

namespace {

bool digit(char c) {
    return c >= '0' && c <= '9';
}

/// Reads exactly `width` digits (or 1..width when `at_least_one`) at `pos`; advances it.
std::optional<int> digits(std::string_view s, std::size_t& pos, std::size_t width,
                          bool at_least_one = false) {
    int v = 0;
    std::size_t k = 0;
    while (k < width && pos + k < s.size() && digit(s[pos + k])) {
        v = v * 10 + (s[pos + k] - '0');
        ++k;
    }
    if (k == 0 || (!at_least_one && k != width)) {
        return std::nullopt;
    }
    pos += k;
    return v;
}

bool take(std::string_view s, std::size_t& pos, char c) {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

/// HH:MM[:SS] at `pos` into tm (hour of 1 or 2 digits); false when it is not one.
bool clock(std::string_view s, std::size_t& pos, std::tm& tm) {
    const auto h = digits(s, pos, 2, true);
    if (!h || !take(s, pos, ':')) {
        return false;
    }
    const auto m = digits(s, pos, 2);
    if (!m) {
        return false;
    }
    int sec = 0;
    if (take(s, pos, ':')) {
        const auto v = digits(s, pos, 2);
        if (!v) {
            return false;
        }
        sec = *v;
    }
    if (*h > 23 || *m > 59 || sec > 59) {
        return false;
    }
    tm.tm_hour = *h;
    tm.tm_min = *m;
    tm.tm_sec = sec;
    return true;
}

/// The Unix time of a local or UTC calendar time; nullopt when the date does not exist
/// (2026-02-30: mktime would roll it over).
std::optional<double> to_unix(std::tm tm, bool utc) {
    const std::tm asked = tm;
    tm.tm_isdst = -1;
    const std::time_t t = utc ? timegm(&tm) : std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1) || tm.tm_mday != asked.tm_mday ||
        tm.tm_mon != asked.tm_mon || tm.tm_year != asked.tm_year) {
        return std::nullopt;
    }
    return static_cast<double>(t);
}

/// YYYY-MM-DD[T ]HH:MM[:SS][Z|+HH:MM|-HH:MM|+HHMM|-HHMM]; nullopt when it is not one.
std::optional<double> iso(std::string_view s) {
    std::size_t pos = 0;
    std::tm tm{};
    const auto y = digits(s, pos, 4);
    if (!y || !take(s, pos, '-')) {
        return std::nullopt;
    }
    const auto mo = digits(s, pos, 2);
    if (!mo || !take(s, pos, '-')) {
        return std::nullopt;
    }
    const auto d = digits(s, pos, 2);
    if (!d || *mo < 1 || *mo > 12 || *d < 1 || *d > 31) {
        return std::nullopt;
    }
    if (!take(s, pos, 'T') && !take(s, pos, ' ')) {
        return std::nullopt;
    }
    if (pos + 2 >= s.size() || !digit(s[pos]) || !digit(s[pos + 1]) || !clock(s, pos, tm)) {
        return std::nullopt; // the hour has two digits here
    }
    tm.tm_year = *y - 1900;
    tm.tm_mon = *mo - 1;
    tm.tm_mday = *d;
    if (pos == s.size()) {
        return to_unix(tm, false);
    }
    int offset = 0; // seconds east of UTC
    if (take(s, pos, 'Z')) {
        offset = 0;
    } else if (s[pos] == '+' || s[pos] == '-') {
        const int sign = s[pos] == '-' ? -1 : 1;
        ++pos;
        const auto oh = digits(s, pos, 2);
        take(s, pos, ':');
        const auto om = digits(s, pos, 2);
        if (!oh || !om || *oh > 23 || *om > 59) {
            return std::nullopt;
        }
        offset = sign * (*oh * 3600 + *om * 60);
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    const auto t = to_unix(tm, true);
    if (!t) {
        return std::nullopt;
    }
    return *t - offset;
}

/// A decimal number of seconds: digits, optionally '.' and more digits.
std::optional<double> plain_seconds(std::string_view s) {
    std::size_t pos = 0;
    while (pos < s.size() && digit(s[pos])) {
        ++pos;
    }
    if (pos == 0) {
        return std::nullopt;
    }
    if (pos < s.size()) {
        if (s[pos] != '.' || pos + 1 == s.size()) {
            return std::nullopt;
        }
        for (std::size_t k = pos + 1; k < s.size(); ++k) {
            if (!digit(s[k])) {
                return std::nullopt;
            }
        }
    }
    const double v = std::strtod(std::string(s).c_str(), nullptr);
    if (!std::isfinite(v) || v > 1e9) { // over 31 years: a mistake (a Unix time?)
        return std::nullopt;
    }
    return v;
}

} // namespace

std::optional<Deadline> parse_deadline(std::string_view text, double now, std::string* why) {
    const auto fail = [&](const std::string& reason) -> std::optional<Deadline> {
        if (why != nullptr) {
            *why = reason;
        }
        return std::nullopt;
    };
    if (text == "slurm") {
        return Deadline{true, 0};
    }
    if (text.empty()) {
        return fail("it is empty");
    }
    if (const auto s = plain_seconds(text)) {
        return Deadline{false, now + *s};
    }
    if (text.find('-') != std::string_view::npos && digit(text[0])) {
        if (const auto t = iso(text)) {
            return Deadline{false, *t};
        }
        return fail("'" + std::string(text) +
                    "' is not an ISO 8601 time YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM] that exists");
    }
    std::size_t pos = 0;
    std::tm tm{};
    if (clock(text, pos, tm) && pos == text.size()) {
        const auto t0 = static_cast<std::time_t>(now);
        std::tm today{};
        localtime_r(&t0, &today);
        today.tm_hour = tm.tm_hour;
        today.tm_min = tm.tm_min;
        today.tm_sec = tm.tm_sec;
        today.tm_isdst = -1;
        std::tm tomorrow = today;
        std::time_t t = std::mktime(&today);
        if (static_cast<double>(t) <= now) { // past today: tomorrow's
            tomorrow.tm_mday += 1;
            t = std::mktime(&tomorrow);
        }
        return Deadline{false, static_cast<double>(t)};
    }
    return fail("'" + std::string(text) +
                "' is not seconds from now (3600, 2.5), a clock time (HH:MM[:SS]), an ISO 8601 "
                "time (YYYY-MM-DDTHH:MM[:SS][Z]) or 'slurm'");
}

std::optional<double> parse_slurm_end_time(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    if (text.empty()) {
        return std::nullopt;
    }
    bool all_digits = true;
    for (const char c : text) {
        all_digits = all_digits && digit(c);
    }
    if (all_digits) {
        if (text.size() > 12) {
            return std::nullopt;
        }
        const double v = std::strtod(std::string(text).c_str(), nullptr);
        return v > 0 ? std::optional<double>(v) : std::nullopt;
    }
    return iso(text); // "Unknown", "N/A", "NONE": not a time
}

std::optional<double> slurm_end_time_from_scontrol(std::string_view output) {
    constexpr std::string_view key = "EndTime=";
    std::size_t at = 0;
    while ((at = output.find(key, at)) != std::string_view::npos) {
        if (at == 0 || output[at - 1] == ' ' || output[at - 1] == '\n') {
            break;
        }
        at += key.size();
    }
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    const std::size_t from = at + key.size();
    const std::size_t to = output.find_first_of(" \n", from);
    return parse_slurm_end_time(output.substr(from, to == std::string_view::npos ? to : to - from));
}

std::string local_time_text(double unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    localtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

void DeadlineGate::finished(double seconds, std::uint64_t tasks) {
    seconds_ += seconds;
    tasks_ += tasks;
}

double DeadlineGate::mean() const {
    if (tasks_ > 0) {
        return seconds_ / static_cast<double>(tasks_);
    }
    return prior_ > 0 ? prior_ : 0;
}

bool DeadlineGate::allows(double now, std::uint64_t tasks) const {
    return now < deadline_ && now + static_cast<double>(tasks) * mean() <= deadline_;
}

} // namespace rankpool
