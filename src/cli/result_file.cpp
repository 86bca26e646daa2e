// --output FILE: a results file that appears whole or not at all, and the sink that writes it.
#include "result_file.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>
#include <variant>

#include <CLI/CLI.hpp>

#include "rankpool/errors.hpp"

namespace rankpool::cli {

namespace {

constexpr std::size_t write_at = 1u << 20;     // the sink's buffer is written out at 1 MiB
constexpr std::size_t direct_at = 16u << 20;   // a write this large goes around the page cache,
constexpr std::size_t direct_align = 4096;     // in blocks aligned so (O_DIRECT's rule),
constexpr std::size_t direct_chunk = 8u << 20; // at most this much per pwrite (the bounce size)

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The temporary a signal handler removes: one at a time (rank 0 writes one file per run).
char signal_temporary[4096] = {};

extern "C" void remove_temporary_and_die(int sig) {
    if (signal_temporary[0] != '\0') {
        ::unlink(signal_temporary); // async-signal-safe
    }
    std::raise(sig); // SA_RESETHAND restored the default: the process ends as the signal says
}

/// Removes the temporary if the run is ended by a signal (mpirun ends the other ranks with
/// SIGTERM when one dies), unless the program already handles that signal.
void remove_on_signals(const std::string& temporary) {
    if (temporary.size() >= sizeof signal_temporary) {
        return; // too long to keep; the destructor still removes it on every other path
    }
    std::memcpy(signal_temporary, temporary.c_str(), temporary.size() + 1);
    for (const int sig : {SIGTERM, SIGINT, SIGHUP}) {
        struct sigaction old {};
        if (sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) {
            continue;
        }
        struct sigaction sa {};
        sa.sa_handler = remove_temporary_and_die;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, nullptr);
    }
}

void forget_on_signals() {
    signal_temporary[0] = '\0';
}

} // namespace

void remove_temporary_on_stop() noexcept {
    if (signal_temporary[0] != '\0') {
        ::unlink(signal_temporary); // async-signal-safe
    }
}

namespace {

/// The one-line reason `folder` cannot take a new file, or an empty string.
std::string folder_problem(const std::string& folder) {
    struct stat st {};
    if (::stat(folder.c_str(), &st) != 0) {
        return errno == ENOENT ? "--output folder '" + folder + "' does not exist"
                               : "--output folder '" + folder + "': " + std::strerror(errno);
    }
    if (!S_ISDIR(st.st_mode)) {
        return "--output folder '" + folder + "' is not a folder";
    }
    return "";
}

void append_value(std::string& out, const commands::Value& v) {
    std::visit([&](const auto& x) { append_csv_field(out, x); }, v);
}

template <class T>
void append_raw(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

} // namespace

nlohmann::ordered_json to_json(const std::optional<OutputFile>& output) {
    return output ? nlohmann::ordered_json(output->path) : nlohmann::ordered_json(nullptr);
}

void add_output_option(CLI::App& command, std::string& path) {
    command
        .add_option("--output", path,
                    "also write the results to FILE, in input order, as the extension says:\n"
                    ".csv (index,input,value rows) or .npy (NumPy's format: numpy.load(FILE));\n"
                    "the file appears whole or not at all (written beside it, then renamed)")
        ->type_name("FILE");
}

std::optional<OutputFile> parse_output(const std::string& path) {
    if (path.empty()) {
        return std::nullopt;
    }
    const auto format = file_format(path);
    if (!format) {
        throw usage_error("--output must name a " + std::string(accepted_extensions()) +
                          " file, got '" + path + "'");
    }
    return OutputFile{path, *format};
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {}

AtomicFile::~AtomicFile() {
    discard();
}

std::string AtomicFile::open() {
    const std::string folder = parent_folder(path_);
    if (std::string why = folder_problem(folder); !why.empty()) {
        return why;
    }
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return "--output '" + path_ + "' is a folder";
    }
    temporary_ = temporary_path(path_, static_cast<long>(::getpid()));
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) {
        const int e = errno;
        temporary_.clear();
        return "--output folder '" + folder + "' cannot be written: " + std::strerror(e);
    }
    remove_on_signals(temporary_);
    return "";
}

