// Where a map-style command's results go: the screen (shown or not) and, with --output, a file.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/mpi/communicator.hpp>

#include "commands/sink.hpp"
#include "output.hpp"
#include "result_file.hpp"

namespace rankpool::cli {

/// The sink a map-style command (squares, sleep) runs with, built from its options: the screen's
/// sink (Output::sink, with or without the results) and, with --output, a FileSink on rank 0, fed
/// through a tee. The commands never see which.
class ResultsRoute {
public:
    /// Collective, before any work: with a file, rank 0 creates its temporary and every rank
    /// learns whether it could, raising usage_error alike if not (a folder that does not exist or
    /// cannot be written: exit 2 on every rank). `show_results`: the screen shows each result
    /// (squares --print, sleep without --quiet); worker lines and notes always reach it.
    ResultsRoute(const boost::mpi::communicator& comm, Output& out, bool show_results,
                 std::optional<OutputFile> file);
    ResultsRoute(const ResultsRoute&) = delete;
    ResultsRoute& operator=(const ResultsRoute&) = delete;
    ~ResultsRoute();

    /// The sink to hand the command.
    [[nodiscard]] commands::Sink& sink() noexcept { return *sink_; }

    /// Collective, after the command: with a file, rank 0 renames it into place if the run `ok`
    /// and every result came, else removes it, while the other ranks wait without spinning.
    /// Returns the one-line error when the file could not be written, the same on every rank, or
    /// an empty string (also when the run failed).
    [[nodiscard]] std::string finish(const boost::mpi::communicator& comm, bool ok);

    /// What the report gains: options.output (the path or null); with a file, results.file and a
    /// text line saying where the results went (rank 0's view).
    [[nodiscard]] ReportExtras extras() const;

private:
    std::optional<OutputFile> output_;
    std::unique_ptr<AtomicFile> file_;       // rank 0 with --output
    std::unique_ptr<FileSink> file_sink_;    // rank 0 with --output
    std::unique_ptr<commands::Sink> screen_; // the screen without results, when not shown
    std::unique_ptr<commands::Sink> tee_;    // screen and file
    commands::Sink* sink_ = nullptr;
    bool written_ = false;
};

} // namespace rankpool::cli
