// `rankpool run`'s pure parts in the commands and the CLI: result framing, failure lines, parsing.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cli/app.hpp"
#include "commands/run_result.hpp"

using namespace rankpool;
using namespace rankpool::commands;

namespace {
cli::ParseResult parse(const std::vector<std::string>& args) {
    std::vector<const char*> argv = {"rankpool"};
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    return cli::parse_command_line(static_cast<int>(argv.size()), argv.data());
}
} // namespace

TEST_CASE("a task result survives its framing, whatever bytes it holds") {
    TaskResult r;
    r.ending = Ending::signaled;
    r.code = 9;
    r.rank = 3;
    r.seconds = 1.25;
    r.host = "node-1";
    r.command = "echo 'a b'\n";
    r.out = std::string("out\0with nul\n", 13) + "rankpool-run 1 x 0 0 0 0 0 0 0\n";
    r.err = "err\n";
    const TaskResult back = decode(encode(r));
    CHECK(back.ending == Ending::signaled);
    CHECK(back.code == 9);
    CHECK(back.rank == 3);
    CHECK(back.seconds == 1.25);
    CHECK(back.host == r.host);
    CHECK(back.command == r.command);
    CHECK(back.out == r.out);
    CHECK(back.err == r.err);
    const TaskResult empty = decode(encode(TaskResult{}));
    CHECK(empty.ok());
    CHECK(empty.out.empty());
    const TaskResult head = decode_head(encode(r)); // the header only: the strings stay empty
    CHECK(head.ending == Ending::signaled);
    CHECK(head.code == 9);
    CHECK(head.rank == 3);
    CHECK(head.seconds == 1.25);
    CHECK(head.host.empty());
    CHECK(head.out.empty());
    CHECK_THROWS_WITH_AS((void)decode_head("hello\n"), "rankpool run: a task result is garbled",
                         std::runtime_error);
}

TEST_CASE("garbled result bytes are refused") {
    const std::string good = encode(TaskResult{});
    for (const std::string& bad :
         {std::string(), std::string("hello\n"), good.substr(0, good.size() - 1), good + "x",
          std::string("rankpool-run 1 q 0 0 0 0 0 0 0\n"),
          std::string("rankpool-run 1 x 0 0 0 0 0 5 0\nab")}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS((void)decode(bad), "rankpool run: a task result is garbled",
                             std::runtime_error);
    }
}

TEST_CASE("last_lines keeps the tail of a text") {
    CHECK(last_lines("a\nb\nc\n", 2) == "b\nc");
    CHECK(last_lines("a\nb\nc", 2) == "b\nc");
    CHECK(last_lines("a\nb", 5) == "a\nb");
    CHECK(last_lines("", 5).empty());
    CHECK(last_lines("a\n", 0).empty());
}

TEST_CASE("a failed task's lines: where, how, what, and the tail of its stderr") {
    TaskResult r;
    r.code = 2;
    r.rank = 1;
    r.host = "h";
    r.command = "sh -c 'exit 2'";
    r.err = "1\n2\n3\n4\n5\n6\n7\n";
    CHECK(describe_failure(4, r) ==
          std::vector<std::string>{"task 4 failed on rank 1 (h), exit code 2: sh -c 'exit 2'",
                                   "  | 3", "  | 4", "  | 5", "  | 6", "  | 7"});
    r.ending = Ending::signaled;
    r.code = 9;
    r.err.clear();
    CHECK(describe_failure(1, r) ==
          std::vector<std::string>{"task 1 failed on rank 1 (h), killed by signal 9 "
                                   "(Killed): sh -c 'exit 2'"});
    r.ending = Ending::timed_out;
    r.code = 0;
    r.seconds = 0.5;
    CHECK(describe_ending(r) == "timed out after 0.5 s (process group killed)");
    r.ending = Ending::not_run;
    r.err = "--results cannot make 'x/1': Permission denied";
    CHECK(describe_ending(r) == "not run: --results cannot make 'x/1': Permission denied");
}

TEST_CASE("run: options first, then COMMAND and its input taken as they are") {
    const auto r = parse(
        {"run", "--timeout", "2", "--unordered", "echo", "-n", "{}", ":::", "-a", "--b", "it's"});
    REQUIRE(r.command);
    CHECK(r.command->name == "run");
    CHECK(r.command->options["command"] == "echo -n {}");
    CHECK(r.command->options["arguments"] ==
          nlohmann::ordered_json::parse(R"(["-a", "--b", "it's"])"));
    CHECK(r.command->options["timeout"] == 2.0);
    CHECK(r.command->options["ordered"] == false);

    const auto words_like_options = parse({"run", "echo", "--timeout", "1", ":::", "x"});
    REQUIRE(words_like_options.command);
    CHECK(words_like_options.command->options["command"] == "echo --timeout 1 {}");
    CHECK(words_like_options.command->options["timeout"] == 0.0);

    const auto assignments =
        parse({"run", "--timeout=3", "--results", "d", "grep", "--color=", "{}", ":::", "--x="});
    REQUIRE(assignments.command);
    CHECK(assignments.command->options["command"] == "grep --color= {}");
    CHECK(assignments.command->options["arguments"] ==
          nlohmann::ordered_json::parse(R"(["--x="])"));
    CHECK(assignments.command->options["timeout"] == 3.0);
    CHECK(assignments.command->options["results"] == "d");
    const auto empty_timeout = parse({"run", "--timeout=", "echo", ":::", "a"});
    CHECK(empty_timeout.err == "--timeout needs a value, got an empty string");

    const auto subcommand_word = parse({"run", "sleep", ":::", "1"});
    REQUIRE(subcommand_word.command);
    CHECK(subcommand_word.command->options["command"] == "sleep {}");
}

TEST_CASE("run: refusals at parse time") {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"run"},
         "run needs a COMMAND: rankpool run COMMAND ::: ARG... (or :::: FILE, or "
         "--tasks FILE)"},
        {{"run", "--timeout", "0", "true", ":::", "a"}, "--timeout must be > 0 seconds, got '0'"},
        {{"run", "--timeout", "soon", "true", ":::", "a"},
         "--timeout must be a number of seconds, got 'soon'"},
        {{"run", "--tasks", "f", "true"},
         "--tasks FILE and COMMAND contradict each other: give the commands one way"},
        {{"run", "echo"},
         "run needs its arguments: COMMAND ::: ARG... or COMMAND :::: FILE "
         "(rankpool does not read standard input)"},
    };
    // Named, not structured bindings: clang 14 cannot capture those (CAPTURE does).
    for (const auto& c : cases) {
        const auto& args = c.first;
        const auto& message = c.second;
        CAPTURE(args.size());
        const auto r = parse(args);
        CHECK(r.exit_code == 2);
        CHECK(r.err == message);
    }
}

TEST_CASE("run --help describes ::: and ::::") {
    const auto r = parse({"run", "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("COMMAND... ::: ARG...") != std::string::npos);
    CHECK(r.out.find("COMMAND... :::: FILE") != std::string::npos);
    CHECK(r.out.find("{#} the task number") != std::string::npos);
}
