// --joblog FILE: one tab-separated line per task attempt, as GNU parallel's joblog.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "rankpool/attempt.hpp"

namespace rankpool::cli {

/// The joblog's header line (no newline): the column names, tab-separated.
[[nodiscard]] std::string joblog_header();

/// One attempt's line (no newline): index, input, rank, host, pid, start (Unix seconds with
/// ms), seconds (ms), attempt, status, error. Tabs, newlines and backslashes in the input and the
/// error are escaped (\t, \n, \r, \\) so that each attempt stays one line. Pure.
[[nodiscard]] std::string joblog_line(const TaskAttempt& a, std::string_view input,
                                      std::string_view host, std::uint64_t pid);

/// `text` with \t, \n, \r and \ escaped as two characters each.
[[nodiscard]] std::string joblog_escape(std::string_view text);

/// Writes the joblog on the root: the header when opened, then a line per attempt, each flushed
/// (the file can be followed while the run goes). Remembers the first failed write.
class JoblogWriter {
public:
    /// Opens (truncates) `path`; throws std::runtime_error saying why it cannot.
    JoblogWriter(const std::string& path, std::vector<std::string> hosts,
                 std::vector<std::uint64_t> pids);
    JoblogWriter(const JoblogWriter&) = delete;
    JoblogWriter& operator=(const JoblogWriter&) = delete;
    ~JoblogWriter();

    void write(const TaskAttempt& a, std::string_view input);
    /// Closes the file; returns why a write failed, or empty if none did.
    [[nodiscard]] std::string close();

private:
    void put(const std::string& line);

    std::string path_;
    std::FILE* file_;
    std::vector<std::string> hosts_;
    std::vector<std::uint64_t> pids_;
    int errno_ = 0;
};

} // namespace rankpool::cli
