// End-to-end tests of --output FILE: the bytes of .npy and .csv files, refusals, failures leave
// none.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "run.hpp"

using namespace rankpool::test;
namespace fs = std::filesystem;

namespace {

/// A fresh folder of its own, removed with everything in it at the end.
struct Folder {
    fs::path path =
        fs::temp_directory_path() /
        ("rankpool-output-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    Folder() { fs::create_directories(path); }
    Folder(const Folder&) = delete;
    Folder& operator=(const Folder&) = delete;
    ~Folder() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    [[nodiscard]] std::string file(const std::string& name) const { return (path / name).string(); }
    /// Every name in the folder, hidden ones (temporaries) included.
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

std::string quote(const std::string& s) {
    std::string q = "'";
    for (const char c : s) {
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return q + "'";
}

/// What an .npy file says of itself: its header dict and where its data starts.
struct Npy {
    std::string dict;
    std::size_t data_at = 0;
    std::string data;
};

Npy read_npy(const std::string& path) {
    const std::string bytes = slurp(path);
    REQUIRE(bytes.size() >= 10);
    REQUIRE(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
    const std::size_t len =
        static_cast<unsigned char>(bytes[8]) + 256u * static_cast<unsigned char>(bytes[9]);
    Npy n;
    n.data_at = 10 + len;
    REQUIRE(bytes.size() >= n.data_at);
    n.dict = bytes.substr(10, len);
    n.data = bytes.substr(n.data_at);
    return n;
}

std::vector<std::uint64_t> as_u64(const std::string& data) {
    std::vector<std::uint64_t> v(data.size() / 8);
    std::memcpy(v.data(), data.data(), v.size() * 8);
    return v;
}

std::vector<double> as_f64(const std::string& data) {
    std::vector<double> v(data.size() / 8);
    std::memcpy(v.data(), data.data(), v.size() * 8);
    return v;
}

/// A Python 3 that has numpy (Debian's python3-numpy; scripts/install-deps.sh installs it).
std::string python_with_numpy() {
    for (std::string python : {"/usr/bin/python3", "python3"}) {
        if (std::system((python + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0) {
            return python;
        }
    }
    return "";
}

/// Runs `python -c code` with the path as sys.argv[1]; true when it exits 0.
bool python_ok(const std::string& code, const std::string& path) {
    const std::string python = python_with_numpy();
    REQUIRE_MESSAGE(!python.empty(), "numpy is missing: run scripts/install-deps.sh");
    return std::system((python + " -c " + quote(code) + " " + quote(path)).c_str()) == 0;
}

std::string squares_csv(std::uint64_t n) {
    std::string s = "index,x,square\n";
    for (std::uint64_t i = 0; i < n; ++i) {
        s += std::to_string(i) + "," + std::to_string(i) + "," + std::to_string(i * i) + "\n";
    }
    return s;
}

/// The launcher words for `ranks` ranks (0: alone), as run_rankpool builds them.
std::string launcher(int ranks) {
    return ranks == 0 ? std::string()
                      : std::string(RANKPOOL_MPIEXEC) + " -n " + std::to_string(ranks) + " " +
                            RANKPOOL_MPIEXEC_FLAGS;
}

/// Whether this process may mount a tmpfs in a private mount namespace (root, unshare -m).
bool can_mount_tmpfs() {
    static const bool ok = [] {
        const Folder d;
        const std::string cmd = "unshare -m sh -c " +
                                quote("mount -t tmpfs -o size=64k tmpfs \"$0\"") + " " +
                                quote(d.path.string()) + " >/dev/null 2>&1";
        return std::system(cmd.c_str()) == 0;
    }();
    return ok;
}

/// Runs rankpool with `folder` the mount point of a fresh tmpfs (mount options `opts`) in a
/// private mount namespace, and returns the run and what the tmpfs held when it ended.
std::pair<RunResult, std::string> run_on_tmpfs(int ranks, const Folder& folder,
                                               const std::string& opts,
                                               const std::vector<std::string>& args) {
    const std::string list = folder.path.string() + ".list";
    const std::string script = "mount -t tmpfs -o " + opts + R"( tmpfs "$0" || exit 99; "$@"; )" +
                               R"(rc=$?; ls -A "$0" >)" + quote(list) + "; exit $rc";
    const auto r = run_rankpool_with("unshare -m sh -c " + quote(script) + " " +
                                         quote(folder.path.string()) + " " + launcher(ranks),
                                     args);
    std::string listing = slurp(list);
    std::remove(list.c_str());
    return {r, listing};
}

} // namespace

TEST_CASE("squares 1000 --output r.npy at 1, 2 and 4 ranks: numpy's format, values i*i") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const Folder d;
        const auto r = run_rankpool(ranks, {"squares", "1000", "--output", d.file("r.npy")});
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        CHECK(count_lines_with(r.out, "output: " + d.file("r.npy") +
                                          " (npy, 1000 results, 8128 "
                                          "bytes; write ") == 1);
        CHECK(d.names() == std::vector<std::string>{"r.npy"});
        const Npy n = read_npy(d.file("r.npy"));
        CHECK(n.dict.rfind("{'descr': '<u8', 'fortran_order': False, 'shape': (1000,), }", 0) == 0);
        CHECK(n.dict.back() == '\n');
        CHECK(n.data_at % 64 == 0);
        const auto v = as_u64(n.data);
        REQUIRE(v.size() == 1000);
        bool squares = n.data.size() == 8000;
        for (std::uint64_t i = 0; i < v.size(); ++i) {
            squares = squares && v[i] == i * i;
        }
        CHECK(squares);
        CHECK(python_ok("import numpy, sys; a = numpy.load(sys.argv[1]); "
                        "assert a.dtype == numpy.uint64 and a.shape == (1000,), a; "
                        "assert (a == numpy.arange(1000, dtype=numpy.uint64) ** 2).all()",
                        d.file("r.npy")));
    }
}

TEST_CASE("squares --output: every way of computing them writes the same file") {
    const Folder d;
    const std::vector<std::vector<std::string>> ways = {
        {}, {"--input", "array"}, {"--schedule", "dynamic", "--chunksize", "7"}, {"--print"}};
    for (const auto& way : ways) {
        for (const auto* name : {"r.npy", "r.csv"}) {
            CAPTURE(way);
            CAPTURE(name);
            std::vector<std::string> args = {"squares", "101", "--output", d.file(name)};
            args.insert(args.end(), way.begin(), way.end());
            const auto r = run_rankpool(3, args);
            CHECK(r.exit_code == 0);
            const bool print = !way.empty() && way[0] == "--print";
            const bool scheduled = !way.empty() && way[0] == "--schedule"; // + an overhead: line
            // summary and output lines
            CHECK(lines(r.out).size() == (print ? 101u + 4u : scheduled ? 5u : 4u));
        }
        CHECK(slurp(d.file("r.csv")) == squares_csv(101));
        const auto v = as_u64(read_npy(d.file("r.npy")).data);
        CHECK(v.size() == 101);
        CHECK(v.back() == 10000);
    }
    CHECK(d.names() == std::vector<std::string>{"r.csv", "r.npy"});
}

TEST_CASE("squares --output r.csv at 1, 2 and 4 ranks: a header, then index,x,square rows") {
    for (const int ranks : {1, 2, 4}) {
        CAPTURE(ranks);
        const Folder d;
        const auto r = run_rankpool(ranks, {"squares", "1000", "--output", d.file("r.csv")});
        CHECK(r.exit_code == 0);
        CHECK(slurp(d.file("r.csv")) == squares_csv(1000));
        CHECK(d.names() == std::vector<std::string>{"r.csv"});
    }
    const Folder d;
    const auto zero = run_rankpool(2, {"squares", "0", "--output", d.file("z.csv")});
    CHECK(zero.exit_code == 0);
    CHECK(slurp(d.file("z.csv")) == "index,x,square\n");
}

TEST_CASE("--output in the JSON report: options.output and results.file") {
    const Folder d;
    const auto r = run_rankpool(2, {"squares", "10", "--json", "--output", d.file("r.npy")});
    CHECK(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["options"]["output"] == d.file("r.npy"));
    const auto& f = j["results"]["file"];
    CHECK(f["path"] == d.file("r.npy"));
    CHECK(f["format"] == "npy");
    CHECK(f["written"] == true);
    CHECK(f["count"] == 10);
    CHECK(f["bytes"] == 128 + 80);
    CHECK(f["write_seconds"].get<double>() > 0);
    CHECK(f["sync_seconds"].get<double>() > 0);
    CHECK_FALSE(j["results"].contains("values")); // --output does not mean --print
    const auto plain = run_rankpool(2, {"squares", "10", "--json"});
    CHECK(nlohmann::json::parse(plain.out)["options"]["output"].is_null());
    CHECK_FALSE(nlohmann::json::parse(plain.out)["results"].contains("file"));
}

TEST_CASE("sleep --output: ordered and --unordered give the same file, in input order") {
    // On 2 ranks task 0 (0.3 s) runs on one worker while the other finishes tasks 1-4: with
    // --unordered they come back before it.
    const std::vector<std::string> tasks = {"sleep", "0.3", "0", "0.01", "0", "0.02"};
    const std::string expected = "index,seconds,slept\n0,0.3,0.3\n1,0,0\n2,0.01,0.01\n3,0,0\n"
                                 "4,0.02,0.02\n";
    for (const int ranks : {1, 2, 4}) {
        for (const auto& extra : std::vector<std::vector<std::string>>{
                 {}, {"--unordered"}, {"--quiet"}, {"--unordered", "--quiet", "--json"}}) {
            CAPTURE(ranks);
            CAPTURE(extra);
            const Folder d;
            auto args = tasks;
            args.insert(args.end(), extra.begin(), extra.end());
            args.insert(args.end(), {"--output", d.file("s.csv")});
            const auto r = run_rankpool(ranks, args);
            CHECK(r.exit_code == 0);
            CHECK(slurp(d.file("s.csv")) == expected);
            CHECK(d.names() == std::vector<std::string>{"s.csv"});
            const bool quiet = std::find(extra.begin(), extra.end(), "--quiet") != extra.end();
            CHECK(count_lines_with(r.out, "Done") == (quiet ? 0 : 5));
        }
    }
}

TEST_CASE("sleep --output s.npy: float64 durations numpy reads back") {
    const Folder d;
    const auto r = run_rankpool(
        4, {"sleep", "0.02", "0", "0.01", "0.25", "--unordered", "--output", d.file("s.npy")});
    CHECK(r.exit_code == 0);
    const Npy n = read_npy(d.file("s.npy"));
    CHECK(n.dict.rfind("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 0) == 0);
    CHECK(n.data_at == 128);
    CHECK(as_f64(n.data) == std::vector<double>{0.02, 0, 0.01, 0.25});
    CHECK(python_ok("import numpy, sys; a = numpy.load(sys.argv[1]); "
                    "assert a.dtype == numpy.float64 and list(a) == [0.02, 0, 0.01, 0.25], a",
                    d.file("s.npy")));
}

TEST_CASE("a failing task leaves no file and no temporary") {
    for (const int ranks : {1, 2, 4}) {
        for (const auto& extra :
             std::vector<std::vector<std::string>>{{}, {"--keep-going"}, {"--unordered"}}) {
            CAPTURE(ranks);
            CAPTURE(extra);
            const Folder d;
            std::vector<std::string> args = {"sleep",       "0", "0",        "0",
                                             "--fail-task", "1", "--output", d.file("x.csv")};
            args.insert(args.end(), extra.begin(), extra.end());
            const auto r = run_rankpool(ranks, args);
            CHECK(r.exit_code == 1);
            CHECK(count_lines_with(r.err, "rankpool: error: task 1 (sleep 0) failed") == 1);
            CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
            CHECK(count_lines_with(r.out, "output: " + d.file("x.csv") + " not written") == 1);
            CHECK(d.names().empty());
        }
    }
}

TEST_CASE("a rank that dies leaves no file and no temporary") {
    const Folder d;
    const auto r =
        run_rankpool(2, {"sleep", "5", "5", "--crash-task", "1", "--output", d.file("c.csv")}, 30);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != 124);
    CHECK(d.names().empty()); // rank 0 removed its temporary on mpirun's SIGTERM
}

TEST_CASE("bad --output values and contradictions: one line, exit 2, nothing written") {
    const Folder d;
    const Refusals cases = {
        {{"squares", "--output", d.file("r.txt")},
         "rankpool: error: --output must name a .csv or .npy file, got '" + d.file("r.txt") + "'"},
        {{"squares", "--output", d.file("r")}, "--output must name a .csv or .npy file"},
        {{"squares", "--output", d.file(".npy")}, "--output must name a .csv or .npy file"},
        {{"squares", "--output", d.path.string() + "/"}, "--output must name a .csv or .npy file"},
        {{"squares", "--output", d.file("r.NPY")}, "--output must name a .csv or .npy file"},
        {{"sleep", "0", "--output", d.file("s.json")}, "--output must name a .csv or .npy file"},
        {{"squares", "--output", ""},
         "rankpool: error: --output needs a value, got an empty string"},
        {{"squares", "--output="}, "--output needs a value, got an empty string"},
        {{"squares", "--output", d.file("a.npy"), "--output", d.file("b.npy")},
         "rankpool: error: --output is given 2 times: give each option at most once"},
        {{"squares", "--gather", "none", "--output", d.file("r.npy")},
         "rankpool: error: --output needs the results gathered: drop --gather none"},
        // Another option's bad value with a good --output: refused before any file is made.
        {{"squares", "-5", "--output", d.file("r.npy")}, "rankpool: error: N must be >= 0"},
        {{"sleep", "soon", "--output", d.file("s.csv")}, "rankpool: error: SECONDS must be"},
        {{"spawn", "--output", d.file("r.npy")}, "--output"}, // not a map-style command
        {{"demo", "--output", d.file("r.npy")}, "--output"},
    };
    check_refusals(cases, {0, 2}); // found while parsing, the same on every rank
    CHECK(d.names().empty());
}

TEST_CASE("a folder that does not exist or is not one: one line, exit 2, before any work") {
    const Folder d;
    std::ofstream(d.file("plain")) << "x";
    fs::create_directories(d.file("dir.npy"));
    const Refusals cases = {
        {{"squares", "--output", d.file("no/r.npy")},
         "rankpool: error: --output folder '" + d.file("no") + "' does not exist"},
        {{"sleep", "30", "--output", d.file("no/s.csv")},
         "rankpool: error: --output folder '" + d.file("no") + "' does not exist"},
        {{"squares", "--output", d.file("plain/r.csv")},
         "rankpool: error: --output folder '" + d.file("plain") + "' is not a folder"},
        {{"squares", "--output", d.file("dir.npy")},
         "rankpool: error: --output '" + d.file("dir.npy") + "' is a folder"},
    };
    check_refusals(cases, {0, 1, 3});
    CHECK(d.names() == std::vector<std::string>{"dir.npy", "plain"});
    // "before any work": the 30 s task above never ran (check_refusals' runs have a 60 s limit).
}

TEST_CASE("a folder that cannot be written: one line, exit 2, nothing written") {
    const Folder d;
    if (can_mount_tmpfs()) {
        // Root writes through permission bits, not through a read-only mount.
        for (const int ranks : {0, 1, 3}) {
            CAPTURE(ranks);
            const auto [r, listing] =
                run_on_tmpfs(ranks, d, "ro", {"squares", "--output", d.file("r.npy")});
            CHECK(r.exit_code == 2);
            CHECK(count_lines_with(r.err, "rankpool: error:") == 1);
            CHECK(count_lines_with(r.err, "rankpool: error: --output folder '" + d.path.string() +
                                              "' cannot be written: Read-only file system") == 1);
            CHECK(r.out.empty());
            CHECK(listing.empty());
        }
    } else if (::geteuid() != 0) {
        fs::permissions(d.path, fs::perms::owner_read | fs::perms::owner_exec);
        const auto r = run_rankpool(2, {"squares", "--output", d.file("r.npy")});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("cannot be written: Permission denied") != std::string::npos);
        fs::permissions(d.path, fs::perms::owner_all);
    } else {
        MESSAGE("skipped: root without unshare -m and mount: no folder here refuses a write");
    }
    CHECK(d.names().empty());
}

TEST_CASE("a full disk: one line, exit 1, no file and no temporary left") {
    if (!can_mount_tmpfs()) {
        MESSAGE("skipped: a full disk needs a small tmpfs (root, unshare -m and mount)");
        return;
    }
    const std::vector<std::vector<std::string>> runs = {
        {"squares", "100000", "--output"}, // 800 KB of results on 64 KiB
        {"sleep", "0", "--repeat", "20000", "--quiet", "--output"}};
    for (const int ranks : {1, 2, 4}) {
        for (const auto& run : runs) {
            for (const auto* name : {"r.npy", "r.csv"}) {
                CAPTURE(ranks);
                CAPTURE(run);
                CAPTURE(name);
                const Folder d;
                auto args = run;
                args.push_back(d.file(name));
                const auto [r, listing] = run_on_tmpfs(ranks, d, "size=64k", args);
                CHECK(r.exit_code == 1);
                CHECK(count_lines_with(r.err, "rankpool: error:") == 1); // and mpirun's own words
                CHECK(count_lines_with(r.err, "rankpool: error: writing --output " + d.file(name) +
                                                  " failed: No space left on device") == 1);
                CHECK(listing.empty());
                CHECK(count_lines_with(r.out, "output: " + d.file(name) + " not written") == 1);
            }
        }
    }
    const Folder d;
    const auto [r, listing] = run_on_tmpfs(
        2, d, "size=64k", {"squares", "100000", "--json", "--output", d.file("r.npy")});
    CHECK(r.exit_code == 1);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["results"]["file"]["written"] == false);
    CHECK(j["ok"] == true); // the results checked out; the exit code says the file did not
    CHECK(listing.empty());
}
