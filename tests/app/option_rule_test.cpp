// One rule over every option of every command, tested over all of them from the parser's own
// list: each at most once, never an empty value, numbers without a sign, and a sample that parses.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "cli/app.hpp"

using namespace rankpool;

namespace {

cli::ParseResult parse(const std::vector<std::string>& args) {
    std::vector<const char*> argv = {"rankpool"};
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    return cli::parse_command_line(static_cast<int>(argv.size()), argv.data());
}

/// A value each option accepts, with any options it goes with. A new option is missing here
/// until someone says what it takes: the test below fails for it.
struct Sample {
    std::vector<std::string> with; ///< options it needs beside it
    std::string value;             ///< empty for a flag
};

std::map<std::string, Sample> samples(const std::string& arg_file) {
    return {
        {"squares N", {{}, "5"}},
        {"squares --gather", {{}, "none"}},
        {"squares --input", {{}, "array"}},
        {"squares --schedule", {{}, "guided"}},
        {"squares --chunksize", {{"--schedule", "dynamic"}, "3"}},
        {"squares --work", {{}, "7"}},
        {"squares --joblog", {{"--schedule", "dynamic"}, "/tmp/rankpool-option-rule-joblog"}},
        {"squares --progress", {{"--schedule", "dynamic"}, ""}},
        {"squares --no-progress", {{"--schedule", "dynamic"}, ""}},
        {"squares --journal", {{"--schedule", "dynamic"}, "/tmp/rankpool-option-rule-journal"}},
        {"squares --grace", {{"--schedule", "dynamic"}, "3"}},
        {"squares --print", {{}, ""}},
        {"squares --output", {{}, "squares.npy"}},
        {"squares --json", {{}, ""}},
        {"sleep SECONDS", {{}, "0"}},
        {"sleep --arg-file", {{}, arg_file}},
        {"sleep --schedule", {{}, "cyclic"}},
        {"sleep --chunksize", {{}, "2"}},
        {"sleep --dist", {{}, "exp:0.001"}},
        {"sleep --seed", {{"--dist", "exp:0.001"}, "7"}},
        {"sleep --repeat", {{}, "2"}},
        {"sleep --fail-task", {{}, "1"}},
        {"sleep --crash-task", {{}, "2"}},
        {"sleep --flaky-task", {{}, "1"}},
        {"sleep --retries", {{}, "2"}},
        {"sleep --halt", {{}, "soon,fail=10%"}},
        {"sleep --joblog", {{}, "/tmp/rankpool-option-rule-joblog"}},
        {"sleep --progress", {{}, ""}},
        {"sleep --no-progress", {{}, ""}},
        {"sleep --idle", {{}, "spin"}},
        {"sleep --longest-first", {{}, ""}},
        {"sleep --unordered", {{}, ""}},
        {"sleep --keep-going", {{}, ""}},
        {"sleep --quiet", {{}, ""}},
        {"sleep --root-dispatches-only", {{}, ""}},
        {"sleep --journal", {{}, "/tmp/rankpool-option-rule-journal"}},
        {"sleep --grace", {{}, "3"}},
        {"sleep --output", {{}, "out/sleep.csv"}},
        {"sleep --json", {{}, ""}},
        {"spawn N", {{}, "10"}},
        {"spawn --no-oversubscribe", {{}, ""}},
        {"spawn --crash-worker", {{}, "join"}},
        {"spawn --json", {{}, ""}},
        {"compare N", {{}, "10"}},
        {"compare --repeat", {{}, "3"}},
        {"compare --json", {{}, ""}},
        {"demo --quick", {{}, ""}},
        {"demo --json", {{}, ""}},
        {"doctor --timeout", {{}, "5"}},
        {"doctor --json", {{}, ""}},
        {"run --tasks", {{}, arg_file}},
        {"run --timeout", {{"--tasks", arg_file}, "2"}},
        {"run --unordered", {{"--tasks", arg_file}, ""}},
        {"run --results", {{"--tasks", arg_file}, "/tmp/rankpool-results"}},
        {"run --summary", {{"--tasks", arg_file}, ""}},
        {"run --json", {{"--tasks", arg_file}, ""}},
        {"sleep --deadline", {{}, "3600"}},
        {"sleep --resume-failed", {{"--journal", "/tmp/rankpool-option-rule-journal"}, ""}},
        {"run --retries", {{"--tasks", arg_file}, "2"}},
        {"run --halt", {{"--tasks", arg_file}, "soon,fail=10%"}},
        {"run --joblog", {{"--tasks", arg_file}, "/tmp/rankpool-option-rule-joblog"}},
        {"run --progress", {{"--tasks", arg_file}, ""}},
        {"run --no-progress", {{"--tasks", arg_file}, ""}},
        {"run --journal", {{"--tasks", arg_file}, "/tmp/rankpool-option-rule-journal"}},
        {"run --deadline", {{"--tasks", arg_file}, "3600"}},
    };
}

std::vector<std::string> command_line(const cli::OptionInfo& o, const Sample& s,
                                      const std::vector<std::string>& values) {
    std::vector<std::string> args = {o.command};
    args.insert(args.end(), s.with.begin(), s.with.end());
    for (const auto& v : values) {
        if (!o.positional) {
            args.push_back(o.name);
        }
        if (o.takes_value) {
            args.push_back(v);
        }
    }
    return args;
}

bool is_number(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

} // namespace

TEST_CASE("every option of every command follows the one rule") {
    const std::string arg_file = "/tmp/rankpool-option-rule-" + std::to_string(::getpid());
    std::ofstream(arg_file) << "0\n0.5\n";
    const auto table = samples(arg_file);
    const auto options = cli::list_options();
    REQUIRE(options.size() == table.size()); // nothing listed twice, nothing unlisted
    for (const auto& o : options) {
        const std::string key = o.command + " " + o.name;
        CAPTURE(key);
        const auto it = table.find(key);
        REQUIRE_MESSAGE(it != table.end(), "no sample value for " << key);
        const Sample& s = it->second;

        // A good value parses.
        const auto good = parse(command_line(o, s, {s.value}));
        CHECK(good.exit_code == 0);
        CHECK(good.err.empty());
        CHECK(good.command.has_value());

        if (!o.positional) {
            // At most once, flags and options alike, with the same words everywhere.
            const auto twice = parse(command_line(o, s, {s.value, s.value}));
            CHECK(twice.exit_code == 2);
            CHECK(twice.err == o.name + " is given 2 times: give each option at most once");
        }
        if (o.takes_value && !o.positional) {
            // Never an empty value, whichever way it is written.
            const auto empty = parse(command_line(o, s, {""}));
            CHECK(empty.exit_code == 2);
            CHECK(empty.err == o.name + " needs a value, got an empty string");
            auto assigned = command_line(o, s, {});
            assigned.push_back(o.name + "=");
            const auto empty2 = parse(assigned);
            CHECK(empty2.exit_code == 2);
            CHECK(empty2.err == o.name + " needs a value, got an empty string");
        }
        if (o.takes_value && o.positional) {
            const auto empty = parse(command_line(o, s, {""}));
            CHECK(empty.exit_code == 2);
            CHECK(empty.err.rfind(o.name + " must be", 0) == 0);
        }
        if (is_number(s.value)) {
            // Plain decimal without a sign: "-0" and "+N" are refused, with one line.
            for (const std::string& bad : {std::string("-0"), "+" + s.value, "-" + s.value}) {
                CAPTURE(bad);
                const auto r = parse(command_line(o, s, {bad}));
                CHECK(r.exit_code == 2);
                CHECK_FALSE(r.err.empty());
                CHECK(r.err.find('\n') == std::string::npos);
            }
        }
    }
    std::remove(arg_file.c_str());
}

TEST_CASE("sleep: the task list from a file, and the contradictions refused") {
    const std::string path = "/tmp/rankpool-arg-file-" + std::to_string(::getpid());
    std::ofstream(path) << "# durations\n0.25\n\n  # indented comment\n0\r\n1.5"; // no final \n
    const auto r = parse({"sleep", "--arg-file", path});
    REQUIRE(r.command);
    CHECK(r.command->options["seconds"] == nlohmann::ordered_json::parse("[0.25, 0, 1.5]"));

    const auto both = parse({"sleep", "1", "--arg-file", path});
    CHECK(both.exit_code == 2);
    CHECK(both.err == "SECONDS and --arg-file contradict each other: give the durations one way");

    std::ofstream(path) << "1\nsoon\n";
    const auto bad = parse({"sleep", "--arg-file", path});
    CHECK(bad.err == "--arg-file " + path + " line 2 must be a number of seconds, got 'soon'");
    std::remove(path.c_str());
    const auto missing = parse({"sleep", "--arg-file", path});
    CHECK(missing.err == "--arg-file cannot read '" + path + "': No such file or directory");

    const auto clash = parse({"sleep", "1", "2", "--fail-task", "1", "--crash-task", "1"});
    CHECK(clash.err ==
          "--fail-task and --crash-task contradict each other: task 1 can fail or crash, not both");
}

TEST_CASE("sleep: a task count nothing could hold is refused before any work") {
    std::vector<std::string> args = {"sleep"};
    for (int i = 0; i < 1000; ++i) {
        args.emplace_back("0");
    }
    args.insert(args.end(), {"--repeat", "100000000"});
    const auto r = parse(args);
    CHECK(r.exit_code == 2);
    CHECK(r.err == "sleep: 1000 durations x --repeat 100000000 is more than 100000000 tasks");
    const auto edge = parse({"sleep", "0", "--repeat", "100000000"});
    CHECK(edge.exit_code == 0);
}

TEST_CASE("sleep: every bad value of --retries, --halt and --flaky-task is one line and exit 2") {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"sleep", "1", "--retries", "256"}, "--retries = 256 is too large (at most 255)"},
        {{"sleep", "1", "--retries", "x"}, ""},
        {{"sleep", "1", "--retries", "1.5"}, ""},
        {{"sleep", "1", "--halt", "always"},
         "--halt must be 'never', 'now,fail=N', 'soon,fail=N', 'now,fail=P%' or 'soon,fail=P%', "
         "got 'always'"},
        {{"sleep", "1", "--halt", "now,fail=0"}, "--halt fail=N needs N >= 1, got 'now,fail=0'"},
        {{"sleep", "1", "--halt", "soon,fail=101%"},
         "--halt fail=P% needs 1 <= P <= 100, got 'soon,fail=101%'"},
        {{"sleep", "1", "--halt", "now,success=1"}, ""},
        {{"sleep", "1", "--halt", "now,fail=-1"}, ""},
        {{"sleep", "1", "--halt", "never", "--keep-going"},
         "--halt and --keep-going contradict each other: --keep-going is --halt never; give one"},
        {{"sleep", "1", "--progress", "--no-progress"},
         "--progress and --no-progress contradict each other: give one"},
        {{"sleep", "1", "--flaky-task", "1"}, "--flaky-task = 1 is too large (at most 0)"},
        {{"sleep", "1", "2", "--flaky-task", "1", "--fail-task", "1"},
         "--flaky-task and --fail-task contradict each other: task 1 is given both"},
        {{"sleep", "1", "2", "--flaky-task", "0", "--crash-task", "0"},
         "--flaky-task and --crash-task contradict each other: task 0 is given both"},
    };
    // Named, not structured bindings: clang 14 cannot capture those (CAPTURE does).
    for (const auto& c : cases) {
        const auto& args = c.first;
        const auto& err = c.second;
        CAPTURE(args);
        const auto r = parse(args);
        CHECK(r.exit_code == 2);
        CHECK_FALSE(r.err.empty());
        CHECK(r.err.find('\n') == std::string::npos);
        if (!err.empty()) {
            CHECK(r.err == err);
        }
    }
    const auto ok = parse({"sleep", "1", "2", "--retries", "255", "--halt", "soon,fail=1"});
    REQUIRE(ok.command);
    CHECK(ok.command->options["retries"] == 255);
    CHECK(ok.command->options["halt"] == "soon,fail=1");
    CHECK(ok.command->options["progress"] == "auto");
    const auto kg = parse({"sleep", "1", "--keep-going"});
    REQUIRE(kg.command);
    CHECK(kg.command->options["halt"] == "never");
}

TEST_CASE("squares: --joblog and progress go with --schedule") {
    for (const auto& [args, err] : std::vector<std::pair<std::vector<std::string>, std::string>>{
             {{"squares", "5", "--joblog", "/tmp/x"}, "--joblog goes with --schedule"},
             {{"squares", "5", "--progress"}, "--progress goes with --schedule"},
             {{"squares", "5", "--no-progress"}, "--no-progress goes with --schedule"},
             {{"squares", "5", "--schedule", "dynamic", "--progress", "--no-progress"},
              "--progress and --no-progress contradict each other: give one"}}) {
        const auto r = parse(args);
        CHECK(r.exit_code == 2);
        CHECK(r.err == err);
    }
}
