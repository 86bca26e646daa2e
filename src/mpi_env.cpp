// What the MPI library gives this process: its thread level, and a scope in which errors return.
#include "rankpool/mpi_env.hpp"

namespace rankpool {

ThreadLevel provided_thread_level() {
    int provided = MPI_THREAD_SINGLE;
    MPI_Query_thread(&provided);
    switch (provided) {
    case MPI_THREAD_SINGLE:
        return ThreadLevel::single;
    case MPI_THREAD_FUNNELED:
        return ThreadLevel::funneled;
    case MPI_THREAD_SERIALIZED:
        return ThreadLevel::serialized;
    default:
        return ThreadLevel::multiple;
    }
}

ErrorsReturn::ErrorsReturn(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_get_errhandler(comm_, &previous_);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
}

ErrorsReturn::~ErrorsReturn() {
    MPI_Comm_set_errhandler(comm_, previous_);
    MPI_Errhandler_free(&previous_);
}

} // namespace rankpool
