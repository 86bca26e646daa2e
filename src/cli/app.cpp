// The command line: the top-level app, the list of subcommands, errors folded to one line.
#include "app.hpp"

#include <CLI/CLI.hpp>

#include "rankpool/errors.hpp"

namespace rankpool::cli {

namespace {

/// Every subcommand, in the order --help lists them.
constexpr AddCommand all_commands[] = {
    add_spawn_command,   // tutorial example 1: Process(target=worker)
    add_squares_command, // example 2: Pool.map
    add_sleep_command,   // example 3: ProcessPoolExecutor.map
    add_compare_command, // example 4: serial vs threads vs processes
    add_demo_command,    // all four, in order
    add_run_command,     // shell commands as tasks, as GNU parallel
    add_doctor_command,  // a preflight check of the launcher, placement and links
};

constexpr const char* footer =
    R"(Every option of every command: at most once; never an empty value; numbers in
plain decimal without a sign; options that contradict each other are refused.
Run under MPI, for example:
  mpirun -np 4 --oversubscribe rankpool demo
  mpirun -np 4 --oversubscribe rankpool squares 1000000
  mpirun --hostfile hosts rankpool doctor     (check a setup before a job)
Exit codes: 0 success, 1 a task or check failed, 2 bad input (refused before any work),
128 + N stopped by signal N with work left (143 SIGTERM, 130 SIGINT, 138 SIGUSR1), 142 stopped
at the --deadline with work left: rerun with the same --journal to resume.
On a workstation, OMPI_MCA_pml=ob1 skips Open MPI's ~0.2 s probe for absent interconnects.)";

std::string one_line(std::string s) {
    for (char& c : s) {
        if (c == '\n') {
            c = ' ';
        }
    }
    while (!s.empty() && s.back() == ' ') {
        s.pop_back();
    }
    return s;
}

std::string command_names(const CLI::App& app) {
    std::string names;
    for (const auto* sub :
         app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    return names;
}

bool is_command(const CLI::App& app, const std::string& name) {
    const auto subs = app.get_subcommands([&](const CLI::App* a) { return a->check_name(name); });
    return !subs.empty();
}

/// Where the words of a prefix command's COMMAND start in argv (`rankpool run --timeout 5 echo
/// --x= ::: a`: at "echo"), or argc when argv[1] is no such command: the first word after the
/// subcommand that is neither an option nor an option's value.
int first_command_word(const CLI::App& app, int argc, const char* const* argv) {
    if (argc < 2) {
        return argc;
    }
    const auto subs =
        app.get_subcommands([&](const CLI::App* a) { return a->check_name(argv[1]); });
    if (subs.empty() || !subs.front()->get_prefix_command()) {
        return argc;
    }
    for (int i = 2; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (!a.starts_with("-") || a == "-") {
            return i;
        }
        const auto* opt = subs.front()->get_option_no_throw(std::string(a.substr(0, a.find('='))));
        if (opt != nullptr && opt->get_expected_min() != 0 && a.find('=') == std::string::npos) {
            ++i; // its value
        }
    }
    return argc;
}

/// argv[1..] for CLI11 (which wants them in reverse order), with `--name=` (an empty value after
/// '=') split into `--name` and "", so that the option rule, not CLI11, refuses the empty value.
/// The words of a prefix command's COMMAND (`rankpool run`'s) are left as they are.
std::vector<std::string> split_empty_assignments(const CLI::App& app, int argc,
                                                 const char* const* argv) {
    const int command = first_command_word(app, argc, argv);
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a(argv[i]);
        if (i < command && a.size() > 3 && a.starts_with("--") && a.back() == '=' &&
            a.find('=') == a.size() - 1) {
            args.emplace_back(a.substr(0, a.size() - 1));
            args.emplace_back();
        } else {
            args.emplace_back(a);
        }
    }
    return {args.rbegin(), args.rend()};
}

/// The rule every option of every command follows, checked as soon as a subcommand is parsed and
/// before its own checks: each option at most once, and an option that takes a value never an
/// empty one.
void check_option_rule(const CLI::App& sub) {
    for (const CLI::Option* opt : sub.get_options()) {
        if (opt->get_positional() || opt->count() == 0) {
            continue;
        }
        const std::string& name = opt->get_name();
        if (opt->count() > 1) {
            throw usage_error(name + " is given " + std::to_string(opt->count()) +
                              " times: give each option at most once");
        }
        if (opt->get_expected_min() != 0) {
            for (const auto& v : opt->results()) {
                if (v.empty()) {
                    throw usage_error(name + " needs a value, got an empty string");
                }
            }
        }
    }
}

/// Makes every subcommand follow check_option_rule: CLI11 keeps the last of repeated options
/// (so that the rule, not CLI11, says what is wrong) and the rule runs when parsing completes.
void apply_option_rule(CLI::App& app) {
    for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        for (CLI::Option* opt : sub->get_options()) {
            if (!opt->get_positional()) {
                opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
            }
        }
        sub->parse_complete_callback([sub] { check_option_rule(*sub); });
    }
}

} // namespace

