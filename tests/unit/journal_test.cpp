// The journal's format byte by byte: framing, checksums, torn tails dropped, corruption refused.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "rankpool/journal.hpp"

using namespace rankpool;

namespace {

using Bytes = std::vector<unsigned char>;

Bytes text(std::string_view s) {
    return {s.begin(), s.end()};
}

void append(Bytes& to, const Bytes& b) {
    to.insert(to.end(), b.begin(), b.end());
}

/// A journal of header "h" and results 7 -> "ab", 2 -> "" (no bytes), 5 -> "xyz".
Bytes sample() {
    Bytes j = text(journal_magic);
    append(j, journal_header_record("h"));
    append(j, journal_result_record(7, text("ab")));
    append(j, journal_result_record(2, {}));
    append(j, journal_result_record(5, text("xyz")));
    return j;
}

std::string temp_path(const char* name) {
    return "/tmp/rankpool-journal-test-" + std::to_string(::getpid()) + "-" + name;
}

Bytes file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const Bytes& b) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

/// An 'S' record as the writer makes it of `count` consecutive results of `size` bytes.
Bytes span_record(std::uint64_t first, std::uint32_t count, std::uint32_t size,
                  const Bytes& values) {
    Bytes payload = {'S'};
    for (int k = 0; k < 8; ++k) {
        payload.push_back(static_cast<unsigned char>(first >> (8 * k)));
    }
    for (const std::uint32_t v : {count, size}) {
        for (int k = 0; k < 4; ++k) {
            payload.push_back(static_cast<unsigned char>(v >> (8 * k)));
        }
    }
    append(payload, values);
    Bytes r;
    for (const auto v : {static_cast<std::uint32_t>(payload.size()), crc32(payload)}) {
        for (int k = 0; k < 4; ++k) {
            r.push_back(static_cast<unsigned char>(v >> (8 * k)));
        }
    }
    append(r, payload);
    return r;
}

} // namespace

TEST_CASE("crc32 is zlib's CRC-32") {
    CHECK(crc32(text("")) == 0U);
    CHECK(crc32(text("123456789")) == 0xCBF43926U);
    CHECK(crc32(text("6789"), crc32(text("12345"))) == 0xCBF43926U);
    CHECK(fnv1a64(text("a")) == 0xaf63dc4c8601ec8cULL);
}

TEST_CASE("a record's bytes: length, CRC-32, type, index, result, little-endian") {
    const Bytes r = journal_result_record(0x0102, text("ab"));
    // payload: 'R', index as 8 bytes, "ab": 11 bytes
    const Bytes payload = {'R', 0x02, 0x01, 0, 0, 0, 0, 0, 0, 'a', 'b'};
    const std::uint32_t c = crc32(payload);
    Bytes expected = {11,
                      0,
                      0,
                      0,
                      static_cast<unsigned char>(c),
                      static_cast<unsigned char>(c >> 8),
                      static_cast<unsigned char>(c >> 16),
                      static_cast<unsigned char>(c >> 24)};
    append(expected, payload);
    CHECK(r == expected);
    const Bytes h = journal_header_record("hi");
    CHECK(h.size() == 8 + 3);
    CHECK(h[0] == 3);
    CHECK(h[8] == 'H');
}

TEST_CASE("a whole journal reads back in order") {
    const Bytes j = sample();
    const auto c = read_journal(j);
    CHECK(c.header == "h");
    REQUIRE(c.entries.size() == 3);
    CHECK(c.entries[0].index == 7);
    CHECK(c.entries[0].result == text("ab"));
    CHECK(c.entries[1].index == 2);
    CHECK(c.entries[1].result.empty());
    CHECK(c.entries[2].result == text("xyz"));
    CHECK(c.valid_bytes == j.size());
    CHECK(c.dropped_bytes == 0);
    CHECK(journal_todo(c, 9) == std::vector<std::uint64_t>{0, 1, 3, 4, 6, 8});
    CHECK_THROWS_AS((void)journal_todo(c, 7), journal_error);
}

