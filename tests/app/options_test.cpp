// Tests of the command line as a whole: subcommands, defaults, help, one-line errors, exit codes.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cli/app.hpp"

using namespace rankpool;

namespace {
cli::ParseResult parse(std::vector<const char*> args) {
    args.insert(args.begin(), "rankpool");
    return cli::parse_command_line(static_cast<int>(args.size()), args.data());
}
} // namespace

TEST_CASE("squares: defaults are the tutorial's") {
    const auto r = parse({"squares"});
    REQUIRE(r.command);
    CHECK(r.command->name == "squares");
    const auto& o = r.command->options;
    CHECK(o["n"] == 100);
    CHECK(o["print"] == false);
    CHECK(o["gather"] == "all");
    CHECK(o["input"] == "range");
    CHECK_FALSE(r.command->json);
}

TEST_CASE("squares: every option") {
    const auto r = parse({"squares", "10", "--print", "--json", "--input", "array"});
    REQUIRE(r.command);
    const auto& o = r.command->options;
    CHECK(o["n"] == 10);
    CHECK(o["print"] == true);
    CHECK(o["input"] == "array");
    CHECK(r.command->json);
    const auto g = parse({"squares", "4294967296", "--gather", "none"});
    REQUIRE(g.command);
    CHECK(g.command->options["n"] == 4294967296ull);
    CHECK(g.command->options["gather"] == "none");
}

TEST_CASE("--version goes to stdout with exit code 0") {
    const auto r = parse({"--version"});
    CHECK_FALSE(r.command);
    CHECK(r.exit_code == 0);
    CHECK(r.out.rfind("rankpool 0.", 0) == 0);
    CHECK(r.err.empty());
}

TEST_CASE("help goes to stdout with exit code 0") {
    const auto top = parse({"--help"});
    CHECK_FALSE(top.command);
    CHECK(top.exit_code == 0);
    CHECK(top.out.find("squares") != std::string::npos);
    CHECK(top.out.find("Exit codes") != std::string::npos);
    const auto sub = parse({"squares", "--help"});
    CHECK(sub.exit_code == 0);
    CHECK(sub.out.find("--gather") != std::string::npos);
}

TEST_CASE("bad input: one line, exit code 2") {
    struct Case {
        std::vector<const char*> args;
        std::string error;
    };
    const std::vector<Case> cases = {
        {{"squares", "-5"}, "N must be >= 0, got '-5'"},
        {{"squares", "2.5"}, "N must be a whole number, got '2.5'"},
        {{"squares", "ten"}, "N must be a whole number, got 'ten'"},
        {{"squares", "4294967297", "--gather", "none"},
         "N = 4294967297 is too large (at most 4294967296)"},
        {{"squares", "3000000000"},
         "N = 3000000000 results exceed MPI's int counts (2147483647) for a gather; use "
         "--gather none to sum without gathering"},
        {{"squares", "--gather", "some"}, "--gather must be 'all' or 'none', got 'some'"},
        {{"squares", "--print", "--gather", "none"},
         "--print needs the results gathered: drop --gather none"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.error);
        const auto r = parse(c.args);
        CHECK_FALSE(r.command);
        CHECK(r.exit_code == 2);
        CHECK(r.err == c.error);
    }
}

TEST_CASE("an unknown command is named, even with --help") {
    for (const auto& args :
         std::vector<std::vector<const char*>>{{"cubes"}, {"cubes", "--help"}, {"cubes", "3"}}) {
        const auto r = parse(args);
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK(
            r.err ==
            "unknown command 'cubes'; commands: spawn, squares, sleep, compare, demo, doctor (see "
            "rankpool --help)");
    }
}

TEST_CASE("unknown subcommands and options are one-line errors") {
    for (const auto& args : std::vector<std::vector<const char*>>{
             {"cubes"}, {"squares", "--bogus"}, {}, {"squares", "1", "2"}}) {
        const auto r = parse(args);
        CHECK_FALSE(r.command);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find('\n') == std::string::npos);
        CHECK(r.err.find("(see rankpool --help)") != std::string::npos);
    }
}

TEST_CASE("spawn and compare: defaults, options, bad input; spawn-worker is hidden") {
    const auto s = parse({"spawn"});
    REQUIRE(s.command);
    CHECK(s.command->name == "spawn");
    CHECK(s.command->options["n"] == 1000);
    CHECK(s.command->options["oversubscribe"] == true);
    const auto s2 = parse({"spawn", "7", "--no-oversubscribe", "--json"});
    REQUIRE(s2.command);
    CHECK(s2.command->options["n"] == 7);
    CHECK(s2.command->options["oversubscribe"] == false);
    CHECK(s2.command->json);
    const auto w = parse({"spawn-worker"});
    REQUIRE(w.command);
    CHECK(w.command->name == "spawn-worker");
    const auto c = parse({"compare"});
    REQUIRE(c.command);
    CHECK(c.command->options["n"] == 100);
    CHECK(c.command->options["repeat"] == 500000);
    const auto c2 = parse({"compare", "1000", "--repeat", "3"});
    REQUIRE(c2.command);
    CHECK(c2.command->options["n"] == 1000);
    CHECK(c2.command->options["repeat"] == 3);

    const auto top = parse({"--help"});
    CHECK(top.out.find("spawn") != std::string::npos);
    CHECK(top.out.find("compare") != std::string::npos);
    CHECK(top.out.find("spawn-worker") == std::string::npos);
    const auto unknown = parse({"cubes"});
    CHECK(unknown.err.find("spawn-worker") == std::string::npos);

    for (const auto& [args, error] : std::vector<std::pair<std::vector<const char*>, std::string>>{
             {{"spawn", "-1"}, "N must be >= 0, got '-1'"},
             {{"spawn", "x"}, "N must be a whole number, got 'x'"},
             {{"compare", "1000001"}, "N = 1000001 is too large (at most 1000000)"},
             {{"compare", "--repeat", "many"}, "--repeat must be a whole number, got 'many'"},
         }) {
        const auto r = parse(args);
        CHECK_FALSE(r.command);
        CHECK(r.exit_code == 2);
        CHECK(r.err == error);
    }
}
