// The one place results and reports leave the program.
#include "output.hpp"

namespace rankpool::cli {

namespace {
constexpr std::size_t flush_at = 1u << 16;
}

Output::Output(bool is_root, bool json, std::FILE* out, std::FILE* err)
    : is_root_(is_root), json_(json), out_(out), err_(err) {}

Output::~Output() {
    flush();
}

void Output::put(std::string_view line) {
    buf_.append(line);
    buf_.push_back('\n');
    if (buf_.size() >= flush_at) {
        flush();
    }
}

void Output::result(std::string_view line) {
    if (is_root_ && !json_) {
        put(line);
    }
}

void Output::text(std::string_view line) {
    if (is_root_ && !json_) {
        put(line);
    }
}

void Output::report(const nlohmann::json& j) {
    if (is_root_ && json_) {
        put(j.dump());
        flush();
    }
}

void Output::error(std::string_view message) {
    if (!is_root_) {
        return;
    }
    flush();
    std::fprintf(err_, "rankpool: error: %.*s\n", static_cast<int>(message.size()), message.data());
    std::fflush(err_);
}

void Output::worker_line(std::string_view line) {
    if (json_) {
        return;
    }
    std::fprintf(out_, "%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(out_);
}

void Output::flush() {
    if (!buf_.empty()) {
        std::fwrite(buf_.data(), 1, buf_.size(), out_);
        buf_.clear();
    }
    std::fflush(out_);
}

} // namespace rankpool::cli
