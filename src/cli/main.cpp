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

int main(int argc, char** argv) {
    using namespace rankpool;
    const auto parsed = cli::parse_command_line(argc, argv);
    if (!parsed.command) {
        // Every rank reached this verdict from the same argv; only rank 0 speaks. No MPI needed.
        if (cli::launcher_rank(std::getenv) == 0) {
            std::fputs(parsed.out.c_str(), stdout);
            if (!parsed.err.empty()) {
                std::fprintf(stderr, "rankpool: error: %s\n", parsed.err.c_str());
            }
        }
        return parsed.exit_code;
    }

    boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled, false);
    const boost::mpi::communicator world;
    cli::Output out(world.rank() == 0, parsed.command->json);
    try {
        return parsed.command->run(world, out);
    } catch (const cli::usage_error& e) {
        out.error(e.what()); // raised alike on every rank
        return cli::exit_usage;
    } catch (const limit_error& e) {
        out.error(e.what()); // decided on rank 0 and shared before raising
        return cli::exit_usage;
    } catch (const task_error& e) {
        out.error(e.what()); // agreed on by every rank
        return cli::exit_failure;
    } catch (const std::exception& e) {
        // Possibly raised on this rank alone: the others may be inside a collective, so end the
        // whole job rather than wait in MPI_Finalize.
        out.flush();
        std::fprintf(stderr, "rankpool: error on rank %d: %s\n", world.rank(), e.what());
        env.abort(cli::exit_failure);
    }
    return cli::exit_failure;
}
