// rankpool's entry point: parse on every rank, start MPI, run one command, map errors to codes.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>

#include "rankpool/errors.hpp"
#include "rankpool/partition.hpp"

#include "options.hpp"
#include "output.hpp"
#include "parse.hpp"

namespace {

using namespace rankpool;

/// Runs the command and turns the errors every rank agrees on into exit codes. Rank 0 prints.
int run(const cli::Command& command, const boost::mpi::communicator& world, cli::Output& out) {
    try {
        return command.run(world, out);
    } catch (const cli::usage_error& e) {
        out.error(e.what()); // raised alike on every rank
        return cli::exit_usage;
    } catch (const limit_error& e) {
        out.error(e.what()); // decided on rank 0 and shared before raising
        return cli::exit_usage;
    } catch (const task_error& e) {
        out.error(e.what()); // agreed on by every rank
        return cli::exit_failure;
    }
}

} // namespace

int main(int argc, char** argv) {
    const auto parsed = cli::parse_command_line(argc, argv);
    if (!parsed.command) {
        // Every rank reached this verdict from the same argv; only rank 0 speaks.
        const bool root = cli::launcher_rank(std::getenv) == 0;
        if (root) {
            std::fputs(parsed.out.c_str(), stdout);
            if (!parsed.err.empty()) {
                std::fprintf(stderr, "rankpool: error: %s\n", parsed.err.c_str());
            }
            std::fflush(nullptr);
        }
        if (parsed.exit_code != 0 && cli::launcher_size(std::getenv) > 1) {
            // mpirun kills the other ranks as soon as one exits non-zero: hold every rank until
            // rank 0 has printed its line.
            const boost::mpi::environment env(argc, argv, false);
            boost::mpi::communicator().barrier();
        }
        return parsed.exit_code;
    }

    boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled, false);
    const boost::mpi::communicator world;
    cli::Output out(world.rank() == 0, parsed.command->json);
    int code = cli::exit_failure;
    try {
        code = run(*parsed.command, world, out);
    } catch (const std::exception& e) {
        // Possibly raised on this rank alone: the others may be inside a collective, so end the
        // whole job rather than wait in MPI_Finalize.
        out.flush();
        std::fprintf(stderr, "rankpool: error on rank %d: %s\n", world.rank(), e.what());
        std::fflush(stderr);
        env.abort(cli::exit_failure);
    }
    out.flush();
    std::fflush(nullptr);
    world.barrier(); // as above: no rank leaves before rank 0 has said why
    return code;
}
