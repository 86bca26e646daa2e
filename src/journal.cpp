// The journal's record format, its reader (validation, torn tails) and its append-only writer.
#include "rankpool/journal.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace rankpool {

namespace {

constexpr std::size_t frame_bytes = 8; // u32 length, u32 CRC-32

std::array<std::uint32_t, 256> crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        }
        t[i] = c;
    }
    return t;
}

void put_le(std::vector<unsigned char>& out, std::uint64_t v, int bytes) {
    for (int k = 0; k < bytes; ++k) {
        out.push_back(static_cast<unsigned char>(v >> (8 * k)));
    }
}

std::uint64_t get_le(const unsigned char* p, int bytes) {
    std::uint64_t v = 0;
    for (int k = bytes - 1; k >= 0; --k) {
        v = (v << 8) | p[k];
    }
    return v;
}

std::vector<unsigned char> frame(std::span<const unsigned char> payload) {
    std::vector<unsigned char> r;
    r.reserve(frame_bytes + payload.size());
    put_le(r, payload.size(), 4);
    put_le(r, crc32(payload), 4);
    r.insert(r.end(), payload.begin(), payload.end());
    return r;
}

std::string errno_text() {
    return std::strerror(errno);
}

/// A framed 'C' record (its frame not filled in yet) whose results have one size and consecutive
/// indices becomes an 'S' record in place: 'S', the first index (u64), the count (u32), the size
/// (u32), then the results' bytes back to back. What squares' chunks are: 8 bytes per result,
/// not 20.
void compact_chunk(std::vector<unsigned char>& r) {
    const std::size_t entries = frame_bytes + 5;
    const auto count = get_le(r.data() + frame_bytes + 1, 4);
    const auto first = get_le(r.data() + entries, 8);
    const auto size = static_cast<std::size_t>(get_le(r.data() + entries + 8, 4));
    for (std::uint64_t k = 0; k < count; ++k) {
        const unsigned char* e = r.data() + entries + k * (12 + size);
        if (get_le(e, 8) != first + k || get_le(e + 8, 4) != size) {
            return; // not one run: the record stays a 'C'
        }
    }
    const std::size_t values = frame_bytes + 17;
    for (std::uint64_t k = 0; k < count; ++k) { // forward: each lands at or before its source
        std::memmove(r.data() + values + k * size, r.data() + entries + k * (12 + size) + 12, size);
    }
    r[frame_bytes] = 'S';
    for (int k = 0; k < 8; ++k) {
        r[frame_bytes + 1 + static_cast<std::size_t>(k)] =
            static_cast<unsigned char>(first >> (8 * k));
    }
    for (int k = 0; k < 4; ++k) {
        r[frame_bytes + 9 + static_cast<std::size_t>(k)] =
            static_cast<unsigned char>(count >> (8 * k));
        r[frame_bytes + 13 + static_cast<std::size_t>(k)] =
            static_cast<unsigned char>(size >> (8 * k));
    }
    r.resize(values + count * size);
}

/// Whether an 'S' payload's length is its count times its size (and it has results).
bool whole_span(std::span<const unsigned char> payload) {
    if (payload.size() < 17) {
        return false;
    }
    const auto count = get_le(payload.data() + 9, 4);
    const auto size = get_le(payload.data() + 13, 4);
    return count > 0 && payload.size() - 17 == count * size;
}

/// Whether a 'C' payload's count, sizes and length agree (its CRC held: otherwise a bug).
bool whole_chunk(std::span<const unsigned char> payload) {
    if (payload.size() < 5) {
        return false;
    }
    const auto count = get_le(payload.data() + 1, 4);
    std::size_t o = 5;
    for (std::uint64_t k = 0; k < count; ++k) {
        if (payload.size() - o < 12) {
            return false;
        }
        const auto size = get_le(payload.data() + o + 8, 4);
        o += 12;
        if (payload.size() - o < size) {
            return false;
        }
        o += size;
    }
    return count > 0 && o == payload.size();
}

