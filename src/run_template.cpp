// `rankpool run`'s pure parts: GNU parallel's replacement strings, shell quoting, the input words.
#include "rankpool/run_template.hpp"

#include <array>

#include "rankpool/errors.hpp"

namespace rankpool {

namespace {

bool is_safe(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
           std::string_view("@%+=:,./_-").find(c) != std::string_view::npos;
}

/// The replacement strings, longest first where one is a prefix of another.
constexpr std::array<std::string_view, 7> replacements = {"{}",   "{#}",  "{%}", "{.}",
                                                          "{//}", "{/.}", "{/}"};

/// The replacement string `command` starts with, or empty.
std::string_view replacement_at(std::string_view command) {
    for (const auto r : replacements) {
        if (command.starts_with(r)) {
            return r;
        }
    }
    return {};
}

std::string replacement_value(std::string_view r, const Substitution& s) {
    if (r == "{#}") {
        return std::to_string(s.number);
    }
    if (r == "{%}") {
        return std::to_string(s.slot);
    }
    if (r == "{.}") {
        return shell_quote(without_extension(s.argument));
    }
    if (r == "{/}") {
        return shell_quote(base_name(s.argument));
    }
    if (r == "{//}") {
        return shell_quote(dir_name(s.argument));
    }
    if (r == "{/.}") {
        return shell_quote(without_extension(base_name(s.argument)));
    }
    return shell_quote(s.argument);
}

} // namespace

std::string shell_quote(std::string_view s) {
    if (s.empty()) {
        return "''";
    }
    bool safe = true;
    for (const char c : s) {
        safe = safe && is_safe(c);
    }
    if (safe) {
        return std::string(s);
    }
    std::string q = "'";
    for (const char c : s) {
        if (c == '\'') {
            q += "'\\''";
        } else {
            q.push_back(c);
        }
    }
    q.push_back('\'');
    return q;
}

std::string without_extension(std::string_view path) {
    // GNU parallel: s:\.[^/\.]+$:: (a dot, then at least one character that is neither / nor .)
    const auto dot = path.find_last_of("./");
    if (dot == std::string_view::npos || path[dot] != '.' || dot + 1 == path.size()) {
        return std::string(path);
    }
    return std::string(path.substr(0, dot));
}

std::string base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string dir_name(std::string_view path) {
    // Perl's File::Basename::dirname on Unix.
    while (path.size() > 1 && path.back() == '/') {
        path.remove_suffix(1);
    }
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) {
        return ".";
    }
    path = path.substr(0, slash);
    while (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    return path.empty() ? "/" : std::string(path);
}

bool has_replacement(std::string_view command) {
    for (std::size_t i = command.find('{'); i != std::string_view::npos;
         i = command.find('{', i + 1)) {
        if (!replacement_at(command.substr(i)).empty()) {
            return true;
        }
    }
    return false;
}

std::string expand_command(std::string_view command, const Substitution& s) {
    std::string out;
    out.reserve(command.size() + s.argument.size() + 8);
    std::size_t i = 0;
    while (i < command.size()) {
        const auto r = command[i] == '{' ? replacement_at(command.substr(i)) : std::string_view();
        if (r.empty()) {
            out.push_back(command[i]);
            ++i;
        } else {
            out += replacement_value(r, s);
            i += r.size();
        }
    }
    return out;
}

RunInput parse_run_words(std::span<const std::string> words, const std::string& tasks_file) {
    RunInput in;
    std::size_t k = 0;
    std::string command;
    for (; k < words.size() && words[k] != ":::" && words[k] != "::::"; ++k) {
        command += (command.empty() ? "" : " ") + words[k];
    }
    const bool has_source = k < words.size();
    if (!tasks_file.empty()) {
        if (!command.empty() || has_source) {
            throw usage_error("--tasks FILE and COMMAND contradict each other: give the commands "
                              "one way");
        }
        in.source = RunSource::task_file;
        in.file = tasks_file;
        return in;
    }
    if (k == 0) {
        throw usage_error("run needs a COMMAND: rankpool run COMMAND ::: ARG... (or :::: FILE, "
                          "or --tasks FILE)");
    }
    if (command.find_first_not_of(" \t\n") == std::string::npos) {
        throw usage_error("COMMAND is empty: give a shell command to run");
    }
    if (!has_source) {
        throw usage_error("run needs its arguments: COMMAND ::: ARG... or COMMAND :::: FILE "
                          "(rankpool does not read standard input)");
    }
    const std::string& marker = words[k];
    std::vector<std::string> items(words.begin() + static_cast<std::ptrdiff_t>(k) + 1, words.end());
    for (const auto& w : items) {
        if (w == ":::" || w == "::::") {
            throw usage_error("give one input source (::: ARG... or :::: FILE), not several: "
                              "combinations of sources are not supported");
        }
    }
    in.command = has_replacement(command) ? command : command + " {}";
    if (marker == ":::") {
        in.source = RunSource::arguments;
        in.arguments = std::move(items);
        return in;
    }
    if (items.size() != 1) {
        throw usage_error(":::: takes one FILE, got " + std::to_string(items.size()));
    }
    if (items.front().empty()) {
        throw usage_error(":::: needs a FILE, got an empty string");
    }
    in.source = RunSource::arg_file;
    in.file = items.front();
    return in;
}

} // namespace rankpool
