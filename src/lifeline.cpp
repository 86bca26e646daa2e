// Lifelines over abstract Unix sockets: a child's death is an end of file its starter polls for.
#include "rankpool/lifeline.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <random>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace rankpool {

namespace {

constexpr char release_byte = 'R';

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

/// An abstract socket address (a leading NUL, no file) for `name`, and its length.
std::pair<sockaddr_un, socklen_t> abstract_address(const std::string& name) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::size_t n = std::min(name.size(), sizeof a.sun_path - 1);
    std::memcpy(a.sun_path + 1, name.data(), n);
    return {a, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n)};
}

/// "rankpool-lifeline-<pid>-<64 random bits>": unique on this host.
std::string fresh_name() {
    std::random_device rd;
    const std::uint64_t nonce = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    char s[80];
    std::snprintf(s, sizeof s, "rankpool-lifeline-%ld-%016llx", static_cast<long>(getpid()),
                  static_cast<unsigned long long>(nonce));
    return s;
}

void wake(int fd) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(fd, &one, sizeof one);
}

} // namespace

LifelineWatch::LifelineWatch()
    : address_(fresh_name()),
      listen_fd_(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {
    if (listen_fd_ < 0) {
        throw_errno("lifeline socket");
    }
    const auto [addr, len] = abstract_address(address_);
    if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 64) != 0) {
        const int e = errno;
        close(listen_fd_);
        throw std::system_error(e, std::generic_category(), "lifeline bind/listen");
    }
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
        const int e = errno;
        close(listen_fd_);
        throw std::system_error(e, std::generic_category(), "lifeline eventfd");
    }
    thread_ = std::thread([this] { run(); });
}

LifelineWatch::~LifelineWatch() {
    {
        const std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake(wake_fd_);
    thread_.join();
    for (const int fd : child_fds_) {
        if (fd >= 0) {
            close(fd);
        }
    }
    close(wake_fd_);
    close(listen_fd_);
}

std::vector<LifelineChild> LifelineWatch::children() const {
    const std::lock_guard lock(mutex_);
    return children_;
}

std::optional<std::uint64_t> LifelineWatch::lost() const {
    const std::lock_guard lock(mutex_);
    return lost_;
}

void LifelineWatch::run() {
    std::vector<pollfd> fds;
    for (;;) {
        fds.assign({{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}});
        for (const int fd : child_fds_) { // only this thread changes child_fds_
            fds.push_back({fd, fd >= 0 ? short{POLLIN} : short{0}, 0});
        }
        if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
            return; // cannot watch: the waits then rely on the launcher
        }
        std::unique_lock lock(mutex_);
        if (stop_) {
            return;
        }
        if ((fds[0].revents & POLLIN) != 0) {
            std::uint64_t n = 0;
            [[maybe_unused]] const auto r = read(wake_fd_, &n, sizeof n);
        }
        if ((fds[1].revents & POLLIN) != 0) {
            accept_children();
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (fds[i].revents != 0) {
                read_child(i - 2);
            }
        }
        fire_if_armed(lock);
    }
}

void LifelineWatch::accept_children() {
    for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            return; // EAGAIN: no more waiting
        }
        ucred cred{};
        socklen_t len = sizeof cred;
        getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
        children_.push_back({static_cast<std::uint64_t>(cred.pid), false, false});
        child_fds_.push_back(fd);
    }
}

void LifelineWatch::read_child(std::size_t i) {
    char buf[64];
    for (;;) {
        const auto n = read(child_fds_[i], buf, sizeof buf);
        if (n > 0) {
            if (std::memchr(buf, release_byte, static_cast<std::size_t>(n)) != nullptr) {
                children_[i].released = true;
            }
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }
        // End of file or a reset: the child is gone.
        close(child_fds_[i]);
        child_fds_[i] = -1;
        children_[i].closed = true;
        if (!children_[i].released && !lost_) {
            lost_ = children_[i].pid;
        }
        return;
    }
}

void LifelineWatch::fire_if_armed(std::unique_lock<std::mutex>& lock) {
    if (lost_ && fatal_) {
        const Fatal fatal = std::exchange(fatal_, nullptr);
        const std::uint64_t pid = *lost_;
        lock.unlock();
        fatal(pid);
    }
}

LifelineWatch::Blocked::Blocked(LifelineWatch& watch, Fatal fatal) : watch_(watch) {
    std::unique_lock lock(watch_.mutex_);
    watch_.fatal_ = std::move(fatal);
    watch_.fire_if_armed(lock); // a child lost before this section opened
}

LifelineWatch::Blocked::~Blocked() {
    const std::lock_guard lock(watch_.mutex_);
    watch_.fatal_ = nullptr;
}

Lifeline::Lifeline(Lifeline&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

Lifeline& Lifeline::operator=(Lifeline&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) {
            close(fd_);
        }
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

Lifeline::~Lifeline() {
    if (fd_ >= 0) {
        close(fd_);
    }
}

Lifeline Lifeline::connect(const std::string& address) {
    Lifeline l;
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return l;
    }
    const auto [addr, len] = abstract_address(address);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
        close(fd);
        return l;
    }
    l.fd_ = fd;
    return l;
}

void Lifeline::release() {
    if (fd_ < 0) {
        return;
    }
    [[maybe_unused]] const auto n = send(fd_, &release_byte, 1, MSG_NOSIGNAL);
    close(fd_);
    fd_ = -1;
}

} // namespace rankpool