void AtomicFile::write(const void* data, std::size_t n) {
    if (fd_ < 0 || write_errno_ != 0) {
        return;
    }
    const double t0 = now();
    const auto* p = static_cast<const char*>(data);
    if (n >= direct_at && !direct_refused_) {
        // the cache takes the bytes up to a 4 KiB-aligned offset, O_DIRECT the aligned middle
        const std::size_t head = std::min(n, (direct_align - bytes_ % direct_align) % direct_align);
        put(p, head);
        const std::size_t middle = (n - head) / direct_align * direct_align;
        const std::size_t direct = write_errno_ == 0 ? put_direct(p + head, middle) : 0;
        p += head + direct;
        n -= head + direct;
    }
    put(p, n);
    write_seconds_ += now() - t0;
}

void AtomicFile::put(const char* p, std::size_t n) {
    while (n > 0 && write_errno_ == 0) {
        const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(bytes_));
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            write_errno_ = w < 0 ? errno : EIO;
            break;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        bytes_ += static_cast<std::uint64_t>(w);
    }
}

std::size_t AtomicFile::put_direct(const char* p, std::size_t n) {
    if (n == 0) {
        return 0;
    }
    if (direct_fd_ < 0) {
        direct_fd_ = ::open(temporary_.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
        if (direct_fd_ < 0) {
            direct_refused_ = true; // e.g. a file system without O_DIRECT
            return 0;
        }
    }
    std::size_t done = 0;
    while (done < n) {
        const std::size_t k = std::min(direct_chunk, n - done);
        const char* src = p + done;
        if (reinterpret_cast<std::uintptr_t>(src) % direct_align != 0) {
            if (bounce_.empty()) { // one block more, to start on an aligned address within it
                bounce_.resize(direct_chunk + direct_align);
            }
            const auto at = reinterpret_cast<std::uintptr_t>(bounce_.data());
            unsigned char* aligned =
                bounce_.data() + (direct_align - at % direct_align) % direct_align;
            std::memcpy(aligned, src, k);
            src = reinterpret_cast<const char*>(aligned);
        }
        const ssize_t w = ::pwrite(direct_fd_, src, k, static_cast<off_t>(bytes_));
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && errno == EINVAL && done == 0) {
            direct_refused_ = true; // alignment or O_DIRECT refused: the cache takes it all
            break;
        }
        if (w < 0) {
            write_errno_ = errno;
            break;
        }
        done += static_cast<std::size_t>(w);
        bytes_ += static_cast<std::uint64_t>(w);
        if (static_cast<std::size_t>(w) != k) {
            break; // a short write (a full disk?): the cache takes the rest and says why
        }
    }
    return done;
}

void AtomicFile::close_direct() noexcept {
    if (direct_fd_ >= 0) {
        ::close(direct_fd_);
        direct_fd_ = -1;
    }
    bounce_ = {};
}

std::string AtomicFile::failed(const std::string& what, int errnum) {
    discard();
    return "writing --output " + path_ + " failed" + (what.empty() ? "" : " (" + what + ")") +
           ": " + std::strerror(errnum);
}

