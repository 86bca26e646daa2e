// Tests of result-file formatting: formats by extension, NPY headers byte for byte, CSV fields.
#include <cstdint>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include "rankpool/result_format.hpp"

using namespace rankpool;

namespace {

/// The 10 bytes before an NPY v1.0 header dict of 118 bytes: magic, version 1.0, length 0x0076.
const std::string npy_prefix("\x93NUMPY\x01\x00\x76\x00", 10);

} // namespace

TEST_CASE("the format comes from the file name's extension") {
    CHECK(file_format("r.csv") == FileFormat::csv);
    CHECK(file_format("out/r.npy") == FileFormat::npy);
    CHECK(file_format("/tmp/a.b.npy") == FileFormat::npy);
    CHECK(file_format("x.csv.npy") == FileFormat::npy);
    CHECK_FALSE(file_format("r.txt"));
    CHECK_FALSE(file_format("r.CSV")); // lower case only
    CHECK_FALSE(file_format("r.npz"));
    CHECK_FALSE(file_format("r"));
    CHECK_FALSE(file_format(".npy"));     // a hidden file with no name before the extension
    CHECK_FALSE(file_format("out/.csv")); // the same in a folder
    CHECK_FALSE(file_format("r.npy/"));   // a folder
    CHECK_FALSE(file_format(""));
    CHECK(accepted_extensions() == ".csv or .npy");
    CHECK(to_string(FileFormat::csv) == "csv");
    CHECK(to_string(FileFormat::npy) == "npy");
}

TEST_CASE("NPY headers are numpy.save's, byte for byte, and the data starts at 128") {
    // The expected bytes are numpy 1.24's numpy.lib.format.write_array_header_1_0 output.
    CHECK(npy_header(NpyType::uint64, 1000) ==
          npy_prefix + "{'descr': '<u8', 'fortran_order': False, 'shape': (1000,), }" +
              std::string(57, ' ') + "\n");
    CHECK(npy_header(NpyType::float64, 5) ==
          npy_prefix + "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }" +
              std::string(60, ' ') + "\n");
    CHECK(npy_header(NpyType::uint64, 0) ==
          npy_prefix + "{'descr': '<u8', 'fortran_order': False, 'shape': (0,), }" +
              std::string(60, ' ') + "\n");
    const auto max = std::numeric_limits<std::uint64_t>::max();
    CHECK(npy_header(NpyType::uint64, max) ==
          npy_prefix +
              "{'descr': '<u8', 'fortran_order': False, 'shape': (18446744073709551615,), }" +
              std::string(41, ' ') + "\n");
    for (const std::uint64_t n : {std::uint64_t{1}, std::uint64_t{99}, std::uint64_t{100000000}}) {
        CAPTURE(n);
        const auto h = npy_header(NpyType::float64, n);
        CHECK(h.size() == 128);
        CHECK(h.size() % 64 == 0);
        CHECK(h.back() == '\n');
    }
    CHECK(npy_descr(NpyType::uint64) == "<u8"); // this project's machines are little-endian
    CHECK(npy_descr(NpyType::float64) == "<f8");
}

TEST_CASE("CSV fields: numbers in plain form, reals that read back exactly, text quoted") {
    std::string s;
    append_csv_field(s, std::uint64_t{0});
    s += ',';
    append_csv_field(s, std::numeric_limits<std::uint64_t>::max());
    CHECK(s == "0,18446744073709551615");

    const auto real = [](double v) {
        std::string out;
        append_csv_field(out, v);
        return out;
    };
    CHECK(real(0.05) == "0.05");
    CHECK(real(5.0) == "5");
    CHECK(real(0.0) == "0");
    CHECK(real(1e-7) == "1e-07");
    CHECK(real(0.1 + 0.2) == "0.30000000000000004"); // every bit kept, unlike "%g"
    CHECK(real(123456789.125) == "123456789.125");

    const auto text = [](std::string_view v) {
        std::string out;
        append_csv_field(out, v);
        return out;
    };
    CHECK(text("square") == "square");
    CHECK(text("a,b") == "\"a,b\"");
    CHECK(text("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(text("two\nlines") == "\"two\nlines\"");
    CHECK(text("cr\r") == "\"cr\r\"");
    CHECK(text("") == "");
}

TEST_CASE("the temporary file is hidden, beside the file, and named by the process") {
    CHECK(temporary_path("r.npy", 42) == ".r.npy.tmp.42");
    CHECK(temporary_path("out/r.npy", 7) == "out/.r.npy.tmp.7");
    CHECK(temporary_path("/tmp/a/r.csv", 123456) == "/tmp/a/.r.csv.tmp.123456");
    CHECK(parent_folder("r.npy") == ".");
    CHECK(parent_folder("out/r.npy") == "out");
    CHECK(parent_folder("/tmp/a/r.csv") == "/tmp/a");
    CHECK(parent_folder("/r.csv") == "/");
}
