// A command's journal: opened on the root, with every rank learning whether that worked, and the
// end of a resumable run (a stop signal's or the deadline's).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/communicator.hpp>

#include "rankpool/deadline.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/executor.hpp"
#include "rankpool/journal.hpp"

namespace rankpool::commands {

/// With a journal (`wanted`), calls open() on `root`, which returns the root's journal state
/// (std::unique_ptr<T>) or throws journal_error; every rank then throws usage_error with that
/// error's one line, or none does. Without one, returns null and sends nothing. Collective when
/// wanted.
template <class T, class Open>
std::unique_ptr<T> open_journal_on_root(const boost::mpi::communicator& comm, int root, bool wanted,
                                        Open&& open) {
    std::unique_ptr<T> state;
    if (!wanted) {
        return state;
    }
    std::string why;
    if (comm.rank() == root) {
        try {
            state = open();
        } catch (const journal_error& e) {
            why = e.what();
        }
    }
    boost::mpi::broadcast(comm, why, root);
    if (!why.empty()) {
        throw usage_error(why);
    }
    return state;
}

/// The end of a resumable run, collective: the root syncs `writer` (null: no journal, or not
/// the root); every rank learns the root's `journaled` count, adds it to s.completed and sets
/// s.tasks to n. Returns, on every rank, the stop signal `flag` holds on the root when tasks were
/// left undone (fewer than n completed, or completed and failed with `failed_are_done`), else 0.
inline int finish_resumable(const boost::mpi::communicator& comm, int root, JournalWriter* writer,
                            std::uint64_t& journaled, ExecutionSummary& s, std::uint64_t n,
                            const std::atomic<int>* flag, bool failed_are_done) {
    if (writer != nullptr) {
        writer->sync();
    }
    boost::mpi::broadcast(comm, journaled, root);
    s.tasks = n;
    s.completed += journaled;
    const std::uint64_t done = s.completed + (failed_are_done ? s.failed : 0);
    int stopped_by = comm.rank() == root && flag != nullptr && done < n ? flag->load() : 0;
    boost::mpi::broadcast(comm, stopped_by, root);
    return stopped_by;
}

/// A report's stopped_by when the executor's deadline stopped the run: SIGALRM's number, so that
/// its exit code (128 + it, 142) follows the stopped-by-a-signal convention.
inline constexpr int stopped_by_deadline = 14;

/// The end of a run with a deadline, after finish_resumable, collective: `stopped_by` as that
/// returned it, or stopped_by_deadline on every rank when no signal stopped the run, the deadline
/// stopped handing out tasks (s.deadline_stopped on the root) and tasks were left undone (`done`,
/// what counts as done on the root, is under s.tasks).
inline int deadline_stop(const boost::mpi::communicator& comm, int root, int stopped_by,
                         const ExecutionSummary& s, std::uint64_t done) {
    int by_deadline =
        comm.rank() == root && stopped_by == 0 && s.deadline_stopped && done < s.tasks ? 1 : 0;
    boost::mpi::broadcast(comm, by_deadline, root);
    return by_deadline != 0 ? stopped_by_deadline : stopped_by;
}

/// The report's line for a run the deadline (Unix seconds) stopped.
inline std::string deadline_stop_line(double deadline) {
    return "stopped by --deadline " + local_time_text(deadline) +
           ": the tasks left could not have finished before it";
}

} // namespace rankpool::commands
