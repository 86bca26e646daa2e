// Where a command's results go: the shared parts of every sink.
#include "sink.hpp"

#include <cstdio>

namespace rankpool::commands {

std::string to_text(const Value& v) {
    if (const auto* u = std::get_if<std::uint64_t>(&v)) {
        return std::to_string(*u);
    }
    if (const auto* d = std::get_if<double>(&v)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", *d);
        return buf;
    }
    return std::get<std::string>(v);
}

void Sink::results(std::uint64_t first, std::span<const std::uint64_t> values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
        result(first + i, Value{first + i}, Value{values[i]});
    }
}

} // namespace rankpool::commands
