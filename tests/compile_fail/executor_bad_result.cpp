// Must not compile: a task result that is neither trivially copyable nor std::string/bytes.
#include <cstdint>
#include <map>

#include <boost/mpi/communicator.hpp>

#include "rankpool/executor.hpp"

int main() {
    const boost::mpi::communicator world;
    rankpool::execute(
        world, 3,
        [](std::uint64_t i) {
            return std::map<int, int>{{1, static_cast<int>(i)}};
        },
        [](std::uint64_t, const std::map<int, int>&) {});
}
