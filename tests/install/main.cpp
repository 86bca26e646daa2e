// A program outside rankpool's tree: links the installed rankpool::rankpool and checks a map.
#include <cstdio>
#include <rankpool/rankpool.hpp>

#include <boost/mpi/environment.hpp>

int main(int argc, char** argv) {
    const boost::mpi::environment env(argc, argv);
    const boost::mpi::communicator world;
    const auto r = rankpool::map_range(world, 0, 10, [](std::uint64_t x) { return x * x; });
    if (world.rank() == 0) {
        std::printf("consumer: %llu\n", static_cast<unsigned long long>(r[9]));
        return r[9] == 81 ? 0 : 1;
    }
    return 0;
}
