// The one place rankpool's output leaves: stdout and stderr, with every failed write remembered.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/run_info.hpp"

#include "commands/sink.hpp"

namespace rankpool::cli {

/// Everything rankpool prints goes through an Output. Results, reports and errors are printed by
/// the root only; worker lines by whichever rank (or thread) says them. A write or flush that
/// fails is remembered (the first error's text) so that the run can end with one error line and a
/// non-zero exit instead of a silent loss.
class Output {
public:
    Output(bool is_root, bool json, std::FILE* out = stdout, std::FILE* err = stderr);
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output();

    [[nodiscard]] bool is_root() const noexcept { return is_root_; }
    [[nodiscard]] bool json() const noexcept { return json_; }

    /// The sink commands hand their results and worker lines to: the text printer, or in JSON
    /// mode the collector whose values go into the report.
    [[nodiscard]] commands::Sink& sink() noexcept { return *sink_; }

    /// A line of text output, buffered (cheap enough for 10^8 result lines). Root only.
    void line(std::string_view text);
    /// The report as one JSON object on one line. Root only.
    void json_line(const nlohmann::ordered_json& j);
    /// A line printed at once by whichever rank or thread calls it (worker lines).
    void immediate(std::string_view text);
    /// "rankpool: error: <message>" on stderr. Root only.
    void error(std::string_view message);
    /// Writes buffered lines out and flushes.
    void flush();

    /// Why writing to stdout failed ("No space left on device"), or empty when every write went
    /// through. Call after flush().
    [[nodiscard]] std::string write_error() const;

private:
    void note_failure(int errnum);

    bool is_root_;
    bool json_;
    std::FILE* out_;
    std::FILE* err_;
    std::string buf_;
    std::atomic<int> write_errno_{0}; // the first failed write's errno (worker lines: any thread)
    std::unique_ptr<commands::Sink> sink_;
};

/// What the command line adds to a command's report (its --output file): keys merged into the
/// JSON view's "options" and "results", lines after the text view's.
struct ReportExtras {
    nlohmann::ordered_json options = nlohmann::ordered_json::object();
    nlohmann::ordered_json results = nlohmann::ordered_json::object();
    std::vector<std::string> text;
};

/// Prints a command's report: in JSON mode the envelope around its JSON view (collective: every
/// rank must call it, as it gathers each rank's host, pid and memory), else its text lines.
template <class Report>
void show_report(const boost::mpi::communicator& comm, Output& out, const Report& report,
                 const ReportExtras& extras = {});

/// The JSON envelope every report has (see README, JSON): schema_version, command, ok, rankpool,
/// mpi, options, ranks, hosts/pids/max_rss_bytes/host_cpus by rank, seconds, results, detail;
/// `body` is the command's own part and `values` (if not null) becomes results.values.
/// Collective; the envelope is complete on rank 0.
[[nodiscard]] nlohmann::ordered_json envelope(const boost::mpi::communicator& comm,
                                              nlohmann::ordered_json body,
                                              nlohmann::ordered_json values);

/// The envelope from each rank's info already at hand (indexed by rank; a RankInfo with an empty
/// host is a rank that did not answer, null in the arrays by rank): not collective.
[[nodiscard]] nlohmann::ordered_json envelope_of(int ranks, const std::vector<RankInfo>& info,
                                                 nlohmann::ordered_json body,
                                                 nlohmann::ordered_json values);

/// The values a JSON-mode Output's sink collected, or null when none were handed over.
[[nodiscard]] nlohmann::ordered_json collected_values(Output& out);

template <class Report>
void show_report(const boost::mpi::communicator& comm, Output& out, const Report& report,
                 const ReportExtras& extras) {
    if (out.json()) {
        auto body = to_json(report);
        body["options"].update(extras.options);
        body["results"].update(extras.results);
        auto j = envelope(comm, std::move(body), collected_values(out));
        out.json_line(j);
    } else {
        for (const auto& l : to_text(report)) {
            out.line(l);
        }
        for (const auto& l : extras.text) {
            out.line(l);
        }
    }
}

} // namespace rankpool::cli
