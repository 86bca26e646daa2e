// The grace watch, in a child process each (its stop flag cannot be reset): the stop handler arms
// it, its timer ends the process with 128 + the signal and one line, and a run that ends first
// disarms it.
#include <csignal>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/signals.hpp"

namespace {

struct Child {
    int exit_code = -1; ///< -1: killed by a signal
    int signal = 0;     ///< the signal that killed it, 0 if none
    std::string err;
};

/// Runs `body` in a forked child whose stderr is captured; the child ends with exit code 7 if
/// `body` returns.
template <class F>
Child in_child(F body) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(fds[1], STDERR_FILENO);
        ::close(fds[0]);
        ::close(fds[1]);
        body();
        ::_exit(7);
    }
    ::close(fds[1]);
    Child c;
    char buf[512];
    for (ssize_t n = 0; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
        c.err.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    c.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return c;
}

const std::string term_line = "rankpool: stopped by SIGTERM: tasks still running after --grace "
                              "0.2 s were ended; rerun the same command to resume\n";

} // namespace

TEST_CASE("GraceWatch: tasks still running after the grace end the process with 128 + signal") {
    const auto c = in_child([] {
        rankpool::cli::install_stop_handlers();
        const rankpool::cli::GraceWatch watch(0.2, true);
        ::raise(SIGTERM);
        ::sleep(30); // a task that ignores the stop: the timer's SIGALRM ends the process
    });
    CHECK(c.exit_code == 143);
    CHECK(c.err == term_line);
}

TEST_CASE("GraceWatch: a stop that came before the watch started is watched too; only the root "
          "speaks") {
    const auto c = in_child([] {
        rankpool::cli::install_stop_handlers();
        ::raise(SIGUSR1);
        const rankpool::cli::GraceWatch watch(0.2, false);
        ::sleep(30);
    });
    CHECK(c.exit_code == 138);
    CHECK(c.err.empty());
}

TEST_CASE("GraceWatch: a run that ends within the grace disarms it") {
    const auto c = in_child([] {
        rankpool::cli::install_stop_handlers();
        {
            const rankpool::cli::GraceWatch watch(0.2, true);
            ::raise(SIGINT);
        }                  // the run ended
        ::usleep(600'000); // three graces: the timer is gone
    });
    CHECK(c.exit_code == 7);
    CHECK(c.err.empty());
}

TEST_CASE("GraceWatch: no stop, no end") {
    const auto c = in_child([] {
        rankpool::cli::install_stop_handlers();
        const rankpool::cli::GraceWatch watch(0.01, true);
        ::usleep(100'000);
    });
    CHECK(c.exit_code == 7);
    CHECK(c.err.empty());
}

TEST_CASE("GraceWatch: once it ends, SIGALRM does what it did before") {
    const auto c = in_child([] {
        rankpool::cli::install_stop_handlers();
        { const rankpool::cli::GraceWatch watch(10, true); }
        ::raise(SIGALRM); // its default action again: the process ends by it
    });
    CHECK(c.exit_code == -1);
    CHECK(c.signal == SIGALRM);
    CHECK(c.err.empty());
}
