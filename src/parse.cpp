// Pure parsing of command-line values.
#include "rankpool/parse.hpp"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>

namespace rankpool {

namespace {
std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}
} // namespace

std::uint64_t parse_count(std::string_view text, std::string_view what, std::uint64_t max) {
    const std::string name(what);
    if (text.empty()) {
        throw usage_error(name + " must be a whole number, got an empty string");
    }
    if (text.front() == '-') {
        throw usage_error(name + " must be >= 0, got " + quoted(text));
    }
    std::uint64_t v = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec == std::errc::result_out_of_range) {
        throw usage_error(name + " = " + std::string(text) + " is too large (at most " +
                          std::to_string(max) + ")");
    }
    if (ec != std::errc() || ptr != end) {
        throw usage_error(name + " must be a whole number, got " + quoted(text));
    }
    if (v > max) {
        throw usage_error(name + " = " + std::string(text) + " is too large (at most " +
                          std::to_string(max) + ")");
    }
    return v;
}

std::uint64_t parse_positive(std::string_view text, std::string_view what, std::uint64_t max) {
    const std::uint64_t v = parse_count(text, what, max);
    if (v == 0) {
        throw usage_error(std::string(what) + " must be >= 1, got " + quoted(text));
    }
    return v;
}

Schedule parse_schedule(std::string_view text, std::string_view what) {
    const auto s = schedule_from_string(text);
    if (!s) {
        throw usage_error(std::string(what) + " must be static, cyclic, dynamic or guided, got " +
                          quoted(text));
    }
    return *s;
}

double parse_seconds(std::string_view text, std::string_view what) {
    const std::string name(what);
    double v = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (!text.empty() && text.front() == '-') {
        throw usage_error(name + " must be >= 0, got " + quoted(text));
    }
    if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
        throw usage_error(name + " must be a number of seconds, got " + quoted(text));
    }
    if (ec == std::errc::result_out_of_range || !std::isfinite(v)) {
        throw usage_error(name + " must be a finite number of seconds, got " + quoted(text));
    }
    if (v < 0) {
        throw usage_error(name + " must be >= 0, got " + quoted(text));
    }
    if (v > max_seconds) {
        throw usage_error(name + " = " + std::string(text) +
                          " is too long (at most 1000000000 seconds, about 31.7 years)");
    }
    return v;
}

std::vector<ArgLine> parse_arg_lines(std::string_view content) {
    std::vector<ArgLine> args;
    std::size_t number = 0;
    while (!content.empty()) {
        const auto eol = content.find('\n');
        std::string_view line = content.substr(0, eol);
        content = eol == std::string_view::npos ? std::string_view() : content.substr(eol + 1);
        ++number;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') {
            continue;
        }
        args.push_back({number, std::string(line)});
    }
    return args;
}

namespace {
/// The first of `keys` set to a whole number >= 0 in the environment.
std::optional<int> first_number(const std::function<const char*(const char*)>& getenv,
                                std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
        const char* v = getenv(key);
        if (v == nullptr) {
            continue;
        }
        int r = 0;
        const std::string_view s(v);
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), r);
        if (ec == std::errc() && ptr == s.data() + s.size() && r >= 0) {
            return r;
        }
    }
    return std::nullopt;
}
} // namespace

int launcher_rank(const std::function<const char*(const char*)>& getenv) {
    return first_number(getenv, {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
        .value_or(0);
}

int launcher_size(const std::function<const char*(const char*)>& getenv) {
    return first_number(getenv, {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS"}).value_or(1);
}

} // namespace rankpool