TEST_CASE("empty bytes are a journal without a header") {
    const auto c = read_journal({});
    CHECK(c.header.empty());
    CHECK(c.entries.empty());
}

TEST_CASE("a last record cut short at any byte is dropped, never misread") {
    const Bytes j = sample();
    const std::size_t last = j.size() - (8 + 1 + 8 + 3);
    for (std::size_t cut = last + 1; cut < j.size(); ++cut) {
        CAPTURE(cut);
        const Bytes torn(j.begin(), j.begin() + static_cast<std::ptrdiff_t>(cut));
        const auto c = read_journal(torn);
        CHECK(c.entries.size() == 2);
        CHECK(c.valid_bytes == last);
        CHECK(c.dropped_bytes == cut - last);
    }
}

TEST_CASE("a last record with a bad checksum, or zeros after the data, is dropped") {
    Bytes j = sample();
    j.back() ^= 0x01; // the result's last byte
    auto c = read_journal(j);
    CHECK(c.entries.size() == 2);
    CHECK(c.dropped_bytes == 8 + 1 + 8 + 3);

    Bytes z = sample();
    z.insert(z.end(), 4096, 0);
    c = read_journal(z);
    CHECK(c.entries.size() == 3);
    CHECK(c.dropped_bytes == 4096);
}

TEST_CASE("damage before the last record is an error naming the record") {
    Bytes j = sample();
    j[8 + 8 + 2 + 8 + 9] ^= 0x01; // record 2's 'a'
    CHECK_THROWS_WITH_AS((void)read_journal(j),
                         "record 2 (at byte 18) has a bad checksum and more records follow it: the "
                         "journal is corrupt",
                         journal_error);
    Bytes len = sample();
    len[18 + 3] = 0x7f; // record 2 claims a huge length
    CHECK_THROWS_AS((void)read_journal(len), journal_error);
    Bytes magic = sample();
    magic[0] = 'X';
    CHECK_THROWS_WITH_AS((void)read_journal(magic),
                         "not a rankpool journal (its first bytes are not 'RPJRNL2')",
                         journal_error);
}

TEST_CASE("the writer creates, appends, reopens, cuts a torn tail and refuses other runs") {
    const std::string path = temp_path("writer");
    std::remove(path.c_str());
    {
        JournalWriter w(path, "run A", {2, 100});
        CHECK(w.contents().entries.empty());
        w.append(3, text("c"));
        w.append(1, text("a"));
    }
    Bytes expected = text(journal_magic);
    append(expected, journal_header_record("run A"));
    append(expected, journal_result_record(3, text("c")));
    append(expected, journal_result_record(1, text("a")));
    CHECK(file_bytes(path) == expected);

    Bytes torn = expected;
    append(torn, Bytes{5, 0, 0}); // a record's first bytes
    write_file(path, torn);
    {
        JournalWriter w(path, "run A");
        CHECK(w.contents().entries.size() == 2);
        CHECK(w.contents().dropped_bytes == 3);
        w.append(0, text("z"));
        w.sync();
    }
    append(expected, journal_result_record(0, text("z")));
    CHECK(file_bytes(path) == expected);

    CHECK_THROWS_WITH_AS(JournalWriter(path, "run B"),
                         ("journal '" + path +
                          "' was written for other inputs (it holds a run of 'run A', this is a "
                          "run of 'run B'): give another file, or delete it to start over")
                             .c_str(),
                         journal_error);
    CHECK(file_bytes(path) == expected); // refused: untouched
    std::remove(path.c_str());
}

