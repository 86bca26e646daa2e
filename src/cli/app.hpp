// The command line: the subcommands, parsed on every rank before MPI starts, and exit codes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <nlohmann/json.hpp>

#include "rankpool/thread_level.hpp"

namespace CLI {
class App;
}

namespace rankpool::cli {

class Output;

/// Exit codes shared by every command and every rank.
enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1, ///< a task failed, a check did not hold, MPI reported an error
    exit_usage = 2,   ///< bad input, refused before any work
};

/// A parsed, validated command, ready to run once MPI is up.
struct Command {
    std::string name;
    bool json = false;
    nlohmann::ordered_json options; ///< the validated options, as the report echoes them
    /// Runs the command on `comm` (collective) and returns this rank's exit code.
    std::function<int(const boost::mpi::communicator&, Output&)> run;
    /// Which ranks start threads of their own: MPI is initialised at the thread level this asks
    /// for (thread_level_to_request), funneled when a command does not say.
    ExtraThreads threads = ExtraThreads::every_rank;
};

/// What parsing decided: a command to run, or text to print (help, or a one-line error) and an
/// exit code. Every rank parses the same argv and reaches the same verdict.
struct ParseResult {
    std::optional<Command> command;
    int exit_code = exit_ok;
    std::string out; ///< help text, for stdout
    std::string err; ///< one error line (without "rankpool: error: "), for stderr
};

[[nodiscard]] ParseResult parse_command_line(int argc, const char* const* argv);

/// One option of one subcommand, as --help lists it (for tests that check a rule over all).
struct OptionInfo {
    std::string command;
    std::string name; ///< "--schedule", or a positional's name ("N")
    bool positional = false;
    bool takes_value = false;
};

/// Every option of every subcommand shown in --help.
[[nodiscard]] std::vector<OptionInfo> list_options();

/// Each subcommand's file (src/cli/NAME_cli.cpp) defines one of these: it adds its CLI11
/// subcommand to `app` and, when that subcommand is parsed, validates its values (throwing
/// usage_error) and fills `chosen`.
using AddCommand = void (*)(CLI::App& app, std::optional<Command>& chosen);

void add_spawn_command(CLI::App& app, std::optional<Command>& chosen);
void add_squares_command(CLI::App& app, std::optional<Command>& chosen);
void add_sleep_command(CLI::App& app, std::optional<Command>& chosen);
void add_compare_command(CLI::App& app, std::optional<Command>& chosen);
void add_demo_command(CLI::App& app, std::optional<Command>& chosen);
void add_doctor_command(CLI::App& app, std::optional<Command>& chosen);
void add_run_command(CLI::App& app, std::optional<Command>& chosen);

} // namespace rankpool::cli
