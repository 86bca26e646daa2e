// One shell command run to its end: /bin/sh -c in a process group of its own, output captured.
#include "shell_task.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ; // NOLINT: POSIX

namespace rankpool::commands {

namespace {

using Clock = std::chrono::steady_clock;

/// The process groups of the commands running in this process (a rank runs one at a time; the
/// rest are spare), for the termination handler.
std::atomic<pid_t> running_groups[8];
constexpr int ended_by[3] = {SIGTERM, SIGINT, SIGHUP};

/// The actions the signals had before KillTasksOnTermination (one lives at a time).
struct sigaction previous[3];

void kill_running_groups(int sig) {
    for (int k = 0; k < 3; ++k) {
        const auto& before = previous[k];
        if (ended_by[k] == sig && (before.sa_flags & SA_SIGINFO) == 0 &&
            before.sa_handler != SIG_DFL) {
            // Someone else's handler (a clean stop): theirs to decide. A stop reaches the
            // commands through the stop token, which makes run_shell kill their groups.
            before.sa_handler(sig);
            return;
        }
    }
    kill_running_commands();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

/// Registers a running command's process group while it lives.
class RunningGroup {
public:
    explicit RunningGroup(pid_t pgid) {
        for (auto& g : running_groups) {
            pid_t none = 0;
            if (g.compare_exchange_strong(none, pgid)) {
                slot_ = &g;
                return;
            }
        }
    }
    RunningGroup(const RunningGroup&) = delete;
    RunningGroup& operator=(const RunningGroup&) = delete;
    ~RunningGroup() {
        if (slot_ != nullptr) {
            slot_->store(0);
        }
    }

private:
    std::atomic<pid_t>* slot_ = nullptr;
};

/// A file descriptor closed when it goes.
struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) {
            ::close(fd);
        }
        fd = -1;
    }
};

/// The environment of the child: ours, with `extra` set over it.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('=') + 1);
        bool replaced = false;
        for (const auto& x : extra) {
            replaced = replaced || std::string_view(x).starts_with(name);
        }
        if (!replaced) {
            env.emplace_back(entry);
        }
    }
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> p;
    for (auto& s : strings) {
        p.push_back(s.data());
    }
    p.push_back(nullptr);
    return p;
}

/// The spawn's file actions and attributes, released when it goes.
struct SpawnSetup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
};

/// Where one of the child's output descriptors goes: a pipe's write end or a file.
void route_output(SpawnSetup& s, int target, int pipe_write, const std::string& path) {
    if (path.empty()) {
        posix_spawn_file_actions_adddup2(&s.actions, pipe_write, target);
    } else {
        posix_spawn_file_actions_addopen(&s.actions, target, path.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
}

void prepare(SpawnSetup& s, int out_write, int err_write, const ShellCommand& c) {
    posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
    route_output(s, 1, out_write, c.stdout_path);
    route_output(s, 2, err_write, c.stderr_path);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&s.actions, 3); // MPI's sockets stay ours
#endif
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            sigaddset(&defaults, sig); // rankpool ignores SIGPIPE: the task must not
        }
    }
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&s.attr, &defaults);
    posix_spawnattr_setsigmask(&s.attr, &none);
    posix_spawnattr_setpgroup(&s.attr, 0);
    posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                          POSIX_SPAWN_SETSIGMASK);
}

/// Reads what is there; false at end of file (or an error).
bool drain(int fd, std::string& into) {
    char buf[65536];
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
        into.append(buf, static_cast<std::size_t>(got));
        return true;
    }
    return got < 0 && (errno == EINTR || errno == EAGAIN);
}

/// The child's pidfd, or -1 where the kernel has none (then the loop polls waitpid).
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

/// The wait for one child: its pipes read to the end, its exit collected, its group killed
/// when its time is up.
class Waiter {
public:
    Waiter(pid_t pid, int out, int err, const ShellCommand& c, const StopToken& stop)
        : pid_(pid), out_(out), err_(err), pidfd_(open_pidfd(pid)), c_(c), stop_(stop),
          start_(Clock::now()) {
        if (c.timeout > 0) {
            deadline_ = start_ + seconds(c.timeout);
        }
    }

