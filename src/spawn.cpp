// Starting processes with MPI_Comm_spawn, with MPI's errors returned rather than fatal.
#include "rankpool/spawn.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <unistd.h>

#include "rankpool/mpi_env.hpp"

namespace rankpool {

namespace {

/// An MPI_Info built from key/value pairs, freed on scope exit.
class Info {
public:
    explicit Info(const SpawnInfo& kv) {
        if (kv.empty()) {
            return;
        }
        MPI_Info_create(&info_);
        for (const auto& [k, v] : kv) {
            MPI_Info_set(info_, k.c_str(), v.c_str());
        }
    }
    Info(const Info&) = delete;
    Info& operator=(const Info&) = delete;
    ~Info() {
        if (info_ != MPI_INFO_NULL) {
            MPI_Info_free(&info_);
        }
    }
    [[nodiscard]] MPI_Info get() const noexcept { return info_; }

private:
    MPI_Info info_ = MPI_INFO_NULL;
};

} // namespace

std::string mpi_error_string(int code) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) {
        return "MPI error " + std::to_string(code);
    }
    return {text, static_cast<std::size_t>(len)};
}

SpawnInfo default_spawn_info(bool oversubscribe) {
    if (!oversubscribe) {
        return {};
    }
    return {{"map_by", "slot:OVERSUBSCRIBE"}};
}

std::string self_executable() {
    std::error_code ec;
    auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
        throw spawn_error("cannot find this program's path in /proc/self/exe: " + ec.message());
    }
    return path.string();
}

std::optional<std::string>
spawn_unsupported_reason(const std::function<const char*(const char*)>& getenv) {
    if (getenv("SLURM_STEP_ID") != nullptr && getenv("OMPI_COMM_WORLD_SIZE") == nullptr) {
        return "this job was started by srun, whose PMI cannot start processes with "
               "MPI_Comm_spawn";
    }
    return std::nullopt;
}

Intercomm& Intercomm::operator=(Intercomm&& o) noexcept {
    if (this != &o) {
        if (comm_ != MPI_COMM_NULL) {
            MPI_Comm_disconnect(&comm_);
        }
        comm_ = std::exchange(o.comm_, MPI_COMM_NULL);
    }
    return *this;
}

Intercomm::~Intercomm() {
    if (comm_ != MPI_COMM_NULL) {
        MPI_Comm_disconnect(&comm_);
    }
}

int Intercomm::remote_size() const {
    int n = 0;
    MPI_Comm_remote_size(comm_, &n);
    return n;
}

void Intercomm::disconnect() {
    if (comm_ == MPI_COMM_NULL) {
        return;
    }
    const int rc = MPI_Comm_disconnect(&comm_);
    comm_ = MPI_COMM_NULL;
    if (rc != MPI_SUCCESS) {
        throw spawn_error("MPI_Comm_disconnect failed: " + mpi_error_string(rc));
    }
}

void Intercomm::abandon() noexcept {
    if (comm_ != MPI_COMM_NULL) {
        MPI_Comm_free(&comm_);
        comm_ = MPI_COMM_NULL;
    }
}

Intercomm spawn(const boost::mpi::communicator& comm, const std::string& command,
                const std::vector<std::string>& argv, const SpawnInfo& info, int maxprocs,
                int root) {
    if (maxprocs < 1) {
        throw std::invalid_argument("spawn needs maxprocs >= 1, got " + std::to_string(maxprocs));
    }
    if (root < 0 || root >= comm.size()) {
        throw std::invalid_argument("root must be in [0, " + std::to_string(comm.size()) +
                                    "), got " + std::to_string(root));
    }
    // Open MPI 4.1 ends the whole job, whatever the error handler, when it cannot execute a
    // spawned program: check a path on the root first and let every rank know.
    int not_executable = 0;
    if (comm.rank() == root && command.find('/') != std::string::npos &&
        access(command.c_str(), X_OK) != 0) {
        not_executable = errno != 0 ? errno : EACCES;
    }
    if (comm.size() > 1) {
        MPI_Bcast(&not_executable, 1, MPI_INT, root, comm);
    }
    if (not_executable != 0) {
        throw spawn_error("cannot spawn " + command + ": " + std::strerror(not_executable));
    }
    std::vector<std::string> args = argv; // MPI_Comm_spawn takes char**, not const char**
    std::vector<char*> cargs;
    cargs.reserve(args.size() + 1);
    for (auto& a : args) {
        cargs.push_back(a.data());
    }
    cargs.push_back(nullptr);
    std::string cmd = command;
    const Info mpi_info(info);
    std::vector<int> errcodes(static_cast<std::size_t>(maxprocs), MPI_SUCCESS);

    MPI_Comm inter = MPI_COMM_NULL;
    int rc = MPI_SUCCESS;
    {
        const ErrorsReturn guard(comm);
        rc = MPI_Comm_spawn(cmd.data(), cargs.data(), maxprocs, mpi_info.get(), root, comm, &inter,
                            errcodes.data());
    }
    if (rc != MPI_SUCCESS) {
        // Open MPI 4.1 leaves no usable intercommunicator behind a failed spawn (here a
        // null pointer, not MPI_COMM_NULL): touching it is an MPI error of its own.
        inter = MPI_COMM_NULL;
    }
    Intercomm result(inter); // disconnected on the way out if anything failed
    if (inter != MPI_COMM_NULL) {
        MPI_Comm_set_errhandler(inter, MPI_ERRORS_RETURN);
    }
    // errcodes are significant at the root only; a failure there must fail every rank alike.
    int failed = rc;
    if (failed == MPI_SUCCESS && comm.rank() == root) {
        for (const int e : errcodes) {
            if (e != MPI_SUCCESS) {
                failed = e;
                break;
            }
        }
    }
    if (failed == MPI_SUCCESS && inter == MPI_COMM_NULL) {
        failed = MPI_ERR_SPAWN;
    }
    if (comm.size() > 1) {
        int any = failed;
        // Every rank learns the root's verdict; a local failure elsewhere also counts.
        MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, comm);
        failed = any;
    }
    if (failed != MPI_SUCCESS) {
        throw spawn_error("MPI_Comm_spawn could not start " + std::to_string(maxprocs) +
                          " process" + (maxprocs == 1 ? "" : "es") + " (" +
                          mpi_error_string(failed) + ")");
    }
    return result;
}

Intercomm spawn_parent() {
    MPI_Comm parent = MPI_COMM_NULL;
    MPI_Comm_get_parent(&parent);
    if (parent != MPI_COMM_NULL) {
        MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
    }
    return Intercomm(parent);
}

} // namespace rankpool