std::string AtomicFile::commit() {
    if (fd_ < 0) {
        return "writing --output " + path_ + " failed: the file was not open";
    }
    if (write_errno_ != 0) {
        return failed("", write_errno_);
    }
    const double t0 = now();
    close_direct();
    if (::fsync(fd_) != 0) { // the direct writes' file size and the cached ends
        return failed("fsync", errno);
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        return failed("close", errno);
    }
    if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
        return failed("rename", errno);
    }
    forget_on_signals();
    temporary_.clear();
    // The rename is durable once the folder is synced; a folder that cannot be opened or synced
    // (some file systems refuse fsync on a directory) does not undo a file already in place.
    const int dir = ::open(parent_folder(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    sync_seconds_ = now() - t0;
    return "";
}

void AtomicFile::discard() noexcept {
    close_direct();
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (!temporary_.empty()) {
        ::unlink(temporary_.c_str());
        forget_on_signals();
        temporary_.clear();
    }
}

void FileSink::begin(const commands::ResultsSpec& spec) {
    spec_ = spec;
    begun_ = true;
    if (format_ == FileFormat::csv) {
        append_csv_field(buf_, std::string_view("index"));
        buf_.push_back(',');
        append_csv_field(buf_, std::string_view(spec.input));
        buf_.push_back(',');
        append_csv_field(buf_, std::string_view(spec.value));
        buf_.push_back('\n');
    } else if (spec.kind == commands::ValueKind::text) {
        error_ = "an .npy file holds numbers, and these results are text: use .csv";
    } else {
        const auto t =
            spec.kind == commands::ValueKind::uint64 ? NpyType::uint64 : NpyType::float64;
        buf_ = npy_header(t, spec.count);
    }
}

void FileSink::encode(std::string& out, std::uint64_t index, const commands::Value& input,
                      const commands::Value& value) {
    if (format_ == FileFormat::csv) {
        append_csv_field(out, index);
        out.push_back(',');
        append_value(out, input);
        out.push_back(',');
        append_value(out, value);
        out.push_back('\n');
        return;
    }
    std::visit(
        [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::string>) {
                error_ = "an .npy file holds numbers, and these results are text: use .csv";
            } else if (spec_.kind == commands::ValueKind::uint64) {
                append_raw(out, static_cast<std::uint64_t>(v));
            } else {
                append_raw(out, static_cast<double>(v));
            }
        },
        value);
}

void FileSink::result(std::uint64_t index, const commands::Value& input,
                      const commands::Value& value) {
    if (index < next_ || waiting_.contains(index)) {
        return; // already in: a result is written once
    }
    if (index != next_) {
        std::string early;
        encode(early, index, input, value);
        waiting_.emplace(index, std::move(early));
        most_waiting_ = std::max(most_waiting_, waiting_.size());
        return;
    }
    encode(buf_, index, input, value);
    ++next_;
    release_waiting();
    if (buf_.size() >= write_at) {
        flush();
    }
}

void FileSink::results(std::uint64_t first, std::span<const std::uint64_t> values) {
    const bool in_order = first == next_ && waiting_.empty();
    if (in_order && format_ == FileFormat::npy && spec_.kind == commands::ValueKind::uint64) {
        flush();
        file_.write(values.data(), values.size_bytes()); // one write, from the caller's buffer
        next_ += values.size();
    } else if (in_order && format_ == FileFormat::csv) {
        for (const std::uint64_t v : values) {
            append_csv_field(buf_, next_); // the input of a map over a range is its index
            buf_.push_back(',');
            append_csv_field(buf_, next_);
            buf_.push_back(',');
            append_csv_field(buf_, v);
            buf_.push_back('\n');
            ++next_;
            if (buf_.size() >= write_at) {
                flush();
            }
        }
    } else {
        for (std::size_t i = 0; i < values.size(); ++i) {
            result(first + i, commands::Value{first + i}, commands::Value{values[i]});
        }
    }
}

void FileSink::release_waiting() {
    while (!waiting_.empty() && waiting_.begin()->first == next_) {
        buf_ += waiting_.begin()->second;
        waiting_.erase(waiting_.begin());
        ++next_;
    }
}

void FileSink::flush() {
    if (!buf_.empty()) {
        file_.write(buf_.data(), buf_.size());
        buf_.clear();
    }
}

std::string FileSink::incomplete() const {
    if (!error_.empty()) {
        return error_;
    }
    if (!begun_) {
        return "the command handed over no results";
    }
    if (next_ != spec_.count) {
        return "only " + std::to_string(next_) + " of " + std::to_string(spec_.count) +
               " results came in order";
    }
    return "";
}

} // namespace rankpool::cli
