// Tests of --output without MPI: parsing, CSV and NPY bytes in input order, whole-or-nothing files.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "rankpool/errors.hpp"

#include "cli/app.hpp"
#include "cli/result_file.hpp"

using namespace rankpool;
using namespace rankpool::cli;
namespace fs = std::filesystem;

namespace {

cli::ParseResult parse(const std::vector<std::string>& args) {
    std::vector<const char*> argv = {"rankpool"};
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    return cli::parse_command_line(static_cast<int>(argv.size()), argv.data());
}

/// A fresh folder of its own, removed with everything in it at the end.
struct Folder {
    fs::path path =
        fs::temp_directory_path() /
        ("rankpool-result-file-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    Folder() { fs::create_directories(path); }
    Folder(const Folder&) = delete;
    Folder& operator=(const Folder&) = delete;
    ~Folder() { fs::remove_all(path); }
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
    [[nodiscard]] std::vector<std::string> names() const {
        std::vector<std::string> v;
        for (const auto& e : fs::directory_iterator(path)) {
            v.push_back(e.path().filename().string());
        }
        std::sort(v.begin(), v.end());
        return v;
    }
    static inline int counter = 0;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

template <class T>
std::string raw(const std::vector<T>& v) {
    return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T)};
}

const commands::ResultsSpec squares_spec{"x", "square", "", 4, false, commands::ValueKind::uint64};
const commands::ResultsSpec sleep_spec{"seconds", "slept", "Done ",
                                       3,         true,    commands::ValueKind::real};

/// Writes sleep-like results (index i: input and value 0.5 * i) in the given order and commits.
std::string write_in_order(const Folder& d, const std::string& name,
                           const std::vector<std::uint64_t>& order) {
    AtomicFile file(d.file(name));
    REQUIRE(file.open().empty());
    FileSink sink(*file_format(name), file);
    sink.begin(sleep_spec);
    for (const auto i : order) {
        const double s = 0.5 * static_cast<double>(i);
        sink.result(i, commands::Value{s}, commands::Value{s});
    }
    sink.end();
    CHECK(sink.incomplete().empty());
    CHECK(file.commit().empty());
    return slurp(d.file(name));
}

} // namespace

TEST_CASE("--output: the extension chooses the format, anything else is refused while parsing") {
    CHECK_FALSE(parse_output(""));
    CHECK(parse_output("r.csv")->format == FileFormat::csv);
    CHECK(parse_output("out/r.npy")->format == FileFormat::npy);
    CHECK(parse_output("out/r.npy")->path == "out/r.npy");
    CHECK_THROWS_WITH_AS((void)parse_output("r.txt"),
                         "--output must name a .csv or .npy file, got 'r.txt'", usage_error);

    const auto txt = parse({"sleep", "0", "--output", "r.json"});
    CHECK(txt.exit_code == 2);
    CHECK(txt.err == "--output must name a .csv or .npy file, got 'r.json'");
    const auto none = parse({"squares", "--gather", "none", "--output", "r.npy"});
    CHECK(none.exit_code == 2);
    CHECK(none.err == "--output needs the results gathered: drop --gather none");
    // The folder is not looked at while parsing (every rank parses; only rank 0 writes).
    const auto missing = parse({"squares", "--output", "/no/such/folder/r.npy"});
    REQUIRE(missing.command);
    CHECK(missing.command->options["output"] == "/no/such/folder/r.npy");
    CHECK(parse({"squares"}).command->options["output"].is_null());
    CHECK(parse({"sleep", "--output", "s.csv"}).command->options["output"] == "s.csv");
}

TEST_CASE("CSV: a header from the results' names, then one row per result in input order") {
    Folder d;
    CHECK(write_in_order(d, "s.csv", {0, 1, 2}) ==
          "index,seconds,slept\n0,0,0\n1,0.5,0.5\n2,1,1\n");
    CHECK(d.names() == std::vector<std::string>{"s.csv"});

    AtomicFile file(d.file("q.csv"));
    REQUIRE(file.open().empty());
    FileSink sink(FileFormat::csv, file);
    sink.begin({"x", "a,\"b\"", "", 2, false, commands::ValueKind::text});
    sink.result(0, commands::Value{std::uint64_t{7}}, commands::Value{std::string("one, two")});
    sink.result(1, commands::Value{std::uint64_t{8}}, commands::Value{std::string("plain")});
    sink.end();
    REQUIRE(file.commit().empty());
    CHECK(slurp(d.file("q.csv")) == "index,x,\"a,\"\"b\"\"\"\n0,7,\"one, two\"\n1,8,plain\n");
}

TEST_CASE("results out of order (--unordered) make the same file as in order") {
    Folder d;
    for (const auto* name : {"s.csv", "s.npy"}) {
        CAPTURE(name);
        const auto ordered = write_in_order(d, name, {0, 1, 2});
        const auto shuffled = write_in_order(d, std::string("x") + name, {2, 0, 1});
        CHECK(ordered == shuffled);
    }
    AtomicFile file(d.file("w.csv"));
    REQUIRE(file.open().empty());
    FileSink sink(FileFormat::csv, file);
    sink.begin({"x", "y", "", 4, false, commands::ValueKind::real});
    for (const std::uint64_t i : {3, 2, 1}) {
        sink.result(i, commands::Value{0.0}, commands::Value{1.0});
    }
    CHECK(sink.written() == 0);
    CHECK(sink.most_waiting() == 3); // held, encoded, until result 0 came
    sink.result(0, commands::Value{0.0}, commands::Value{1.0});
    CHECK(sink.written() == 4);
}

