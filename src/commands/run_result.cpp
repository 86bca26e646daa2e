// What one `rankpool run` task sends back to rank 0, framed as bytes, and how a failure reads.
#include "run_result.hpp"

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace rankpool::commands {

namespace {
constexpr std::string_view magic = "rankpool-run 1 ";
} // namespace

std::string encode(const TaskResult& r) {
    char head[256];
    const int len =
        std::snprintf(head, sizeof head, "%s%c %d %d %.9g %zu %zu %zu %zu\n",
                      std::string(magic).c_str(), static_cast<char>(r.ending), r.code, r.rank,
                      r.seconds, r.host.size(), r.command.size(), r.out.size(), r.err.size());
    std::string bytes(head, static_cast<std::size_t>(len));
    bytes.reserve(bytes.size() + r.host.size() + r.command.size() + r.out.size() + r.err.size());
    bytes += r.host;
    bytes += r.command;
    bytes += r.out;
    bytes += r.err;
    return bytes;
}

namespace {

std::runtime_error garbled() {
    return std::runtime_error("rankpool run: a task result is garbled");
}

/// Reads encode's header line into `r` (ending, code, rank, seconds) and `sizes` (host, command,
/// out, err); returns the bytes after the line. Throws as decode.
std::string_view read_head(std::string_view bytes, TaskResult& r, std::size_t (&sizes)[4]) {
    const auto eol = bytes.find('\n');
    if (!bytes.starts_with(magic) || eol == std::string_view::npos) {
        throw garbled();
    }
    const std::string head(bytes.substr(magic.size(), eol - magic.size()));
    char ending = 0;
    int used = 0;
    if (std::sscanf(head.c_str(), "%c %d %d %lg %zu %zu %zu %zu%n", &ending, &r.code, &r.rank,
                    &r.seconds, &sizes[0], &sizes[1], &sizes[2], &sizes[3], &used) != 8 ||
        static_cast<std::size_t>(used) != head.size() || std::strchr("xste", ending) == nullptr ||
        ending == 0) {
        throw garbled();
    }
    r.ending = static_cast<Ending>(ending);
    return bytes.substr(eol + 1);
}

} // namespace

TaskResult decode_head(std::string_view bytes) {
    TaskResult r;
    std::size_t sizes[4] = {};
    (void)read_head(bytes, r, sizes);
    return r;
}

TaskResult decode(std::string_view bytes) {
    TaskResult r;
    std::size_t sizes[4] = {};
    std::string_view rest = read_head(bytes, r, sizes);
    std::string* fields[4] = {&r.host, &r.command, &r.out, &r.err};
    for (int k = 0; k < 4; ++k) {
        if (sizes[k] > rest.size()) {
            throw garbled();
        }
        fields[k]->assign(rest.substr(0, sizes[k]));
        rest.remove_prefix(sizes[k]);
    }
    if (!rest.empty()) {
        throw garbled();
    }
    return r;
}

std::string describe_ending(const TaskResult& r) {
    switch (r.ending) {
    case Ending::exited:
        return "exit code " + std::to_string(r.code);
    case Ending::signaled: {
        const char* name = strsignal(r.code);
        return "killed by signal " + std::to_string(r.code) +
               (name != nullptr ? " (" + std::string(name) + ")" : "");
    }
    case Ending::timed_out: {
        char text[64];
        std::snprintf(text, sizeof text, "timed out after %.3g s (process group killed)",
                      r.seconds);
        return text;
    }
    case Ending::not_run:
        return "not run: " + last_lines(r.err, 1);
    }
    return "?";
}

std::string last_lines(std::string_view text, std::size_t n) {
    if (n == 0) {
        return {};
    }
    if (!text.empty() && text.back() == '\n') {
        text.remove_suffix(1);
    }
    std::size_t seen = 0;
    for (std::size_t i = text.size(); i > 0; --i) {
        if (text[i - 1] == '\n' && ++seen == n) {
            return std::string(text.substr(i));
        }
    }
    return std::string(text);
}

std::vector<std::string> describe_failure(std::uint64_t number, const TaskResult& r) {
    std::vector<std::string> lines = {"task " + std::to_string(number) + " failed on rank " +
                                      std::to_string(r.rank) + " (" + r.host + "), " +
                                      describe_ending(r) + ": " + r.command};
    if (r.ending == Ending::not_run) {
        return lines;
    }
    const std::string tail = last_lines(r.err, stderr_tail_lines);
    std::string_view rest = tail;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        lines.push_back("  | " + std::string(rest.substr(0, nl)));
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    return lines;
}

} // namespace rankpool::commands