/// Why the record at `o` is damaged, or empty when it is whole. `end` is where it ends.
std::string check_record(std::span<const unsigned char> bytes, std::size_t o, bool first,
                         std::size_t& end, bool& cut_short) {
    cut_short = false;
    if (bytes.size() - o < frame_bytes) {
        cut_short = true;
        return "cut short";
    }
    const auto len = get_le(bytes.data() + o, 4);
    const auto crc = static_cast<std::uint32_t>(get_le(bytes.data() + o + 4, 4));
    if (len == 0 || len > journal_max_payload) {
        end = 0; // no torn write leaves a whole, wrong length: damage wherever it is
        return "a length of " + std::to_string(len);
    }
    if (len > bytes.size() - o - frame_bytes) {
        cut_short = true;
        return "cut short";
    }
    end = o + frame_bytes + len;
    const auto payload = bytes.subspan(o + frame_bytes, len);
    if (crc32(payload) != crc) {
        return "a bad checksum";
    }
    const unsigned char type = payload[0];
    if (first
            ? type != 'H'
            : !((type == 'R' || type == 'F') && len >= 9) &&
                  !(type == 'C' && whole_chunk(payload)) && !(type == 'S' && whole_span(payload))) {
        return "an unknown record type";
    }
    return {};
}

} // namespace

std::uint32_t crc32(std::span<const unsigned char> bytes, std::uint32_t crc) {
    static const auto table = crc_table();
    crc = ~crc;
    for (const unsigned char b : bytes) {
        crc = table[(crc ^ b) & 0xFFU] ^ (crc >> 8);
    }
    return ~crc;
}

std::uint64_t fnv1a64(std::span<const unsigned char> bytes, std::uint64_t h) {
    for (const unsigned char b : bytes) {
        h = (h ^ b) * 0x100000001b3ULL;
    }
    return h;
}

std::vector<unsigned char> journal_header_record(std::string_view header) {
    std::vector<unsigned char> payload = {'H'};
    payload.insert(payload.end(), header.begin(), header.end());
    return frame(payload);
}

std::vector<unsigned char> journal_result_record(std::uint64_t index,
                                                 std::span<const unsigned char> bytes) {
    std::vector<unsigned char> payload = {'R'};
    put_le(payload, index, 8);
    payload.insert(payload.end(), bytes.begin(), bytes.end());
    return frame(payload);
}

std::vector<unsigned char> journal_failure_record(std::uint64_t index, std::string_view message) {
    std::vector<unsigned char> payload = {'F'};
    put_le(payload, index, 8);
    payload.insert(payload.end(), message.begin(), message.end());
    return frame(payload);
}

std::vector<unsigned char> journal_chunk_record(std::span<const JournalEntry> entries) {
    std::vector<unsigned char> payload = {'C'};
    put_le(payload, entries.size(), 4);
    for (const auto& e : entries) {
        put_le(payload, e.index, 8);
        put_le(payload, e.result.size(), 4);
        payload.insert(payload.end(), e.result.begin(), e.result.end());
    }
    return frame(payload);
}

JournalContents read_journal(std::span<const unsigned char> bytes) {
    JournalContents c;
    if (bytes.size() >= journal_magic_v1.size() &&
        std::equal(journal_magic_v1.begin(), journal_magic_v1.end(), bytes.begin())) {
        throw journal_error("written by an older rankpool (journal format 1; this one reads "
                            "format 2): resume it with that version, or delete it to start over");
    }
    const auto magic = std::span(reinterpret_cast<const unsigned char*>(journal_magic.data()),
                                 journal_magic.size());
    const std::size_t head = std::min(bytes.size(), magic.size());
    if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(head),
                    magic.begin())) {
        throw journal_error("not a rankpool journal (its first bytes are not '" +
                            std::string(journal_magic.substr(0, 7)) + "')");
    }
    if (bytes.size() < magic.size()) {
        c.dropped_bytes = bytes.size(); // the magic itself was cut short
        return c;
    }
    std::size_t o = magic.size();
    c.valid_bytes = o;
    for (std::uint64_t record = 1; o < bytes.size(); ++record) {
        const auto rest = bytes.subspan(o);
        if (std::all_of(rest.begin(), rest.end(), [](unsigned char b) { return b == 0; })) {
            c.dropped_bytes = rest.size(); // a crash can leave the file longer than its data
            break;
        }
        std::size_t end = 0;
        bool cut_short = false;
        const std::string damage = check_record(bytes, o, record == 1, end, cut_short);
        if (!damage.empty()) {
            if (cut_short || end == bytes.size()) {
                c.dropped_bytes = rest.size(); // the last record, torn: dropped
                break;
            }
            throw journal_error("record " + std::to_string(record) + " (at byte " +
                                std::to_string(o) + ") has " + damage +
                                " and more records follow it: the journal is corrupt");
        }
        const auto payload = bytes.subspan(o + frame_bytes + 1, end - o - frame_bytes - 1);
        if (record == 1) {
            c.header.assign(payload.begin(), payload.end());
        } else if (bytes[o + frame_bytes] == 'C') {
            const auto count = get_le(payload.data(), 4);
            std::size_t p = 4;
            for (std::uint64_t k = 0; k < count; ++k) {
                const auto index = get_le(payload.data() + p, 8);
                const auto size = static_cast<std::size_t>(get_le(payload.data() + p + 8, 4));
                const auto* from = payload.data() + p + 12;
                c.entries.push_back({index, std::vector<unsigned char>(from, from + size)});
                p += 12 + size;
            }
        } else if (bytes[o + frame_bytes] == 'S') {
            const auto first = get_le(payload.data(), 8);
            const auto count = get_le(payload.data() + 8, 4);
            const auto size = static_cast<std::size_t>(get_le(payload.data() + 12, 4));
            for (std::uint64_t k = 0; k < count; ++k) {
                const auto* from = payload.data() + 16 + k * size;
                c.entries.push_back({first + k, std::vector<unsigned char>(from, from + size)});
            }
        } else if (bytes[o + frame_bytes] == 'F') {
            c.failures.push_back({get_le(payload.data(), 8),
                                  std::vector<unsigned char>(payload.begin() + 8, payload.end())});
        } else {
            c.entries.push_back({get_le(payload.data(), 8),
                                 std::vector<unsigned char>(payload.begin() + 8, payload.end())});
        }
        o = end;
        c.valid_bytes = o;
    }
    return c;
}

