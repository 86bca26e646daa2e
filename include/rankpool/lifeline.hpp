// A lifeline from a started process back to its starter: the starter learns of the child's death
// at once (the kernel closes the child's socket however it ends), whatever launched it.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rankpool {

/// A process that connected to a LifelineWatch: its pid (from SO_PEERCRED) and whether it said
/// it was done (Lifeline::release) before its connection closed.
struct LifelineChild {
    std::uint64_t pid = 0;
    bool released = false;
    bool closed = false;
};

/// The starter's end: listens on a fresh abstract Unix socket (Linux; same host and network
/// namespace only) and watches, on a thread of its own that sleeps in poll(), every process that
/// connects to it. A child whose connection closes before it released its lifeline is lost: it
/// died. Children on other hosts cannot connect; their launcher has to notice their death.
class LifelineWatch {
public:
    /// Called on the watch thread when a child is lost while a Blocked section is open, with the
    /// child's pid. The caller is then stuck in a call it cannot poll (MPI_Comm_spawn,
    /// MPI_Comm_disconnect): the handler must end the process and not return.
    using Fatal = std::function<void(std::uint64_t pid)>;

    /// Throws std::system_error when the socket or the thread cannot be made.
    LifelineWatch();
    LifelineWatch(const LifelineWatch&) = delete;
    LifelineWatch& operator=(const LifelineWatch&) = delete;
    ~LifelineWatch();

    /// The address to hand the child, for Lifeline::connect.
    [[nodiscard]] const std::string& address() const noexcept { return address_; }
    /// The children that connected so far, in order.
    [[nodiscard]] std::vector<LifelineChild> children() const;
    /// The pid of the first child lost (closed without releasing), if any.
    [[nodiscard]] std::optional<std::uint64_t> lost() const;

    /// While a Blocked lives, losing a child calls `fatal` (on the watch thread; at once, on this
    /// thread, if a child is already lost). Open one around each blocking call that waits on the
    /// children.
    class Blocked {
    public:
        Blocked(LifelineWatch& watch, Fatal fatal);
        Blocked(const Blocked&) = delete;
        Blocked& operator=(const Blocked&) = delete;
        ~Blocked();

    private:
        LifelineWatch& watch_;
    };

private:
    void run();
    void accept_children();
    void read_child(std::size_t i);
    void fire_if_armed(std::unique_lock<std::mutex>& lock);

    std::string address_;
    int listen_fd_ = -1;
    int wake_fd_ = -1;
    mutable std::mutex mutex_;
    std::vector<LifelineChild> children_;
    std::vector<int> child_fds_; ///< parallel to children_; -1 once closed
    std::optional<std::uint64_t> lost_;
    Fatal fatal_;
    bool stop_ = false;
    std::thread thread_;
};

/// The child's end, held for the rest of its life: the connection closes when the process ends,
/// however it ends. release() before a normal exit, so that the exit is not taken for a death.
class Lifeline {
public:
    Lifeline() = default;
    Lifeline(const Lifeline&) = delete;
    Lifeline& operator=(const Lifeline&) = delete;
    Lifeline(Lifeline&& o) noexcept;
    Lifeline& operator=(Lifeline&& o) noexcept;
    /// Closes without releasing: the watch takes it as a death, unless release() came first.
    ~Lifeline();

    /// Connects to a LifelineWatch's address; an unconnected Lifeline when that fails (the
    /// starter is on another host, or is gone).
    [[nodiscard]] static Lifeline connect(const std::string& address);
    [[nodiscard]] bool connected() const noexcept { return fd_ >= 0; }
    /// Tells the watch that this process is done with its work and may now exit, then closes.
    void release();

private:
    int fd_ = -1;
};

} // namespace rankpool