TEST_CASE("a chunk record holds many results in one frame; they read back in order") {
    const std::vector<JournalEntry> chunk = {{4, text("ab")}, {9, {}}, {1, text("xyz")}};
    const Bytes r = journal_chunk_record(chunk);
    // 8 frame bytes, 'C', count 3, then (index u64, size u32, bytes) each
    CHECK(r.size() == 8 + 1 + 4 + (12 + 2) + 12 + (12 + 3));
    CHECK(r[8] == 'C');
    CHECK(r[9] == 3);
    CHECK(r[13] == 4); // the first index
    CHECK(r[21] == 2); // its size
    CHECK(r[25] == 'a');
    Bytes j = sample();
    append(j, r);
    append(j, journal_result_record(0, text("z")));
    const auto c = read_journal(j);
    REQUIRE(c.entries.size() == 7);
    const std::vector<std::uint64_t> order = {7, 2, 5, 4, 9, 1, 0};
    for (std::size_t k = 0; k < order.size(); ++k) {
        CHECK(c.entries[k].index == order[k]);
    }
    CHECK(c.entries[3].result == text("ab"));
    CHECK(c.entries[4].result.empty());
    CHECK(c.entries[5].result == text("xyz"));
    CHECK(c.valid_bytes == j.size());
    // a chunk record cut short anywhere is dropped whole: none of its results is read
    Bytes torn = sample();
    append(torn, r);
    for (std::size_t cut = sample().size() + 1; cut < torn.size(); ++cut) {
        const auto t = read_journal(std::span(torn).first(cut));
        CHECK(t.entries.size() == 3);
        CHECK(t.valid_bytes == sample().size());
    }
}

TEST_CASE("a chunk record whose count and sizes disagree is damage, even with a good CRC") {
    Bytes payload = {'C', 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 'a'}; // claims 2, holds 1
    Bytes r;
    for (const auto v : {static_cast<std::uint32_t>(payload.size()), crc32(payload)}) {
        for (int k = 0; k < 4; ++k) {
            r.push_back(static_cast<unsigned char>(v >> (8 * k)));
        }
    }
    append(r, payload);
    Bytes j = sample();
    append(j, r);
    append(j, journal_result_record(0, text("z")));
    CHECK_THROWS_AS((void)read_journal(j), journal_error);
}

TEST_CASE("a format-1 journal is refused, saying so") {
    Bytes old = sample();
    std::copy(journal_magic_v1.begin(), journal_magic_v1.end(), old.begin());
    CHECK_THROWS_WITH_AS((void)read_journal(old),
                         "written by an older rankpool (journal format 1; this one reads format "
                         "2): resume it with that version, or delete it to start over",
                         journal_error);
}

TEST_CASE("the writer's chunks: add() writes nothing, end_chunk() one record, sync() the rest") {
    const std::string path = temp_path("chunks");
    std::remove(path.c_str());
    {
        JournalWriter w(path, "run C");
        const auto empty = file_bytes(path).size();
        w.add(3, text("c"));
        w.add(1, text("a"));
        CHECK(file_bytes(path).size() == empty); // held until the chunk ends
        w.end_chunk();
        w.end_chunk(); // nothing more: no empty record
        Bytes expected = text(journal_magic);
        append(expected, journal_header_record("run C"));
        append(expected,
               journal_chunk_record(std::vector<JournalEntry>{{3, text("c")}, {1, text("a")}}));
        CHECK(file_bytes(path) == expected);
        w.add(0, text("z"));
        w.sync(); // writes the chunk begun (one result: consecutive, an 'S' record)
        append(expected, span_record(0, 1, 1, text("z")));
        CHECK(file_bytes(path) == expected);
        w.add(2, text("b"));
    } // the destructor writes it too
    JournalWriter again(path, "run C");
    REQUIRE(again.contents().entries.size() == 4);
    CHECK(journal_todo(again.contents(), 5) == std::vector<std::uint64_t>{4});
    std::remove(path.c_str());
}