std::vector<std::uint64_t> journal_todo(const JournalContents& contents, std::uint64_t n) {
    std::vector<bool> done(n, false);
    for (const auto& e : contents.entries) {
        if (e.index >= n) {
            throw journal_error("holds task " + std::to_string(e.index) + " of a run of " +
                                std::to_string(n) + " tasks");
        }
        done[e.index] = true;
    }
    std::vector<std::uint64_t> todo;
    for (std::uint64_t i = 0; i < n; ++i) {
        if (!done[i]) {
            todo.push_back(i);
        }
    }
    return todo;
}

std::vector<std::uint64_t> journal_failed(const JournalContents& contents, std::uint64_t n) {
    std::vector<char> state(n, 0); // 1: failed, 2: has a result
    for (const auto* list : {&contents.failures, &contents.entries}) {
        for (const auto& e : *list) {
            if (e.index >= n) {
                throw journal_error("holds task " + std::to_string(e.index) + " of a run of " +
                                    std::to_string(n) + " tasks");
            }
            state[e.index] =
                list == &contents.entries ? char{2} : std::max(state[e.index], char{1});
        }
    }
    std::vector<std::uint64_t> failed;
    for (std::uint64_t i = 0; i < n; ++i) {
        if (state[i] == 1) {
            failed.push_back(i);
        }
    }
    return failed;
}

JournalWriter::JournalWriter(const std::string& path, const std::string& header, JournalBatch batch)
    : path_(path), fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)), batch_(batch),
      last_sync_(std::chrono::steady_clock::now()) {
    const std::string where = "journal '" + path + "'";
    if (fd_ < 0) {
        throw journal_error(where + " cannot be opened: " + errno_text());
    }
    try {
        std::vector<unsigned char> bytes;
        unsigned char buf[1 << 16];
        for (;;) {
            const ssize_t got = ::read(fd_, buf, sizeof buf);
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got < 0) {
                throw journal_error(where + " cannot be read: " + errno_text());
            }
            if (got == 0) {
                break;
            }
            bytes.insert(bytes.end(), buf, buf + got);
        }
        try {
            contents_ = read_journal(bytes);
        } catch (const journal_error& e) {
            throw journal_error(where + ": " + e.what());
        }
        if (!contents_.header.empty() && contents_.header != header) {
            throw journal_error(where + " was written for other inputs (it holds a run of '" +
                                contents_.header + "', this is a run of '" + header +
                                "'): give another file, or delete it to start over");
        }
        if (contents_.header.empty()) { // new (or torn before its header was whole)
            contents_ = {};
            if (::ftruncate(fd_, 0) != 0) {
                throw journal_error(where + " cannot be truncated: " + errno_text());
            }
            std::vector<unsigned char> start(journal_magic.begin(), journal_magic.end());
            const auto h = journal_header_record(header);
            start.insert(start.end(), h.begin(), h.end());
            ::lseek(fd_, 0, SEEK_SET);
            write_all(start);
            contents_.header = header;
            contents_.valid_bytes = start.size();
            ++unsynced_;
            sync();
        } else if (contents_.dropped_bytes > 0 &&
                   ::ftruncate(fd_, static_cast<off_t>(contents_.valid_bytes)) != 0) {
            throw journal_error(where + " cannot be truncated: " + errno_text());
        }
        ::lseek(fd_, static_cast<off_t>(contents_.valid_bytes), SEEK_SET);
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

JournalWriter::~JournalWriter() {
    try {
        end_chunk();                 // results add()ed, not yet written
    } catch (const journal_error&) { // NOLINT(bugprone-empty-catch): a destructor cannot throw
    }
    if (unsynced_ > 0) {
        ::fdatasync(fd_);
    }
    ::close(fd_);
}

void JournalWriter::write_all(std::span<const unsigned char> bytes) {
    while (!bytes.empty()) {
        const ssize_t put = ::write(fd_, bytes.data(), bytes.size());
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put < 0) {
            throw journal_error("journal '" + path_ + "' cannot be written: " + errno_text());
        }
        bytes = bytes.subspan(static_cast<std::size_t>(put));
    }
}