std::vector<OptionInfo> list_options() {
    CLI::App app;
    std::optional<Command> chosen;
    for (const AddCommand add : all_commands) {
        add(app, chosen);
    }
    std::vector<OptionInfo> all;
    for (const CLI::App* sub :
         app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
        for (const CLI::Option* opt : sub->get_options()) {
            if (opt->get_name() == "--help") {
                continue;
            }
            all.push_back({sub->get_name(), opt->get_name(), opt->get_positional(),
                           opt->get_expected_min() != 0});
        }
    }
    return all;
}

ParseResult parse_command_line(int argc, const char* const* argv) {
    CLI::App app{"rankpool: Python's multiprocessing Pool.map and ProcessPoolExecutor.map on MPI "
                 "ranks.",
                 "rankpool"};
    app.footer(footer);
    app.set_version_flag("--version", std::string("rankpool ") + RANKPOOL_VERSION);
    app.require_subcommand(1);
    std::optional<Command> chosen;
    for (const AddCommand add : all_commands) {
        add(app, chosen);
    }
    apply_option_rule(app);

    ParseResult result;
    if (argc > 1 && argv[1][0] != '-' && !is_command(app, argv[1])) {
        // Checked before CLI11 so that `rankpool cubes --help` is an error too, not help.
        result.err = "unknown command '" + std::string(argv[1]) +
                     "'; commands: " + command_names(app) + " (see rankpool --help)";
        result.exit_code = exit_usage;
        return result;
    }
    try {
        app.parse(split_empty_assignments(app, argc, argv));
        result.command = std::move(chosen);
    } catch (const CLI::CallForHelp&) {
        const auto sub = app.get_subcommands();
        result.out = sub.empty() ? app.help() : sub.front()->help();
    } catch (const CLI::CallForVersion&) {
        result.out = std::string("rankpool ") + RANKPOOL_VERSION + "\n";
    } catch (const CLI::CallForAllHelp&) {
        result.out = app.help("", CLI::AppFormatMode::All);
    } catch (const CLI::RequiredError& e) {
        // CLI11 reads an unknown first word as a missing subcommand; say what was wrong.
        if (argc > 1 && argv[1][0] != '-') {
            result.err = "unknown command '" + std::string(argv[1]) +
                         "'; commands: " + command_names(app) + " (see rankpool --help)";
        } else {
            result.err = one_line(e.what()) + " (see rankpool --help)";
        }
        result.exit_code = exit_usage;
    } catch (const CLI::ParseError& e) {
        result.err = one_line(e.what()) + " (see rankpool --help)";
        result.exit_code = exit_usage;
    } catch (const usage_error& e) {
        result.err = e.what();
        result.exit_code = exit_usage;
    }
    return result;
}

} // namespace rankpool::cli
