// Waiting without spinning: ranks that only wait leave the cores to the ranks that work.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include <boost/mpi/communicator.hpp>
#include <mpi.h>

namespace rankpool {

/// How idle ranks wait for the next message.
enum class IdleWait {
    backoff, ///< poll flat out for 20 us, then yield the core every 32nd poll until 1 ms, then
             ///< sleep every 32nd poll, 50 us doubling up to 1 ms: little CPU when idle
    spin,    ///< poll without pause: lowest latency, one busy core per waiting rank
};

/// The phases of a Pacer, timed from the first poll that found nothing.
struct PacerSettings {
    std::chrono::microseconds spin_for{20};        ///< poll flat out this long
    std::chrono::microseconds yield_until{1000};   ///< then yield the core until this long
    std::chrono::microseconds first_sleep{50};     ///< then sleep, starting this long
    std::chrono::microseconds longest_sleep{1000}; ///< and doubling up to this
    /// Look at the clock, and yield or sleep, on every Nth idle poll only (N >= 1): reading the
    /// clock would otherwise be most of a poll's cost.
    unsigned every = 32;
};

/// Paces a polling loop: the caller reports each poll as busy() (something arrived) or idle()
/// (nothing did); idle() pauses as the settings say, busy() starts over. With IdleWait::spin it
/// never pauses. The one pacer of the library: the executor's loops use the defaults,
/// wait_quietly sleeps a fixed time on every poll.
class Pacer {
public:
    /// The executor's pacing: IdleWait::backoff is the default PacerSettings.
    explicit Pacer(IdleWait mode) : spin_(mode == IdleWait::spin) {}
    explicit Pacer(const PacerSettings& s) : s_(s), step_(s.first_sleep) {}

    /// Something arrived: poll flat out again.
    /// With a spin phase, the clock is first read on the Nth idle poll after this, not the
    /// first: a message round trip then costs no clock read at all.
    void busy() {
        idle_since_ = {};
        step_ = s_.first_sleep;
        polls_left_ = s_.spin_for.count() > 0 ? s_.every : 0;
    }
    /// Nothing arrived: pause as long as this phase says.
    void idle() {
        if (spin_ || (polls_left_ != 0 && --polls_left_ != 0)) {
            return;
        }
        polls_left_ = s_.every;
        pause();
    }

private:
    using Clock = std::chrono::steady_clock;
    PacerSettings s_{};
    bool spin_ = false;
    Clock::time_point idle_since_{};
    std::chrono::microseconds step_ = s_.first_sleep;
    unsigned polls_left_ = 0;

    void pause(); // looks at the clock: spins on, yields or sleeps
};

/// Completes `req` by testing it and sleeping `poll` between tests (a Pacer), instead of Open MPI's
/// blocking wait, which polls at full speed and takes a core from the ranks being timed.
void wait_quietly(MPI_Request& req,
                  std::chrono::microseconds poll = std::chrono::microseconds(1000));

/// Completes `req` as wait_quietly does, testing it in growing steps (50 us, doubling up to
/// `longest`), and asks `give_up` before each pause: when it says true, returns nothing and
/// leaves `req` pending (cancel or free it). Otherwise returns MPI_Test's code (MPI_SUCCESS, or
/// the error under MPI_ERRORS_RETURN). For waits on a peer that may die where MPI would not say.
[[nodiscard]] std::optional<int>
wait_quietly_unless(MPI_Request& req, const std::function<bool()>& give_up,
                    std::chrono::microseconds longest = std::chrono::microseconds(1000));

/// MPI_Barrier that waits quietly (MPI_Ibarrier and wait_quietly). Collective.
void quiet_barrier(const boost::mpi::communicator& comm);

/// MPI_Bcast of one int that waits quietly (MPI_Ibcast and wait_quietly). Collective.
void quiet_bcast(const boost::mpi::communicator& comm, int& value, int root);

} // namespace rankpool
