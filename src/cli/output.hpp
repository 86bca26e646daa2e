// The one place results and reports leave the program: rank 0's stdout, or stderr for errors.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace rankpool::cli {

/// Everything rankpool prints goes through an Output. Results, reports and errors are printed by
/// the root only; `worker_line` is the exception, for the tutorial's "Sleeping for" lines that
/// each worker prints itself. Later work (output files) changes this class, not the commands.
class Output {
public:
    Output(bool is_root, bool json, std::FILE* out = stdout, std::FILE* err = stderr);
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output();

    [[nodiscard]] bool is_root() const noexcept { return is_root_; }
    [[nodiscard]] bool json() const noexcept { return json_; }

    /// One result per line, buffered: cheap enough for 10^8 lines. Root only; dropped in JSON mode,
    /// where results belong inside the report.
    void result(std::string_view line);
    /// A line of the human-readable report. Root only; dropped in JSON mode.
    void text(std::string_view line);
    /// The report as one JSON object on one line. Root only; dropped in text mode.
    void report(const nlohmann::json& j);
    /// "rankpool: error: <message>" on stderr. Root only.
    void error(std::string_view message);
    /// A line printed by whichever rank (or thread) calls it, flushed at once; dropped in JSON
    /// mode, where stdout carries the report alone.
    void worker_line(std::string_view line);
    /// Writes buffered results out.
    void flush();

private:
    void put(std::string_view line);

    bool is_root_;
    bool json_;
    std::FILE* out_;
    std::FILE* err_;
    std::string buf_;
};

/// Prints a command's report through `out`: its JSON view (to_json) in JSON mode, its text
/// lines (to_text) otherwise.
template <class Report>
void print_report(Output& out, const Report& report) {
    if (out.json()) {
        out.report(to_json(report));
    } else {
        for (const auto& line : to_text(report)) {
            out.text(line);
        }
    }
}

} // namespace rankpool::cli
