// The one place rankpool's output leaves, and the two sinks that turn results into it.
#include "output.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace rankpool::cli {

namespace {

constexpr std::size_t flush_at = 1u << 16;

/// The text printer: one line per result (text_prefix + value), worker lines at once, reports
/// of composed commands as text. Results are buffered, or flushed one by one when the command
/// calls them live.
class TextSink final : public commands::Sink {
public:
    explicit TextSink(Output& out) : out_(out) {}

    void begin(const commands::ResultsSpec& spec) override { spec_ = spec; }
    void result(std::uint64_t, const commands::Value&, const commands::Value& value) override {
        out_.line(spec_.text_prefix + commands::to_text(value));
        if (spec_.live) {
            out_.flush();
        }
    }
    void results(std::uint64_t, std::span<const std::uint64_t> values) override {
        std::array<char, 24> s{};
        for (const std::uint64_t v : values) {
            const auto* const end = std::to_chars(s.data(), s.data() + s.size(), v).ptr;
            out_.line({s.data(), static_cast<std::size_t>(end - s.data())});
        }
    }
    void end() override { out_.flush(); }
    void worker_line(std::string_view line) override { out_.immediate(line); }
    void heading(std::string_view title) override {
        out_.line("");
        out_.line("== " + std::string(title));
        out_.flush();
    }
    void note(std::string_view line) override { out_.line(line); }
    void report(const commands::ReportView& view) override {
        for (const auto& l : view.text) {
            out_.line(l);
        }
        out_.flush();
    }

private:
    Output& out_;
    commands::ResultsSpec spec_;
};

/// The JSON collector: keeps each result's value at its index, for the report's results.values;
/// prints nothing (stdout carries the report alone).
// Its implicit destructor destroys a json array, and nlohmann::json's destructor reserves a
// std::vector on the way (std::length_error in theory): nothing of ours can throw there.
// NOLINTNEXTLINE(bugprone-exception-escape)
class JsonSink final : public commands::Sink {
public:
    void begin(const commands::ResultsSpec& spec) override {
        values_ = nlohmann::ordered_json::array();
        values_.get_ref<nlohmann::ordered_json::array_t&>().resize(spec.count);
    }
    void result(std::uint64_t index, const commands::Value&, const commands::Value& v) override {
        std::visit([&](const auto& x) { at(index) = x; }, v);
    }
    void results(std::uint64_t first, std::span<const std::uint64_t> values) override {
        for (std::size_t i = 0; i < values.size(); ++i) {
            at(first + i) = values[i];
        }
    }
    void end() override {}
    void worker_line(std::string_view) override {}
    void heading(std::string_view) override {}
    void note(std::string_view) override {}
    void report(const commands::ReportView&) override {}

    [[nodiscard]] nlohmann::ordered_json take() { return std::move(values_); }

private:
    nlohmann::ordered_json& at(std::uint64_t i) {
        if (!values_.is_array()) {
            values_ = nlohmann::ordered_json::array(); // results without begin(): no count known
        }
        auto& a = values_.get_ref<nlohmann::ordered_json::array_t&>();
        if (i >= a.size()) {
            a.resize(i + 1);
        }
        return a[i];
    }
    nlohmann::ordered_json values_; // null until a command hands results over
};

} // namespace

Output::Output(bool is_root, bool json, std::FILE* out, std::FILE* err)
    : is_root_(is_root), json_(json), out_(out), err_(err) {
    if (json) {
        sink_ = std::make_unique<JsonSink>();
    } else {
        sink_ = std::make_unique<TextSink>(*this);
    }
}

Output::~Output() {
    flush();
}

void Output::note_failure(int errnum) {
    int none = 0;
    write_errno_.compare_exchange_strong(none, errnum != 0 ? errnum : EIO);
}

std::string Output::write_error() const {
    const int e = write_errno_.load();
    return e == 0 ? std::string() : std::string(std::strerror(e));
}

void Output::line(std::string_view text) {
    if (!is_root_) {
        return;
    }
    buf_.append(text);
    buf_.push_back('\n');
    if (buf_.size() >= flush_at) {
        flush();
    }
}

void Output::write(std::string_view bytes) {
    if (!is_root_) {
        return;
    }
    buf_.append(bytes);
    if (buf_.size() >= flush_at) {
        flush();
    }
}

void Output::write_err(std::string_view bytes) {
    if (!is_root_ || bytes.empty()) {
        return;
    }
    flush();
    std::fwrite(bytes.data(), 1, bytes.size(), err_);
    std::fflush(err_);
}

void Output::json_line(const nlohmann::ordered_json& j) {
    if (is_root_) {
        // Invalid UTF-8 (a command's output) becomes U+FFFD rather than an exception.
        line(j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
        flush();
    }
}

void Output::immediate(std::string_view text) {
    std::string l(text);
    l.push_back('\n');
    errno = 0;
    if (std::fwrite(l.data(), 1, l.size(), out_) != l.size() || std::fflush(out_) != 0) {
        note_failure(errno);
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

void Output::flush() {
    errno = 0;
    if (!buf_.empty()) {
        if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) {
            note_failure(errno);
        }
        buf_.clear();
    }
    if (std::fflush(out_) != 0 || std::ferror(out_) != 0) {
        note_failure(errno);
    }
}

nlohmann::ordered_json collected_values(Output& out) {
    auto* json = dynamic_cast<JsonSink*>(&out.sink());
    return json != nullptr ? json->take() : nlohmann::ordered_json(nullptr);
}

} // namespace rankpool::cli
