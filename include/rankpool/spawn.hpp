// Process(target=...).start() on MPI: start new processes with MPI_Comm_spawn, errors as values.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/mpi/communicator.hpp>
#include <mpi.h>

namespace rankpool {

/// MPI_Comm_spawn (or talking to the spawned processes) failed. what() is one line naming MPI's
/// error; the caller knows best what to suggest instead.
class spawn_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// MPI_Info key/value pairs passed to MPI_Comm_spawn, in order.
using SpawnInfo = std::vector<std::pair<std::string, std::string>>;

/// The info keys rankpool spawns with. With `oversubscribe`, Open MPI's `map_by` =
/// `slot:OVERSUBSCRIBE`: the worker may share a node whose slots the parent job already fills
/// (under `mpirun -np 2` on 2 cores the spawn is otherwise refused). Without it: no keys.
[[nodiscard]] SpawnInfo default_spawn_info(bool oversubscribe = true);

/// The path of the running program (/proc/self/exe), to spawn copies of it. Throws spawn_error
/// when it cannot be read.
[[nodiscard]] std::string self_executable();

/// Why this process's launcher cannot spawn, known before trying, or nothing. Today: a Slurm
/// step started with srun (SLURM_STEP_ID set) that mpirun did not start (no
/// OMPI_COMM_WORLD_SIZE): Slurm's PMI offers no MPI_Comm_spawn. `getenv` is injected for tests.
[[nodiscard]] std::optional<std::string>
spawn_unsupported_reason(const std::function<const char*(const char*)>& getenv);

/// An intercommunicator to spawned processes, owned: disconnect() (MPI_Comm_disconnect, which
/// waits until pending messages are delivered) is join(); the destructor disconnects too.
class Intercomm {
public:
    Intercomm() = default;
    explicit Intercomm(MPI_Comm comm) noexcept : comm_(comm) {}
    Intercomm(Intercomm&& o) noexcept : comm_(std::exchange(o.comm_, MPI_COMM_NULL)) {}
    Intercomm& operator=(Intercomm&& o) noexcept;
    Intercomm(const Intercomm&) = delete;
    Intercomm& operator=(const Intercomm&) = delete;
    ~Intercomm();

    [[nodiscard]] MPI_Comm get() const noexcept { return comm_; }
    operator MPI_Comm() const noexcept { return comm_; }
    [[nodiscard]] bool connected() const noexcept { return comm_ != MPI_COMM_NULL; }
    /// The number of processes on the other side.
    [[nodiscard]] int remote_size() const;
    /// MPI_Comm_disconnect. Throws spawn_error if MPI reports an error.
    void disconnect();
    /// Lets go of a peer that died, without MPI_Comm_disconnect (which would wait for it): the
    /// handle is freed with MPI_Comm_free, which does not wait.
    void abandon() noexcept;

private:
    MPI_Comm comm_ = MPI_COMM_NULL;
};

/// Starts `maxprocs` copies of `command` with arguments `argv` (not including the program name)
/// from rank `root` of `comm`, with the given info keys. Collective over `comm`: pass
/// MPI_COMM_SELF (wrapped) to spawn from one rank alone. Errors are returned, not fatal: the
/// spawn runs with MPI_ERRORS_RETURN on `comm` (its previous handler is restored afterwards) and
/// on the new intercommunicator, MPI_Comm_spawn's result and every entry of its
/// array_of_errcodes are checked, and any failure throws spawn_error on every rank of `comm`.
/// A `command` path that is not executable is refused on the root before MPI sees it: Open MPI
/// 4.1 aborts the whole job when it fails to execute a spawned program, error handler or not.
/// Not caught: a program that starts but never calls MPI_Init (MPI_Comm_spawn then waits).
[[nodiscard]] Intercomm spawn(const boost::mpi::communicator& comm, const std::string& command,
                              const std::vector<std::string>& argv, const SpawnInfo& info,
                              int maxprocs = 1, int root = 0);

/// In a process started by spawn(): the intercommunicator to its parents, with
/// MPI_ERRORS_RETURN. An empty Intercomm when this process was not spawned.
[[nodiscard]] Intercomm spawn_parent();

/// MPI's text for an error code.
[[nodiscard]] std::string mpi_error_string(int code);

} // namespace rankpool
