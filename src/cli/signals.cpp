// A clean stop: SIGTERM, SIGINT and SIGUSR1 set a flag the executor polls; a grace watch ends late
// tasks.
#include "signals.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace rankpool::cli {

namespace {

std::atomic<int> g_stop{0};
std::atomic<void (*)() noexcept> g_hook{nullptr};
static_assert(std::atomic<int>::is_always_lock_free, "the handler stores into it");

extern "C" void on_stop_signal(int signo) {
    int none = 0;
    g_stop.compare_exchange_strong(none, signo); // the first signal names the stop
    if (auto* hook = g_hook.load()) {
        hook();
    }
}

} // namespace

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (const int s : {SIGTERM, SIGINT, SIGUSR1}) {
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

GraceWatch::GraceWatch(double grace, bool speaks)
    : thread_([this, grace, speaks] { watch(grace, speaks); }) {}

GraceWatch::~GraceWatch() {
    {
        const std::lock_guard lock(mutex_);
        done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
}

void GraceWatch::watch(double grace, bool speaks) {
    std::unique_lock lock(mutex_);
    while (!done_ && g_stop.load() == 0) {
        done_cv_.wait_for(lock, std::chrono::milliseconds(20));
    }
    if (done_) {
        return;
    }
    const int signo = g_stop.load();
    if (done_cv_.wait_for(lock, std::chrono::duration<double>(grace), [this] { return done_; })) {
        return;
    }
    if (speaks) {
        std::fprintf(stderr,
                     "rankpool: stopped by %s: tasks still running after --grace %g s were "
                     "ended; rerun the same command to resume\n",
                     signal_name(signo).c_str(), grace);
        std::fflush(stderr);
    }
    std::_Exit(stopped_exit_code(signo));
}

} // namespace rankpool::cli
