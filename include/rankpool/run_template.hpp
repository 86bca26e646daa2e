// `rankpool run`'s pure parts: GNU parallel's replacement strings, shell quoting, the input words.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rankpool {

/// `s` quoted for /bin/sh as GNU parallel and Python's shlex.quote do: as it is when every
/// character is safe ([A-Za-z0-9@%+=:,./_-]), else in single quotes with each ' written '\''.
/// The empty string becomes ''.
[[nodiscard]] std::string shell_quote(std::string_view s);

/// GNU parallel's path forms of an argument: {.} drops the last extension of the last path
/// component ("d.x/f.tar.gz" -> "d.x/f.tar"), {/} is the basename ("d/f.txt" -> "f.txt"), {//}
/// the dirname as Perl's File::Basename gives it ("f" -> ".", "/f" -> "/"), {/.} the basename
/// without extension.
[[nodiscard]] std::string without_extension(std::string_view path);
[[nodiscard]] std::string base_name(std::string_view path);
[[nodiscard]] std::string dir_name(std::string_view path);

/// Whether `command` contains any replacement string: {} {#} {%} {.} {/} {//} {/.}.
[[nodiscard]] bool has_replacement(std::string_view command);

/// What a replacement string is replaced by in one task.
struct Substitution {
    std::string_view argument; ///< {} and its path forms, each quoted for the shell
    std::uint64_t number = 1;  ///< {#}: the task number, 1-based
    std::uint64_t slot = 1;    ///< {%}: the slot, 1-based (rankpool: the rank + 1)
};

/// `command` with each replacement string replaced; anything else (other braces too) is kept.
[[nodiscard]] std::string expand_command(std::string_view command, const Substitution& s);

/// Where a run's tasks come from.
enum class RunSource {
    arguments, ///< COMMAND ::: ARG...
    arg_file,  ///< COMMAND :::: FILE (one argument per line)
    task_file, ///< --tasks FILE (one whole command per line)
};

/// The words after `rankpool run`'s options, understood.
struct RunInput {
    RunSource source = RunSource::arguments;
    std::string command;                ///< the command template (" {}" appended if it had none)
    std::vector<std::string> arguments; ///< the ::: arguments
    std::string file;                   ///< the :::: or --tasks FILE
};

/// Parses `words` (COMMAND... [::: ARG... | :::: FILE]; COMMAND's words are joined with spaces
/// as GNU parallel does) with `tasks_file` (--tasks FILE, empty when not given). Throws
/// usage_error when they say no command, two inputs, or contradict each other.
[[nodiscard]] RunInput parse_run_words(std::span<const std::string> words,
                                       const std::string& tasks_file);

} // namespace rankpool
