// What the MPI library gives this process: its thread level, and a scope in which errors return.
#pragma once

#include <mpi.h>

#include "rankpool/thread_level.hpp"

namespace rankpool {

/// The thread level MPI_Init gave this process (MPI_Query_thread).
[[nodiscard]] ThreadLevel provided_thread_level();

/// Sets MPI_ERRORS_RETURN on a communicator and restores its previous handler on scope exit: for
/// the calls whose errors rankpool checks itself (spawn, doctor's probes), while every other call
/// on the world communicator stays fatal.
class ErrorsReturn {
public:
    explicit ErrorsReturn(MPI_Comm comm);
    ErrorsReturn(const ErrorsReturn&) = delete;
    ErrorsReturn& operator=(const ErrorsReturn&) = delete;
    ErrorsReturn(ErrorsReturn&&) = delete;
    ErrorsReturn& operator=(ErrorsReturn&&) = delete;
    ~ErrorsReturn();

private:
    MPI_Comm comm_;
    MPI_Errhandler previous_ = MPI_ERRHANDLER_NULL;
};

} // namespace rankpool