void JournalWriter::append(std::uint64_t index, std::span<const unsigned char> result) {
    if (result.size() > journal_max_result) { // a reader would take the record for damage
        throw journal_error("journal '" + path_ + "': the result of task " + std::to_string(index) +
                            " (" + std::to_string(result.size()) +
                            " bytes) is more than a record holds");
    }
    write_all(journal_result_record(index, result));
    written();
}

void JournalWriter::append_failure(std::uint64_t index, std::string_view message) {
    end_chunk(); // records stay in the order things happened
    write_all(journal_failure_record(index, message.substr(0, 1U << 16))); // an error's text
    written();
}

void JournalWriter::add(std::uint64_t index, std::span<const unsigned char> result) {
    if (result.size() > journal_max_payload - 17) { // 'C' or 'S' and one result's framing
        throw journal_error("journal '" + path_ + "': the result of task " + std::to_string(index) +
                            " (" + std::to_string(result.size()) +
                            " bytes) is more than a record holds");
    }
    if (chunk_count_ > 0 && chunk_.size() + 12 + result.size() > frame_bytes + (16U << 20)) {
        end_chunk(); // a huge chunk (guided's first ones) goes out in records of <= 16 MiB
    }
    if (chunk_count_ == 0) {
        chunk_.assign(frame_bytes + 5, 0); // the frame and 'C', count, filled in by end_chunk
        chunk_[frame_bytes] = 'C';
    }
    const std::size_t o = chunk_.size();
    chunk_.resize(o + 12 + result.size());
    for (int k = 0; k < 8; ++k) {
        chunk_[o + static_cast<std::size_t>(k)] = static_cast<unsigned char>(index >> (8 * k));
    }
    for (int k = 0; k < 4; ++k) {
        chunk_[o + 8 + static_cast<std::size_t>(k)] =
            static_cast<unsigned char>(result.size() >> (8 * k));
    }
    if (!result.empty()) {
        std::memcpy(chunk_.data() + o + 12, result.data(), result.size());
    }
    ++chunk_count_;
}

void JournalWriter::end_chunk() {
    if (write_chunk()) {
        written();
    }
}

bool JournalWriter::write_chunk() {
    if (chunk_count_ == 0) {
        return false;
    }
    const auto patch = [&](std::size_t at, std::uint64_t v) {
        for (int k = 0; k < 4; ++k) {
            chunk_[at + static_cast<std::size_t>(k)] = static_cast<unsigned char>(v >> (8 * k));
        }
    };
    patch(frame_bytes + 1, chunk_count_);
    compact_chunk(chunk_);
    const auto payload = std::span(chunk_).subspan(frame_bytes);
    patch(0, payload.size());
    patch(4, crc32(payload));
    chunk_count_ = 0;
    write_all(chunk_);
    return true;
}

void JournalWriter::written() {
    ++unsynced_;
    const auto now = std::chrono::steady_clock::now();
    if (unsynced_ >= batch_.records ||
        std::chrono::duration<double>(now - last_sync_).count() >= batch_.seconds) {
        sync_written();
    }
}

void JournalWriter::sync() {
    if (write_chunk()) {
        ++unsynced_;
    }
    sync_written();
}

void JournalWriter::sync_written() {
    if (unsynced_ > 0 && ::fdatasync(fd_) != 0) {
        throw journal_error("journal '" + path_ + "' cannot be synced: " + errno_text());
    }
    unsynced_ = 0;
    last_sync_ = std::chrono::steady_clock::now();
}

} // namespace rankpool
