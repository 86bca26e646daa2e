// A clean stop: SIGTERM, SIGINT and SIGUSR1 set a flag the executor polls; a grace watch ends late
// tasks.
#include "signals.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <system_error>
#include <unistd.h>

namespace rankpool::cli {

namespace {

std::atomic<int> g_stop{0};
std::atomic<void (*)() noexcept> g_hook{nullptr};
static_assert(std::atomic<int>::is_always_lock_free, "the handler stores into it");

// The grace watch: a one-shot timer the stop handler arms, and the lines its SIGALRM writes
// (formatted when the watch starts: the handler only writes them).
std::atomic<bool> g_grace_armed{false};
timer_t g_grace_timer{};
struct sigaction g_alarm_before {}; // SIGALRM's action before the watch, put back after it
itimerspec g_grace_after{};
constexpr int stop_signals[] = {SIGTERM, SIGINT, SIGUSR1};
constexpr std::size_t grace_line_max = 256;
char g_grace_lines[std::size(stop_signals)][grace_line_max] = {};
std::size_t g_grace_lengths[std::size(stop_signals)] = {};

void arm_grace_timer() {
    if (g_grace_armed.load()) {
        timer_settime(g_grace_timer, 0, &g_grace_after, nullptr);
    }
}

extern "C" void on_stop_signal(int signo) {
    int none = 0;
    if (g_stop.compare_exchange_strong(none, signo)) { // the first signal names the stop
        arm_grace_timer();
    }
    if (auto* hook = g_hook.load()) {
        hook();
    }
}

extern "C" void on_grace_over(int /*signo*/) {
    if (!g_grace_armed.load()) {
        return; // the run ended as the timer fired
    }
    const int signo = g_stop.load();
    for (std::size_t k = 0; k < std::size(stop_signals); ++k) {
        if (stop_signals[k] == signo && g_grace_lengths[k] > 0) {
            [[maybe_unused]] const auto n =
                write(STDERR_FILENO, g_grace_lines[k], g_grace_lengths[k]);
        }
    }
    std::_Exit(stopped_exit_code(signo));
}

} // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (const int s : stop_signals) {
        sigaction(s, &sa, nullptr);
    }
}

void set_stop_hook(void (*hook)() noexcept) {
    g_hook.store(hook);
}

const std::atomic<int>& stop_signal() noexcept {
    return g_stop;
}

std::string signal_name(int signo) {
    switch (signo) {
    case SIGTERM:
        return "SIGTERM";
    case SIGINT:
        return "SIGINT";
    case SIGUSR1:
        return "SIGUSR1";
    case SIGALRM: // no handler: a run that the --deadline stopped says so with it
        return "the --deadline";
    default:
        return "signal " + std::to_string(signo);
    }
}

std::string stop_line(int signo, std::uint64_t done, std::uint64_t total, const std::string& what,
                      const std::string& journal) {
    return "rankpool: stopped by " + signal_name(signo) + ": " + std::to_string(done) + " of " +
           std::to_string(total) + " " + what + " done (" +
           (journal.empty() ? "no --journal: a rerun starts over"
                            : "journal " + journal + "; rerun the same command to resume") +
           ")";
}

GraceWatch::GraceWatch(double grace, bool speaks) {
    for (std::size_t k = 0; k < std::size(stop_signals); ++k) {
        g_grace_lengths[k] = 0;
        if (speaks) {
            const int n = std::snprintf(g_grace_lines[k], grace_line_max,
                                        "rankpool: stopped by %s: tasks still running after "
                                        "--grace %g s were ended; rerun the same command to "
                                        "resume\n",
                                        signal_name(stop_signals[k]).c_str(), grace);
            g_grace_lengths[k] =
                std::min(static_cast<std::size_t>(std::max(n, 0)), grace_line_max - 1);
        }
    }
    struct sigaction sa {};
    sa.sa_handler = on_grace_over;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, &g_alarm_before);
    sigevent ev{};
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGALRM;
    if (timer_create(CLOCK_MONOTONIC, &ev, &g_grace_timer) != 0) {
        throw std::system_error(errno, std::generic_category(), "timer_create");
    }
    const double whole = std::floor(grace);
    g_grace_after = {};
    g_grace_after.it_value.tv_sec = static_cast<time_t>(whole);
    g_grace_after.it_value.tv_nsec = static_cast<long>((grace - whole) * 1e9);
    if (g_grace_after.it_value.tv_sec == 0 && g_grace_after.it_value.tv_nsec == 0) {
        g_grace_after.it_value.tv_nsec = 1; // a zero it_value would disarm: end at once
    }
    g_grace_armed.store(true);
    if (g_stop.load() != 0) { // the stop came before the watch
        arm_grace_timer();
    }
}

GraceWatch::~GraceWatch() {
    g_grace_armed.store(false);
    timer_delete(g_grace_timer);
    sigaction(SIGALRM, &g_alarm_before, nullptr);
}

} // namespace rankpool::cli