TEST_CASE("NPY: numpy's header, then the values as raw bytes, at 128") {
    Folder d;
    const auto npy = write_in_order(d, "s.npy", {0, 1, 2});
    CHECK(npy == npy_header(NpyType::float64, 3) + raw(std::vector<double>{0, 0.5, 1}));

    // squares' bulk path: one block of uint64, written straight from the caller's buffer.
    AtomicFile file(d.file("q.npy"));
    REQUIRE(file.open().empty());
    FileSink sink(FileFormat::npy, file);
    sink.begin(squares_spec);
    const std::vector<std::uint64_t> squares = {0, 1, 4, 9};
    sink.results(0, squares);
    sink.end();
    CHECK(sink.incomplete().empty());
    REQUIRE(file.commit().empty());
    const auto bytes = slurp(d.file("q.npy"));
    CHECK(bytes.size() == 128 + 4 * 8);
    CHECK(bytes == npy_header(NpyType::uint64, 4) + raw(squares));
    CHECK(file.bytes() == bytes.size());
}

TEST_CASE("CSV from squares' bulk path: index, input (the index) and value") {
    Folder d;
    AtomicFile file(d.file("q.csv"));
    REQUIRE(file.open().empty());
    FileSink sink(FileFormat::csv, file);
    sink.begin(squares_spec);
    const std::vector<std::uint64_t> first = {0, 1};
    const std::vector<std::uint64_t> rest = {4, 9};
    sink.results(0, first);
    sink.results(2, rest);
    sink.end();
    REQUIRE(file.commit().empty());
    CHECK(slurp(d.file("q.csv")) == "index,x,square\n0,0,0\n1,1,1\n2,2,4\n3,3,9\n");
}

TEST_CASE("a file with results missing, or text in an NPY file, is not written") {
    Folder d;
    {
        AtomicFile file(d.file("s.npy"));
        REQUIRE(file.open().empty());
        FileSink sink(FileFormat::npy, file);
        sink.begin(sleep_spec);
        sink.result(0, commands::Value{1.0}, commands::Value{1.0});
        sink.result(2, commands::Value{1.0}, commands::Value{1.0});
        sink.end();
        CHECK(sink.incomplete() == "only 1 of 3 results came in order");
    }
    {
        AtomicFile file(d.file("t.npy"));
        REQUIRE(file.open().empty());
        FileSink sink(FileFormat::npy, file);
        sink.begin({"x", "name", "", 1, false, commands::ValueKind::text});
        CHECK(sink.incomplete() ==
              "an .npy file holds numbers, and these results are text: use .csv");
        AtomicFile none(d.file("n.csv"));
        REQUIRE(none.open().empty());
        CHECK(FileSink(FileFormat::csv, none).incomplete() == "the command handed over no results");
    }
    CHECK(d.names().empty()); // the destructors removed every temporary
}

TEST_CASE("the file appears whole or not at all") {
    Folder d;
    const std::string path = d.file("r.csv");
    const std::string temporary = d.file(".r.csv.tmp." + std::to_string(::getpid()));
    std::ofstream(path) << "an older file\n";
    {
        AtomicFile file(path);
        REQUIRE(file.open().empty());
        const std::string row = "index,x,y\n";
        file.write(row.data(), row.size());
        CHECK(fs::exists(temporary)); // written beside it
        CHECK(slurp(path) == "an older file\n");
        file.discard();
        CHECK_FALSE(fs::exists(temporary));
        CHECK(slurp(path) == "an older file\n"); // untouched
    }
    {
        AtomicFile file(path);
        REQUIRE(file.open().empty());
        file.write("new\n", 4);
    } // the destructor removes it too
    CHECK(d.names() == std::vector<std::string>{"r.csv"});
    {
        AtomicFile file(path);
        REQUIRE(file.open().empty());
        file.write("new\n", 4);
        CHECK(file.commit().empty());
        CHECK(file.bytes() == 4);
    }
    CHECK(slurp(path) == "new\n"); // replaced whole
    CHECK(d.names() == std::vector<std::string>{"r.csv"});
}

TEST_CASE("a folder that cannot take the file: one line, found before anything is written") {
    Folder d;
    CHECK(AtomicFile(d.file("no/r.csv")).open() ==
          "--output folder '" + d.file("no") + "' does not exist");
    std::ofstream(d.file("plain")) << "x";
    CHECK(AtomicFile(d.file("plain/r.csv")).open() ==
          "--output folder '" + d.file("plain") + "' is not a folder");
    fs::create_directories(d.file("dir.npy"));
    CHECK(AtomicFile(d.file("dir.npy")).open() ==
          "--output '" + d.file("dir.npy") + "' is a folder");
    CHECK(
        AtomicFile("/proc/r.csv").open().rfind("--output folder '/proc' cannot be written: ", 0) ==
        0);
    AtomicFile never(d.file("r.csv"));
    CHECK(never.commit() ==
          "writing --output " + d.file("r.csv") + " failed: the file was not open");
}
