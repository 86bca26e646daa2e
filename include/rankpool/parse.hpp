// Pure parsing of command-line values and the launcher environment: one-line messages, no MPI.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rankpool/errors.hpp"
#include "rankpool/schedule.hpp"

namespace rankpool {

/// A whole number in [0, max] written in decimal ("1000", "1e6" and "10**6" are not accepted,
/// "1_000" neither). `what` names the value in the message, e.g. "N".
[[nodiscard]] std::uint64_t parse_count(std::string_view text, std::string_view what,
                                        std::uint64_t max);

/// parse_count for a value that must be at least 1 ("--chunksize must be >= 1, got '0'").
[[nodiscard]] std::uint64_t parse_positive(std::string_view text, std::string_view what,
                                           std::uint64_t max);

/// A schedule's name for option `what`: static, cyclic, dynamic or guided.
[[nodiscard]] Schedule parse_schedule(std::string_view text, std::string_view what);

/// The largest --chunksize any command accepts.
inline constexpr std::uint64_t max_chunksize = std::uint64_t{1} << 30;

/// The longest duration any command accepts, in seconds: 10^9 s, about 31.7 years. Far below
/// the 2^63 ns (about 292 years) a std::chrono::steady_clock can count, so that no duration a
/// user gives comes near an overflow.
inline constexpr double max_seconds = 1e9;

/// A finite number of seconds in [0, max_seconds] ("2", "0.25", "1e-2").
[[nodiscard]] double parse_seconds(std::string_view text, std::string_view what);

/// One argument of an argument file, with its 1-based line number for error messages.
struct ArgLine {
    std::size_t number = 0;
    std::string text;
};

/// The arguments of an argument file, one per line: a trailing "\r" is dropped; blank lines and
/// lines whose first non-blank character is '#' are skipped; the last line needs no newline.
[[nodiscard]] std::vector<ArgLine> parse_arg_lines(std::string_view content);

/// The rank this process will have in MPI_COMM_WORLD, read from the launcher's environment
/// (Open MPI, PMIx, PMI, Slurm) before MPI is initialised; 0 when started alone.
[[nodiscard]] int launcher_rank(const std::function<const char*(const char*)>& getenv);

/// The number of ranks the launcher started (Open MPI, PMIx-style Slurm, PMI), read before MPI
/// is initialised; 1 when started alone or when it cannot be told.
[[nodiscard]] int launcher_size(const std::function<const char*(const char*)>& getenv);

} // namespace rankpool
