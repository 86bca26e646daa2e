// `rankpool run`'s pure parts: replacement strings, shell quoting, and the words after the options.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "rankpool/errors.hpp"
#include "rankpool/run_template.hpp"

using namespace rankpool;

namespace {
std::string usage_message(const std::vector<std::string>& words, const std::string& tasks = "") {
    try {
        (void)parse_run_words(words, tasks);
    } catch (const usage_error& e) {
        return e.what();
    }
    return "(accepted)";
}
} // namespace

TEST_CASE("shell_quote: safe words as they are, the rest in single quotes") {
    CHECK(shell_quote("abc-1.txt") == "abc-1.txt");
    CHECK(shell_quote("a/b_c:d,e=f+g@h%") == "a/b_c:d,e=f+g@h%");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("a b") == "'a b'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("$HOME `x` \"q\" ;|&*?") == "'$HOME `x` \"q\" ;|&*?'");
    CHECK(shell_quote("line\nbreak") == "'line\nbreak'");
}

TEST_CASE("path forms as GNU parallel gives them") {
    CHECK(without_extension("dir.x/file.tar.gz") == "dir.x/file.tar");
    CHECK(without_extension("dir.x/file") == "dir.x/file");
    CHECK(without_extension("file.") == "file.");
    CHECK(without_extension("a") == "a");
    CHECK(base_name("d/sub/f.txt") == "f.txt");
    CHECK(base_name("f.txt") == "f.txt");
    CHECK(base_name("d/") == "");
    CHECK(dir_name("d/sub/f.txt") == "d/sub");
    CHECK(dir_name("f.txt") == ".");
    CHECK(dir_name("/f") == "/");
    CHECK(dir_name("d/sub/") == "d");
    CHECK(dir_name("/") == "/");
    CHECK(dir_name("d//f") == "d");
}

TEST_CASE("expand_command replaces every replacement string, quoted") {
    const Substitution s{"my dir/it's.tar.gz", 7, 3};
    CHECK(expand_command("cat {}", s) == "cat 'my dir/it'\\''s.tar.gz'");
    CHECK(expand_command("{#}:{%}", s) == "7:3");
    CHECK(expand_command("{.}", s) == "'my dir/it'\\''s.tar'");
    CHECK(expand_command("{/}", s) == "'it'\\''s.tar.gz'");
    CHECK(expand_command("{//}", s) == "'my dir'");
    CHECK(expand_command("{/.}", s) == "'it'\\''s.tar'");
    CHECK(expand_command("echo {} {} {x} { } {", {"a", 1, 1}) == "echo a a {x} { } {");
    CHECK(expand_command("sh -c \"sleep {}; echo done {}\"", {"0.5", 1, 1}) ==
          "sh -c \"sleep 0.5; echo done 0.5\"");
    CHECK(expand_command("echo {}", {"", 1, 1}) == "echo ''");
}

TEST_CASE("has_replacement sees every replacement string and nothing else") {
    for (const char* c : {"{}", "a{#}", "{%}b", "x {.}", "{/}", "{//}", "{/.}"}) {
        CAPTURE(c);
        CHECK(has_replacement(c));
    }
    for (const char* c : {"echo", "{x}", "{ }", "awk '{print $1}'", "{", "}"}) {
        CAPTURE(c);
        CHECK_FALSE(has_replacement(c));
    }
}

TEST_CASE("parse_run_words: COMMAND ::: ARG..., :::: FILE, --tasks FILE") {
    const auto a =
        parse_run_words(std::vector<std::string>{"echo", "{}", "x", ":::", "1", "-n"}, "");
    CHECK(a.source == RunSource::arguments);
    CHECK(a.command == "echo {} x");
    CHECK(a.arguments == std::vector<std::string>{"1", "-n"});

    const auto appended = parse_run_words(std::vector<std::string>{"gzip -9", ":::", "f"}, "");
    CHECK(appended.command == "gzip -9 {}");

    const auto none = parse_run_words(std::vector<std::string>{"echo", ":::"}, "");
    CHECK(none.arguments.empty());

    const auto f = parse_run_words(std::vector<std::string>{"wc -l", "::::", "list"}, "");
    CHECK(f.source == RunSource::arg_file);
    CHECK(f.file == "list");
    CHECK(f.command == "wc -l {}");

    const auto t = parse_run_words(std::vector<std::string>{}, "cmds.txt");
    CHECK(t.source == RunSource::task_file);
    CHECK(t.file == "cmds.txt");
}

TEST_CASE("parse_run_words refuses what says no command, two inputs or a contradiction") {
    CHECK(usage_message({}) == "run needs a COMMAND: rankpool run COMMAND ::: ARG... (or :::: "
                               "FILE, or --tasks FILE)");
    CHECK(usage_message({":::", "a"}) == usage_message({}));
    CHECK(usage_message({" ", ":::", "a"}) == "COMMAND is empty: give a shell command to run");
    CHECK(usage_message({"echo"}) == "run needs its arguments: COMMAND ::: ARG... or COMMAND "
                                     ":::: FILE (rankpool does not read standard input)");
    CHECK(usage_message({"echo", ":::", "a", ":::", "b"}) ==
          "give one input source (::: ARG... or :::: FILE), not several: combinations of sources "
          "are not supported");
    CHECK(usage_message({"echo", "::::", "a", "b"}) == ":::: takes one FILE, got 2");
    CHECK(usage_message({"echo", "::::"}) == ":::: takes one FILE, got 0");
    CHECK(usage_message({"echo", "::::", ""}) == ":::: needs a FILE, got an empty string");
    CHECK(usage_message({"echo", ":::", "a"}, "f") ==
          "--tasks FILE and COMMAND contradict each other: give the commands one way");
}
