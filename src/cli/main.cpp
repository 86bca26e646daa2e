// rankpool's entry point: parse on every rank, start MPI, run one command, map errors to codes.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <new>
#include <string>
#include <thread>
#include <unistd.h>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <mpi.h>

#include "rankpool/errors.hpp"
#include "rankpool/parse.hpp"
#include "rankpool/partition.hpp"

#include "app.hpp"
#include "output.hpp"

namespace {

using namespace rankpool;

/// Runs the command and turns the errors every rank agrees on into exit codes. Rank 0 prints.
int run(const cli::Command& command, const boost::mpi::communicator& world, cli::Output& out) {
    try {
        return command.run(world, out);
    } catch (const usage_error& e) {
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

/// Opens /dev/null on any of fds 0, 1, 2 that is closed, so that no file MPI opens later takes
/// its number (results written to "stdout" would land in it). Returns whether stdout was closed.
bool guard_standard_streams() {
    bool stdout_closed = false;
    for (int fd = 0; fd <= 2; ++fd) {
        if (fcntl(fd, F_GETFD) == -1) {
            stdout_closed = stdout_closed || fd == 1;
            const int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
            if (null != fd && null >= 0) {
                dup2(null, fd);
                close(null);
            }
        }
    }
    return stdout_closed;
}

/// The one error line for an exception that may have been raised on this rank alone. Rank 0
/// speaks at once; another rank waits a moment first, because a failure every rank meets (memory
/// that no rank has) is then reported once, by rank 0, whose abort ends the others first.
void report_escaped(const boost::mpi::communicator& world, cli::Output& out, const char* what) {
    out.flush();
    if (world.rank() != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    std::fprintf(stderr, "rankpool: error on rank %d: %s\n", world.rank(), what);
    std::fflush(stderr);
}

} // namespace

int main(int argc, char** argv) {
    // A reader that goes away is a failed write (EPIPE), reported like any other, not a silent
    // death by SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    const bool stdout_closed = guard_standard_streams();
    const auto parsed = cli::parse_command_line(argc, argv);
    if (stdout_closed && (parsed.command || !parsed.out.empty())) {
        std::fputs("rankpool: error: standard output is closed: nowhere to write results\n",
                   stderr);
        return cli::exit_usage;
    }
    if (!parsed.command) {
        // Every rank reached this verdict from the same argv; only rank 0 speaks.
        const bool root = launcher_rank(std::getenv) == 0;
        if (root) {
            std::fputs(parsed.out.c_str(), stdout);
            if (!parsed.err.empty()) {
                std::fprintf(stderr, "rankpool: error: %s\n", parsed.err.c_str());
            }
            std::fflush(nullptr);
        }
        if (parsed.exit_code != 0 && launcher_size(std::getenv) > 1) {
            // mpirun kills the other ranks as soon as one exits non-zero: hold every rank until
            // rank 0 has printed its line.
            const boost::mpi::environment env(argc, argv, false);
            boost::mpi::communicator().barrier();
        }
        return parsed.exit_code;
    }

    // A rank with one thread asks for single: Open MPI takes no locks then (see thread_level.hpp).
    const ThreadLevel level =
        thread_level_to_request(parsed.command->threads, launcher_rank(std::getenv));
    boost::mpi::environment env(argc, argv,
                                level == ThreadLevel::single ? boost::mpi::threading::single
                                                             : boost::mpi::threading::funneled,
                                false);
    // Boost.MPI leaves MPI_ERRORS_RETURN on MPI_COMM_WORLD (so that it can throw), and rankpool's
    // own MPI calls do not check every return code: a collective that fails on one rank (two
    // hosts with no transport between them) would let that rank go on and leave the others in it
    // for ever, spinning. MPI errors end the job instead; spawn and doctor, which check, set
    // MPI_ERRORS_RETURN where they need it.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    const boost::mpi::communicator world;
    cli::Output out(world.rank() == 0, parsed.command->json);
    int code = cli::exit_failure;
    try {
        code = run(*parsed.command, world, out);
    } catch (const std::bad_alloc&) {
        // Possibly raised on this rank alone: the others may be inside a collective, so end the
        // whole job rather than wait in MPI_Finalize.
        report_escaped(world, out, "out of memory (std::bad_alloc)");
        boost::mpi::environment::abort(cli::exit_failure);
    } catch (const std::exception& e) {
        report_escaped(world, out, e.what());
        boost::mpi::environment::abort(cli::exit_failure);
    }
    out.flush();
    if (const std::string why = out.write_error(); !why.empty()) {
        // Results or the report did not reach stdout (a full disk, a closed pipe): not a success.
        const std::string where =
            world.rank() == 0 ? "" : " on rank " + std::to_string(world.rank());
        std::fprintf(stderr, "rankpool: error%s: writing to standard output failed: %s\n",
                     where.c_str(), why.c_str());
        code = code == cli::exit_ok ? cli::exit_failure : code;
    }
    std::fflush(nullptr);
    world.barrier(); // as above: no rank leaves before rank 0 has said why
    return code;
}