TEST_CASE("failure records: read back apart from results; a later result supersedes one") {
    const Bytes f = journal_failure_record(5, "boom");
    CHECK(f.size() == 8 + 1 + 8 + 4);
    CHECK(f[8] == 'F');
    Bytes j = text(journal_magic);
    append(j, journal_header_record("h"));
    append(j, journal_result_record(0, text("a")));
    append(j, journal_failure_record(2, "first"));
    append(j, journal_failure_record(3, "bad"));
    append(j, journal_result_record(2, text("c"))); // task 2 reran and succeeded
    append(j, journal_failure_record(3, "bad again"));
    const auto c = read_journal(j);
    REQUIRE(c.entries.size() == 2);
    REQUIRE(c.failures.size() == 3);
    CHECK(c.failures[0].index == 2);
    CHECK(c.failures[0].result == text("first"));
    CHECK(journal_failed(c, 5) == std::vector<std::uint64_t>{3});
    CHECK(journal_todo(c, 5) == std::vector<std::uint64_t>{1, 3, 4}); // failed ones too
    CHECK_THROWS_AS((void)journal_failed(c, 3), journal_error);
    // a failure record cut short is a torn tail like any other
    Bytes torn = j;
    torn.resize(torn.size() - 3);
    CHECK(read_journal(torn).failures.size() == 2);
}

TEST_CASE("the writer appends failures in order with the chunks around them") {
    const std::string path = temp_path("failures");
    std::remove(path.c_str());
    {
        JournalWriter w(path, "run F");
        w.add(0, text("a"));
        w.append_failure(1, "no");
        w.add(2, text("c"));
    }
    Bytes expected = text(journal_magic);
    append(expected, journal_header_record("run F"));
    append(expected, span_record(0, 1, 1, text("a")));
    append(expected, journal_failure_record(1, "no"));
    append(expected, span_record(2, 1, 1, text("c")));
    CHECK(file_bytes(path) == expected);
    JournalWriter again(path, "run F");
    CHECK(journal_failed(again.contents(), 3) == std::vector<std::uint64_t>{1});
    std::remove(path.c_str());
}

TEST_CASE("a chunk of consecutive tasks with results of one size is written as an 'S' record") {
    const std::string path = temp_path("span");
    std::remove(path.c_str());
    {
        JournalWriter w(path, "run S");
        for (std::uint64_t i = 5; i < 9; ++i) {
            w.add(i, text(std::string(1, static_cast<char>('a' + i))));
        }
        w.end_chunk();
        w.add(9, text("xy")); // another size: a 'C'
        w.add(10, text("z"));
        w.end_chunk();
    }
    Bytes expected = text(journal_magic);
    append(expected, journal_header_record("run S"));
    const Bytes s = span_record(5, 4, 1, text("fghi"));
    CHECK(s.size() == 8 + 17 + 4);
    append(expected, s);
    append(expected,
           journal_chunk_record(std::vector<JournalEntry>{{9, text("xy")}, {10, text("z")}}));
    CHECK(file_bytes(path) == expected);
    const auto c = read_journal(expected);
    REQUIRE(c.entries.size() == 6);
    CHECK(c.entries[0].index == 5);
    CHECK(c.entries[3].index == 8);
    CHECK(c.entries[3].result == text("i"));
    CHECK(c.entries[4].result == text("xy"));
    // an 'S' whose length is not count x size is damage; cut short, a torn tail
    Bytes bad = span_record(5, 5, 1, text("fghi"));
    Bytes j = text(journal_magic);
    append(j, journal_header_record("run S"));
    const auto before = j.size();
    append(j, bad);
    CHECK(read_journal(j).entries.empty()); // the last record: dropped as torn
    append(j, journal_result_record(0, text("q")));
    CHECK_THROWS_AS((void)read_journal(j), journal_error);
    Bytes torn = expected;
    torn.resize(before + s.size() - 1);
    CHECK(read_journal(torn).entries.empty());
    std::remove(path.c_str());
}

TEST_CASE("the writer refuses a result larger than a record holds, and writes nothing of it") {
    const std::string path = temp_path("too-large");
    std::remove(path.c_str());
    {
        JournalWriter w(path, "run L");
        const std::vector<unsigned char> fits(journal_max_result, 7);
        w.append(0, fits);
        const std::vector<unsigned char> too_large(journal_max_result + 1, 7);
        CHECK_THROWS_WITH_AS(w.append(1, too_large),
                             doctest::Contains("is more than a record holds"), journal_error);
    }
    JournalWriter again(path, "run L");
    REQUIRE(again.contents().entries.size() == 1);
    CHECK(again.contents().entries[0].result.size() == journal_max_result);
    std::remove(path.c_str());
}
