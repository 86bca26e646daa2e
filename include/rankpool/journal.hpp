// An append-only journal of finished tasks (index, result bytes), checksummed, for resuming. No
// MPI.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rankpool {

/// Thrown when a journal cannot be used: another run's, corrupt before its last record, or a
/// file that cannot be read or written. what() is one line.
class journal_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The CRC-32 (IEEE 802.3, zlib's) of `bytes`, continuing from `crc` (0 to start).
[[nodiscard]] std::uint32_t crc32(std::span<const unsigned char> bytes, std::uint32_t crc = 0);

/// The 64-bit FNV-1a hash of `bytes`, continuing from `h`: a fingerprint of a run's inputs.
[[nodiscard]] std::uint64_t fnv1a64(std::span<const unsigned char> bytes,
                                    std::uint64_t h = 0xcbf29ce484222325ULL);

/// The file format. A journal is the 8 bytes `journal_magic`, then records, each framed as
///   u32 length (of the payload, little-endian), u32 CRC-32 of the payload, payload.
/// The first record's payload is 'H' then the header text (what identifies the run); every
/// other record's payload is either
///   'R', the task index (u64, little-endian), then its result's bytes: one result; or
///   'C', a count (u32), then per result its index (u64), its size (u32) and its bytes: the
///   results of one chunk, in one record (one write, one CRC); or
///   'S', the first index (u64), a count (u32), a size (u32), then count results of that size
///   back to back: a chunk of consecutive tasks with results of one size (what JournalWriter
///   makes of such a 'C'); or
///   'F', the task index (u64), then the error's text: a task that failed (its retries spent).
///   A later 'R' or 'C' result for the same task supersedes it (a rerun succeeded).
/// Format 2 added 'C', 'S' and 'F'; a format-1 journal ("RPJRNL1\n") is refused with journal_error
/// saying so.
inline constexpr std::string_view journal_magic = "RPJRNL2\n";
inline constexpr std::string_view journal_magic_v1 = "RPJRNL1\n";
/// The largest payload a record may claim: a longer length is damage, not a record.
inline constexpr std::uint32_t journal_max_payload = 64U << 20;
/// The largest result a record holds (the payload less 'R' and the index); append() refuses more.
inline constexpr std::size_t journal_max_result = journal_max_payload - 1 - sizeof(std::uint64_t);

/// One framed header record.
[[nodiscard]] std::vector<unsigned char> journal_header_record(std::string_view header);
/// One framed result record.
[[nodiscard]] std::vector<unsigned char>
journal_result_record(std::uint64_t index, std::span<const unsigned char> bytes);

/// A task's result as the journal holds it.
struct JournalEntry {
    std::uint64_t index = 0;
    std::vector<unsigned char> result;
};

/// One framed failure record: task `index` failed with `message`.
[[nodiscard]] std::vector<unsigned char> journal_failure_record(std::uint64_t index,
                                                                std::string_view message);

/// One framed chunk record of `entries` (at least one).
[[nodiscard]] std::vector<unsigned char>
journal_chunk_record(std::span<const JournalEntry> entries);

/// What a journal's bytes hold, once validated.
struct JournalContents {
    std::string header;                 ///< the header text
    std::vector<JournalEntry> entries;  ///< in the order they were written
    std::vector<JournalEntry> failures; ///< failed tasks (result: the error's text), as written
    std::uint64_t valid_bytes = 0;      ///< where the last whole record ends
    std::uint64_t dropped_bytes = 0;    ///< a torn last record (a write cut short), dropped
};

/// Reads a journal's bytes. A damaged record at the end (cut short, a bad checksum on the last
/// record, or nothing but zero bytes from there on, as a crash can leave) is a torn write:
/// dropped, and counted in dropped_bytes. A damaged record followed by more records is
/// corruption: journal_error naming the record (1 = the header), as is a length no record has
/// (0 or over journal_max_payload) anywhere: no torn write leaves a whole, wrong length. Bytes
/// that do not start with the magic are journal_error too. Empty bytes are a journal with no header
/// (header empty).
[[nodiscard]] JournalContents read_journal(std::span<const unsigned char> bytes);

/// When a writer makes its records durable (fdatasync): after `records` records or `seconds`
/// since the last time, whichever comes first, and always at sync() and close.
struct JournalBatch {
    std::uint64_t records = 1024;
    double seconds = 1.0;
};

/// Appends result records to a journal file. Each record is written (write(2)) as it is
/// appended, so a killed process loses none; fdatasync runs per batch, so a crash of the machine
/// loses at most the last batch.
class JournalWriter {
public:
    /// Opens (creating if missing) `path` for a run identified by `header`. An existing journal
    /// is read first: its entries are returned by contents(); a torn tail is cut off; a header
    /// that differs from `header` is journal_error ("... was written for other inputs").
    JournalWriter(const std::string& path, const std::string& header, JournalBatch batch = {});
    JournalWriter(const JournalWriter&) = delete;
    JournalWriter& operator=(const JournalWriter&) = delete;
    /// Syncs and closes (errors ignored here: call sync() to see them).
    ~JournalWriter();

    /// What the file held when opened (entries of earlier runs).
    [[nodiscard]] const JournalContents& contents() const noexcept { return contents_; }
    /// Appends task `index`'s result. Throws journal_error if the write fails.
    void append(std::uint64_t index, std::span<const unsigned char> result);
    /// Appends that task `index` failed with `message` (journal_failed lists it until a result
    /// for it is appended). Throws journal_error if the write fails.
    void append_failure(std::uint64_t index, std::string_view message);
    /// Adds task `index`'s result to the chunk record being built: nothing is written until
    /// end_chunk().
    void add(std::uint64_t index, std::span<const unsigned char> result);
    /// Writes the results add()ed since the last call as one chunk record (one write(2); an 'S'
    /// record when their indices are consecutive and their sizes equal, else a 'C'), and
    /// syncs as append does (a record counts once). Nothing when there are none.
    void end_chunk();
    /// Makes every appended record durable now.
    void sync();
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    void write_all(std::span<const unsigned char> bytes);
    bool write_chunk();  // the chunk record being built, if any: whether there was one
    void written();      // a record went out: sync when the batch says so
    void sync_written(); // fdatasync what went out, if anything did

    std::string path_;
    int fd_ = -1;
    JournalBatch batch_;
    JournalContents contents_;
    std::uint64_t unsynced_ = 0;
    std::vector<unsigned char> chunk_; // the frame and payload of the chunk record being built
    std::uint32_t chunk_count_ = 0;
    std::chrono::steady_clock::time_point last_sync_;
};

/// The task indices in [0, n) that `contents` holds no result for, ascending: the tasks a resumed
/// run still has to do. An index >= n is journal_error.
[[nodiscard]] std::vector<std::uint64_t> journal_todo(const JournalContents& contents,
                                                      std::uint64_t n);

/// The task indices in [0, n) that `contents` records as failed and holds no result for,
/// ascending: what --resume-failed runs again. An index >= n is journal_error.
[[nodiscard]] std::vector<std::uint64_t> journal_failed(const JournalContents& contents,
                                                        std::uint64_t n);

} // namespace rankpool
