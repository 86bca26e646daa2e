// --joblog FILE: one tab-separated line per task attempt, as GNU parallel's joblog.
#include "joblog.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rankpool::cli {

std::string joblog_header() {
    return "index\tinput\trank\thost\tpid\tstart\tseconds\tattempt\tstatus\terror";
}

std::string joblog_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '\t':
            out += "\\t";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\\':
            out += "\\\\";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string joblog_line(const TaskAttempt& a, std::string_view input, std::string_view host,
                        std::uint64_t pid) {
    char times[64];
    std::snprintf(times, sizeof times, "%.3f\t%.3f", a.start, a.seconds);
    return std::to_string(a.index) + "\t" + joblog_escape(input) + "\t" + std::to_string(a.rank) +
           "\t" + joblog_escape(host) + "\t" + std::to_string(pid) + "\t" + times + "\t" +
           std::to_string(a.attempt) + "\t" + std::string(to_string(a.status)) + "\t" +
           joblog_escape(a.error);
}

JoblogWriter::JoblogWriter(const std::string& path, std::vector<std::string> hosts,
                           std::vector<std::uint64_t> pids)
    : path_(path), file_(std::fopen(path.c_str(), "w")), hosts_(std::move(hosts)),
      pids_(std::move(pids)) {
    if (file_ == nullptr) {
        throw std::runtime_error("--joblog cannot write '" + path + "': " + std::strerror(errno));
    }
    put(joblog_header());
}

JoblogWriter::~JoblogWriter() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
}

void JoblogWriter::write(const TaskAttempt& a, std::string_view input) {
    const auto r = static_cast<std::size_t>(a.rank);
    put(joblog_line(a, input, r < hosts_.size() ? hosts_[r] : "?",
                    r < pids_.size() ? pids_[r] : 0));
}

void JoblogWriter::put(const std::string& line) {
    if (errno_ != 0) {
        return;
    }
    if (std::fputs(line.c_str(), file_) < 0 || std::fputc('\n', file_) < 0 ||
        std::fflush(file_) != 0) {
        errno_ = errno != 0 ? errno : EIO;
    }
}

std::string JoblogWriter::close() {
    if (file_ != nullptr && std::fclose(file_) != 0 && errno_ == 0) {
        errno_ = errno != 0 ? errno : EIO;
    }
    file_ = nullptr;
    return errno_ == 0 ? std::string()
                       : "--joblog could not write '" + path_ + "': " + std::strerror(errno_);
}

} // namespace rankpool::cli
