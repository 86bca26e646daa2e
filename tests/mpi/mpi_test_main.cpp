// rankpool's doctest main for MPI tests: every rank runs every test, the run fails if any rank did.
#define DOCTEST_CONFIG_IMPLEMENT
#include <cstdio>

#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <doctest/doctest.h>
#include <mpi.h>

int main(int argc, char** argv) {
    boost::mpi::environment env(argc, argv, boost::mpi::threading::funneled, false);
    const boost::mpi::communicator world;

    doctest::Context context(argc, argv);
    if (world.rank() != 0) {
        // Every rank reports its own failures; only rank 0 prints the summary lines.
        context.setOption("minimal", true);
    }
    const int failed = context.run();
    if (context.shouldExit()) {
        return failed;
    }

    const int local = failed != 0 ? 1 : 0;
    int ranks_failed = 0;
    MPI_Allreduce(&local, &ranks_failed, 1, MPI_INT, MPI_SUM, world);
    if (world.rank() == 0) {
        std::printf("MPI test on %d rank%s: %d rank%s failed\n", world.size(),
                    world.size() == 1 ? "" : "s", ranks_failed, ranks_failed == 1 ? "" : "s");
    }
    return ranks_failed == 0 ? 0 : 1;
}