    ShellOutcome wait() {
        while (!reaped_ || out_.fd >= 0 || err_.fd >= 0) {
            poll_once();
            collect();
            enforce_limits();
        }
        o_.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
        return std::move(o_);
    }

private:
    static Clock::duration seconds(double s) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    }

    void poll_once() {
        pollfd fds[3];
        nfds_t n = 0;
        for (const Fd* f : {&out_, &err_}) {
            if (f->fd >= 0) {
                fds[n++] = {f->fd, POLLIN, 0};
            }
        }
        const bool watch_pid = !reaped_ && pidfd_.fd >= 0;
        if (watch_pid) {
            fds[n++] = {pidfd_.fd, POLLIN, 0};
        }
        int wait_ms = 100; // the stop token is looked at this often
        if (!reaped_ && pidfd_.fd < 0) {
            wait_ms = 5;
        }
        if (next_action_ != Clock::time_point::max()) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(next_action_ - Clock::now())
                    .count();
            wait_ms =
                static_cast<int>(std::max<long long>(0, std::min<long long>(wait_ms, left + 1)));
        }
        ::poll(fds, n, wait_ms);
        for (nfds_t k = 0; k < n; ++k) {
            if (fds[k].revents == 0 || fds[k].fd == pidfd_.fd) {
                continue;
            }
            Fd& f = fds[k].fd == out_.fd ? out_ : err_;
            if (!drain(f.fd, &f == &out_ ? o_.out : o_.err)) {
                f.reset();
            }
        }
    }

    void collect() {
        if (reaped_) {
            return;
        }
        int status = 0;
        const pid_t got = ::waitpid(pid_, &status, WNOHANG);
        if (got != pid_) {
            return;
        }
        reaped_ = true;
        pidfd_.reset();
        if (WIFSIGNALED(status)) {
            o_.end = ShellOutcome::End::signaled;
            o_.code = WTERMSIG(status);
        } else {
            o_.end = ShellOutcome::End::exited;
            o_.code = WEXITSTATUS(status);
        }
        if (killed_for_) {
            o_.end = *killed_for_;
        }
    }

    Clock::time_point next_action_ = Clock::time_point::max();

    void enforce_limits() {
        const auto now = Clock::now();
        if (!killed_for_) {
            const bool late = deadline_ && now >= *deadline_;
            if (late || stop_.stop_requested()) {
                killed_for_ = late ? ShellOutcome::End::timed_out : ShellOutcome::End::stopped;
                if (reaped_) {
                    o_.end = *killed_for_;
                }
                ::kill(-pid_, SIGTERM);
                next_action_ = now + seconds(c_.grace);
                sent_kill_ = false;
            } else if (deadline_) {
                next_action_ = *deadline_;
            }
            return;
        }
        if (now < next_action_) {
            return;
        }
        if (!sent_kill_) {
            ::kill(-pid_, SIGKILL);
            sent_kill_ = true;
            next_action_ = now + std::chrono::seconds(2);
            return;
        }
        // Past SIGKILL and still open: something left the group holding the pipes. Give up on
        // them rather than wait for ever.
        out_.reset();
        err_.reset();
        next_action_ = Clock::time_point::max();
    }

    pid_t pid_;
    Fd out_;
    Fd err_;
    Fd pidfd_;
    const ShellCommand& c_;
    const StopToken& stop_;
    Clock::time_point start_;
    std::optional<Clock::time_point> deadline_;
    std::optional<ShellOutcome::End> killed_for_;
    bool sent_kill_ = false;
    bool reaped_ = false;
    ShellOutcome o_;
};

} // namespace

ShellOutcome run_shell(const ShellCommand& c, const StopToken& stop) {
    int out_pipe[2] = {-1, -1};
    int err_pipe[2] = {-1, -1};
    ShellOutcome fail;
    fail.end = ShellOutcome::End::not_started;
    if ((c.stdout_path.empty() && ::pipe2(out_pipe, O_CLOEXEC) != 0) ||
        (c.stderr_path.empty() && ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
        fail.err = std::string("cannot make a pipe: ") + std::strerror(errno);
        Fd a(out_pipe[0]), b(out_pipe[1]);
        return fail;
    }
    Fd out_read(out_pipe[0]), out_write(out_pipe[1]), err_read(err_pipe[0]), err_write(err_pipe[1]);
    SpawnSetup setup;
    prepare(setup, out_write.fd, err_write.fd, c);
    auto env = child_environment(c.extra_env);
    auto envp = pointers(env);
    std::vector<std::string> args = {"sh", "-c", c.command};
    auto argv = pointers(args);
    pid_t pid = -1;
    const int rc =
        ::posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr, argv.data(), envp.data());
    if (rc != 0) {
        fail.err = "cannot start /bin/sh: " + std::string(std::strerror(rc));
        return fail;
    }
    const RunningGroup registered(pid);
    out_write.reset();
    err_write.reset();
    Waiter w(pid, out_read.fd, err_read.fd, c, stop);
    out_read.fd = -1; // the waiter owns them now
    err_read.fd = -1;
    return w.wait();
}

void kill_running_commands() noexcept {
    for (auto& g : running_groups) {
        const pid_t p = g.load();
        if (p > 0) {
            ::kill(-p, SIGKILL);
        }
    }
}

KillTasksOnTermination::KillTasksOnTermination() {
    struct sigaction sa = {};
    sa.sa_handler = kill_running_groups;
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < 3; ++k) {
        ::sigaction(ended_by[k], &sa, &previous[k]);
        if ((previous[k].sa_flags & SA_SIGINFO) == 0 && previous[k].sa_handler == SIG_IGN) {
            ::sigaction(ended_by[k], &previous[k], nullptr); // ignored (nohup): stays so
        }
    }
}

KillTasksOnTermination::~KillTasksOnTermination() {
    for (int k = 0; k < 3; ++k) {
        ::sigaction(ended_by[k], &previous[k], nullptr);
    }
}

} // namespace rankpool::commands
