// Where a command's results go: typed values handed to sinks the caller chose (screen, JSON, file).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace rankpool::commands {

/// A task's input or result as a command hands it to its sinks.
using Value = std::variant<std::uint64_t, double, std::string>;

/// The text form of a value: decimal for whole numbers, "%g" for reals, text as it is.
[[nodiscard]] std::string to_text(const Value& v);

/// Which alternative of Value a command's results all hold, for sinks that store them typed.
enum class ValueKind {
    uint64, ///< std::uint64_t
    real,   ///< double
    text,   ///< std::string
};

/// What a command's results are, said to the sinks once before its first result.
struct ResultsSpec {
    std::string input;       ///< the input column's name, e.g. "x" or "seconds"
    std::string value;       ///< the result column's name, e.g. "square" or "slept"
    std::string text_prefix; ///< the text printer writes text_prefix + value, e.g. "Done 5"
    std::uint64_t count = 0; ///< how many results the command can hand over (indices < count)
    bool live = false;       ///< each result is worth showing as it comes (flush per result)
    ValueKind kind = ValueKind::text; ///< what every result's value holds
};

/// A finished report in both of its views, for sinks that show reports as they come (demo shows
/// each example's report after its output).
struct ReportView {
    nlohmann::ordered_json json;
    std::vector<std::string> text;
};

/// The one seam between commands and the outside world. Results are handed over on the root only,
/// in the order the command releases them (input order unless the command says otherwise), every
/// result the command has: which of them are shown, stored or dropped is the sink's choice. Worker
/// lines come from any rank and any thread. Commands never print.
class Sink {
public:
    Sink() = default;
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;
    virtual ~Sink() = default;

    /// Before the first result of a command (root).
    virtual void begin(const ResultsSpec& spec) = 0;
    /// One result (root).
    virtual void result(std::uint64_t index, const Value& input, const Value& value) = 0;
    /// Results index first + i, whose input is their index, for i in [0, values.size()) (root):
    /// the bulk path of a map over a range. The default hands each to result().
    virtual void results(std::uint64_t first, std::span<const std::uint64_t> values);
    /// After the last result of a command (root).
    virtual void end() = 0;
    /// A line a worker says about its own work, e.g. "[rank 2] Sleeping for 3 seconds." (any
    /// rank, any thread; shown at once or not at all).
    virtual void worker_line(std::string_view line) = 0;
    /// A section heading of a composed command (demo) (root).
    virtual void heading(std::string_view title) = 0;
    /// A line of text that belongs to the report but comes before it ends (demo's "skipped: ...").
    virtual void note(std::string_view line) = 0;
    /// A finished part's report, for a composed command (demo) (root).
    virtual void report(const ReportView& view) = 0;
};

/// A sink that keeps nothing: for runs whose results nobody asked for.
class NullSink final : public Sink {
public:
    void begin(const ResultsSpec&) override {}
    void result(std::uint64_t, const Value&, const Value&) override {}
    void results(std::uint64_t, std::span<const std::uint64_t>) override {}
    void end() override {}
    void worker_line(std::string_view) override {}
    void heading(std::string_view) override {}
    void note(std::string_view) override {}
    void report(const ReportView&) override {}
};

} // namespace rankpool::commands
