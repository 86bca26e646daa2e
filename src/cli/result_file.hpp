// --output FILE: a results file that appears whole or not at all, and the sink that writes it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rankpool/result_format.hpp"

#include "commands/sink.hpp"

namespace CLI {
class App;
}

namespace rankpool::cli {

/// --output as validated while parsing: the path and the format its extension chose.
struct OutputFile {
    std::string path;
    FileFormat format = FileFormat::csv;
};

/// The path, or null: how reports echo --output.
[[nodiscard]] nlohmann::ordered_json to_json(const std::optional<OutputFile>& output);

/// Adds `--output FILE` to a map-style command, with the same help text on every command.
void add_output_option(CLI::App& command, std::string& path);

/// The validated --output: nothing when it was not given, else its path and format. Refuses (with
/// usage_error) a name without .csv or .npy. Pure, so every rank reaches the same verdict; whether
/// the folder takes the file is the root's to find out when the command runs (ResultsRoute).
[[nodiscard]] std::optional<OutputFile> parse_output(const std::string& path);

/// Removes the temporary of the AtomicFile being written, if any: async-signal-safe, for a stop
/// signal's handler (a run stopped by a signal writes no file, and mpirun may SIGKILL rank 0
/// before the stop completes).
void remove_temporary_on_stop() noexcept;

/// A file that appears whole or not at all: written to a temporary beside it (".NAME.tmp.PID"),
/// which commit() syncs and renames over it, syncing the folder too. discard(), the destructor and
/// SIGTERM, SIGINT or SIGHUP remove the temporary. Writes never throw: the first failure is kept
/// and commit() reports it. One process writes it (rank 0).
class AtomicFile {
public:
    explicit AtomicFile(std::string path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    /// Creates the temporary. Returns why the file cannot be written there ("--output folder 'out'
    /// does not exist"), or an empty string.
    [[nodiscard]] std::string open();
    /// Appends n bytes (nothing once a write has failed). A large write (>= 16 MiB, squares'
    /// gathered results to an .npy file) bypasses the page cache where the file system allows
    /// it: O_DIRECT from the caller's buffer (or an 8 MiB aligned bounce buffer when that is not
    /// 4 KiB-aligned), its unaligned ends through the cache. Filling 800 MB of fresh page cache
    /// costs seconds on a VM; a direct write runs at the disk's speed and leaves fsync little.
    void write(const void* data, std::size_t n);
    /// Syncs the temporary, renames it over the path and syncs the folder. Returns the one-line
    /// error ("writing --output r.npy failed: No space left on device"), or an empty string. On
    /// failure the temporary is removed.
    [[nodiscard]] std::string commit();
    /// Removes the temporary, if there is one.
    void discard() noexcept;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] double write_seconds() const noexcept { return write_seconds_; }
    [[nodiscard]] double sync_seconds() const noexcept { return sync_seconds_; }

private:
    [[nodiscard]] std::string failed(const std::string& what, int errnum);
    /// pwrite at the end, through the page cache.
    void put(const char* p, std::size_t n);
    /// The 4 KiB-aligned middle of a large write through O_DIRECT: returns the bytes written that
    /// way (0 where the file system refuses O_DIRECT: the caller writes them through the cache).
    std::size_t put_direct(const char* p, std::size_t n);
    void close_direct() noexcept;

    std::string path_;
    std::string temporary_;
    int fd_ = -1;
    int direct_fd_ = -1;          // the temporary opened again with O_DIRECT, for large writes
    bool direct_refused_ = false; // the file system said no (EINVAL): the page cache it is
    std::vector<unsigned char> bounce_; // holds an aligned buffer, for sources that are not
    int write_errno_ = 0;               // the first failed write's errno
    std::uint64_t bytes_ = 0;
    double write_seconds_ = 0;
    double sync_seconds_ = 0;
};

/// The sink that writes a command's results to a file in input order, whatever order they come
/// in: CSV (a header row "index,<input>,<value>", then one row per result) or NPY (the values
/// alone, typed by ResultsSpec::kind). Results that come early wait, encoded, until all before
/// them are in (only --unordered hands them over out of order). A block that comes in order goes
/// to an NPY file in one write, straight from the caller's buffer. Everything else it ignores.
class FileSink final : public commands::Sink {
public:
    FileSink(FileFormat format, AtomicFile& file) : format_(format), file_(file) {}

    void begin(const commands::ResultsSpec& spec) override;
    void result(std::uint64_t index, const commands::Value& input,
                const commands::Value& value) override;
    void results(std::uint64_t first, std::span<const std::uint64_t> values) override;
    void end() override { flush(); }
    void worker_line(std::string_view) override {}
    void heading(std::string_view) override {}
    void note(std::string_view) override {}
    void report(const commands::ReportView&) override {}

    /// Why the file does not hold every result (fewer came than begin() announced, or values NPY
    /// cannot hold), or an empty string.
    [[nodiscard]] std::string incomplete() const;
    /// Results written so far (in order).
    [[nodiscard]] std::uint64_t written() const noexcept { return next_; }
    /// The most results that waited at once for an earlier one.
    [[nodiscard]] std::size_t most_waiting() const noexcept { return most_waiting_; }

private:
    void encode(std::string& out, std::uint64_t index, const commands::Value& input,
                const commands::Value& value);
    void release_waiting();
    void flush();

    FileFormat format_;
    AtomicFile& file_;
    commands::ResultsSpec spec_;
    bool begun_ = false;
    std::string error_;
    std::string buf_;                              // encoded results in order, not yet written
    std::map<std::uint64_t, std::string> waiting_; // encoded results that came early, by index
    std::size_t most_waiting_ = 0;
    std::uint64_t next_ = 0; // the index the file takes next
};

} // namespace rankpool::cli
