// Where a map-style command's results go: the screen (shown or not) and, with --output, a file.
#include "results_route.hpp"

#include <cstdio>
#include <utility>

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/serialization/string.hpp>

#include "rankpool/errors.hpp"
#include "rankpool/wait.hpp"

namespace rankpool::cli {

namespace {

/// The screen's sink without the results: worker lines, headings, notes and reports pass.
class WithoutResults final : public commands::Sink {
public:
    explicit WithoutResults(commands::Sink& screen) : screen_(screen) {}

    void begin(const commands::ResultsSpec&) override {}
    void result(std::uint64_t, const commands::Value&, const commands::Value&) override {}
    void results(std::uint64_t, std::span<const std::uint64_t>) override {}
    void end() override {}
    void worker_line(std::string_view line) override { screen_.worker_line(line); }
    void heading(std::string_view title) override { screen_.heading(title); }
    void note(std::string_view line) override { screen_.note(line); }
    void report(const commands::ReportView& view) override { screen_.report(view); }

private:
    commands::Sink& screen_;
};

/// Hands every call to two sinks, the first first.
class TeeSink final : public commands::Sink {
public:
    TeeSink(commands::Sink& a, commands::Sink& b) : a_(a), b_(b) {}

    void begin(const commands::ResultsSpec& spec) override {
        a_.begin(spec);
        b_.begin(spec);
    }
    void result(std::uint64_t index, const commands::Value& input,
                const commands::Value& value) override {
        a_.result(index, input, value);
        b_.result(index, input, value);
    }
    void results(std::uint64_t first, std::span<const std::uint64_t> values) override {
        a_.results(first, values);
        b_.results(first, values);
    }
    void end() override {
        a_.end();
        b_.end();
    }
    void worker_line(std::string_view line) override {
        a_.worker_line(line);
        b_.worker_line(line);
    }
    void heading(std::string_view title) override {
        a_.heading(title);
        b_.heading(title);
    }
    void note(std::string_view line) override {
        a_.note(line);
        b_.note(line);
    }
    void report(const commands::ReportView& view) override {
        a_.report(view);
        b_.report(view);
    }

private:
    commands::Sink& a_;
    commands::Sink& b_;
};

/// Rank 0's string on every rank.
std::string from_root(const boost::mpi::communicator& comm, std::string s) {
    boost::mpi::broadcast(comm, s, 0);
    return s;
}

} // namespace

ResultsRoute::ResultsRoute(const boost::mpi::communicator& comm, Output& out, bool show_results,
                           std::optional<OutputFile> file)
    : output_(std::move(file)) {
    if (!show_results) {
        screen_ = std::make_unique<WithoutResults>(out.sink());
    }
    commands::Sink& screen = screen_ ? *screen_ : out.sink();
    sink_ = &screen;
    if (!output_) {
        return;
    }
    std::string why;
    if (comm.rank() == 0) {
        file_ = std::make_unique<AtomicFile>(output_->path);
        why = file_->open();
    }
    why = from_root(comm, why);
    if (!why.empty()) {
        throw usage_error(why); // every rank alike, before any work
    }
    if (comm.rank() == 0) {
        file_sink_ = std::make_unique<FileSink>(output_->format, *file_);
        tee_ = std::make_unique<TeeSink>(screen, *file_sink_);
        sink_ = tee_.get();
    }
}

ResultsRoute::~ResultsRoute() = default;

std::string ResultsRoute::finish(const boost::mpi::communicator& comm, bool ok) {
    if (!output_) {
        return "";
    }
    std::string error;
    if (comm.rank() == 0) {
        const std::string missing = file_sink_->incomplete();
        if (!ok) {
            file_->discard(); // a failed run leaves no file; its own error says why
        } else if (!missing.empty()) {
            file_->discard();
            error = "writing --output " + output_->path + " failed: " + missing;
        } else {
            error = file_->commit();
            written_ = error.empty();
        }
    }
    quiet_barrier(comm); // the other ranks leave the cores to rank 0's writing and syncing
    return from_root(comm, error);
}

ReportExtras ResultsRoute::extras() const {
    ReportExtras x;
    x.options["output"] = to_json(output_);
    if (!output_ || !file_) {
        return x;
    }
    const std::string format(to_string(output_->format));
    x.results["file"] = {{"path", output_->path}, {"format", format}, {"written", written_}};
    if (!written_) {
        x.text.push_back("output: " + output_->path + " not written");
        return x;
    }
    x.results["file"]["count"] = file_sink_->written();
    x.results["file"]["bytes"] = file_->bytes();
    x.results["file"]["write_seconds"] = file_->write_seconds();
    x.results["file"]["sync_seconds"] = file_->sync_seconds();
    char line[160];
    std::snprintf(line, sizeof line, " (%s, %llu results, %llu bytes; write %.6f s, fsync %.6f s)",
                  format.c_str(), static_cast<unsigned long long>(file_sink_->written()),
                  static_cast<unsigned long long>(file_->bytes()), file_->write_seconds(),
                  file_->sync_seconds());
    x.text.push_back("output: " + output_->path + line);
    return x;
}

} // namespace rankpool::cli
