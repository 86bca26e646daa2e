// Tests of the command line as a whole: subcommands, defaults, help, one-line errors, exit codes.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cli/options.hpp"

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
        CHECK(r.err == "unknown command 'cubes'; commands: squares, sleep (see rankpool --help)");
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
