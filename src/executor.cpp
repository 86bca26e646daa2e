// The executor's master/worker protocol over point-to-point messages on a private communicator.
//
// Messages (on a duplicate of the caller's communicator, so none can mix with the caller's):
//   root -> worker  tasks:  the task indices of one chunk (uint64); an empty one means stop
//   worker -> root  result: per task, the result's bytes and a status byte
//   worker -> root  error:  the chunk's failures (serialized), right after a result with any
// Receives are posted (MPI_Irecv) and polled with MPI_Test, as a tuned C loop would: a busy
// worker's only possible message is the stop, so its stop token is one MPI_Test. The root runs
// the master loop on its main thread and, when it works too, its own chunks on one more thread.
// Only main threads call MPI (MPI_THREAD_FUNNELED is enough).
#include "rankpool/executor.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <sched.h>
#include <thread>

#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <mpi.h>

#include "rankpool/buffer.hpp"
#include "rankpool/map.hpp"
#include "rankpool/ordering.hpp"
#include "rankpool/run_info.hpp"

namespace rankpool::detail {

namespace {

enum Tag : int { tag_tasks = 1, tag_result = 2, tag_error = 3 };
enum Status : unsigned char { not_run = 0, succeeded = 1, failed = 2 };

using Clock = std::chrono::steady_clock;

/// Paces a polling loop. While messages keep coming it polls flat out; after 20 us without one
/// it yields the core between polls (oversubscribed ranks get to run), and after 1 ms it sleeps
/// between polls in growing steps up to 1 ms, so that a rank waiting on long tasks costs next to
/// no CPU. With IdleWait::spin it never pauses. The clock is read every 32nd idle poll only: it
/// would otherwise be most of a poll's cost.
class Pacer {
public:
    explicit Pacer(IdleWait mode) : mode_(mode) {}
    void busy() {
        idle_since_ = {};
        step_ = first_step;
        polls_ = 0;
    }
    void idle() {
        if (mode_ == IdleWait::spin || (++polls_ % 32 != 0 && idle_since_ != Clock::time_point{})) {
            return;
        }
        const auto now = Clock::now();
        if (idle_since_ == Clock::time_point{}) {
            idle_since_ = now;
            return;
        }
        const auto idle_for = now - idle_since_;
        if (idle_for < spin_for) {
            return;
        }
        if (idle_for < yield_for) {
            sched_yield();
            return;
        }
        std::this_thread::sleep_for(step_);
        step_ = std::min(step_ * 2, longest_step);
    }

private:
    static constexpr auto spin_for = std::chrono::microseconds(20);
    static constexpr auto yield_for = std::chrono::microseconds(1000);
    static constexpr auto first_step = std::chrono::microseconds(50);
    static constexpr auto longest_step = std::chrono::microseconds(1000);
    IdleWait mode_;
    Clock::time_point idle_since_{};
    std::chrono::microseconds step_ = first_step;
    unsigned polls_ = 0;
};

/// Runs chunks for one worker (a rank, or the root's thread) into reused buffers: a slot per
/// task (result bytes, then a status byte) and the chunk's failures in task order.
class ChunkRunner {
public:
    ChunkRunner(std::size_t result_size, const ErasedTask& task, bool keep_going, int rank)
        : rs_(result_size), task_(task), keep_going_(keep_going), rank_(rank),
          host_(processor_name()) {}

    void run(std::span<const std::uint64_t> chunk, const StopToken& stop) {
        slots.assign(chunk.size() * (rs_ + 1), not_run);
        failures.clear();
        for (std::size_t k = 0; k < chunk.size(); ++k) {
            if (k > 0 && stop.stop_requested()) { // a chunk just handed out is not stopped yet
                break;
            }
            unsigned char* s = slots.data() + k * (rs_ + 1);
            try {
                task_(chunk[k], s, stop);
                s[rs_] = succeeded;
            } catch (const task_cancelled&) {
                break;
            } catch (const std::exception& e) {
                fail(s, chunk[k], e.what());
            } catch (...) {
                fail(s, chunk[k], "unknown exception");
            }
            if (s[rs_] == failed && !keep_going_) {
                break;
            }
        }
    }

    std::vector<unsigned char> slots;
    std::vector<TaskFailure> failures;

private:
    void fail(unsigned char* s, std::uint64_t index, const char* what) {
        s[rs_] = failed;
        failures.push_back({index, rank_, host_, what});
    }

    std::size_t rs_;
    const ErasedTask& task_;
    bool keep_going_;
    int rank_;
    std::string host_;
};

/// A non-root rank: receives chunks, runs them, sends back results, until told to stop.
class RemoteWorker {
public:
    RemoteWorker(const boost::mpi::communicator& comm, std::uint64_t n, std::size_t result_size,
                 const ErasedTask& task, const ExecutorOptions& o, int workers)
        : comm_(comm), root_(o.root), pacer_(o.idle),
          runner_(result_size, task, o.keep_going, comm.rank()),
          capacity_(std::max<std::uint64_t>(1, max_chunk(n, workers, o.schedule, o.chunksize))),
          token_(nullptr, [this] { return stop_arrived(); }) {
        for (auto& b : buffers_) {
            b.resize(capacity_);
        }
    }

    void run() {
        while (true) {
            post();
            int done = 0;
            MPI_Status st;
            MPI_Test(&request_, &done, &st);
            if (done == 0) {
                pacer_.idle();
                continue;
            }
            posted_ = false;
            pacer_.busy();
            int count = 0;
            MPI_Get_count(&st, MPI_UINT64_T, &count);
            if (count == 0) {
                return; // stop
            }
            const std::span<const std::uint64_t> chunk(buffers_[current_].data(),
                                                       static_cast<std::size_t>(count));
            current_ ^= 1;
            runner_.run(chunk, token_);
            MPI_Send(runner_.slots.data(), static_cast<int>(runner_.slots.size()), MPI_BYTE, root_,
                     tag_result, comm_);
            if (!runner_.failures.empty()) {
                comm_.send(root_, tag_error, runner_.failures);
            }
            if (stopped_) {
                return;
            }
        }
    }

private:
    /// Posts the receive for the next message unless it is posted already. While a chunk runs
    /// the next message can only be the stop; the receive is posted only once a task asks its
    /// token, so that short tasks pay for no receive they do not use.
    void post() {
        if (!posted_) {
            MPI_Irecv(buffers_[current_].data(), static_cast<int>(capacity_), MPI_UINT64_T, root_,
                      tag_tasks, comm_, &request_);
            posted_ = true;
        }
    }
    bool stop_arrived() {
        if (!stopped_) {
            post();
            int done = 0;
            MPI_Test(&request_, &done, MPI_STATUS_IGNORE);
            stopped_ = done != 0;
        }
        return stopped_;
    }

    const boost::mpi::communicator& comm_;
    int root_;
    Pacer pacer_;
    ChunkRunner runner_;
    std::uint64_t capacity_;
    std::vector<std::uint64_t> buffers_[2];
    int current_ = 0;
    MPI_Request request_ = MPI_REQUEST_NULL;
    bool posted_ = false;
    bool stopped_ = false;
    StopToken token_;
};

/// The root's own worker: one thread that runs the chunks the master hands it.
class LocalWorker {
public:
    explicit LocalWorker(ChunkRunner& runner) : runner_(runner), thread_([this] { loop(); }) {}
    LocalWorker(const LocalWorker&) = delete;
    LocalWorker& operator=(const LocalWorker&) = delete;
    ~LocalWorker() {
        {
            const std::lock_guard lock(mutex_);
            quit_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    void submit(std::span<const std::uint64_t> chunk) {
        {
            const std::lock_guard lock(mutex_);
            chunk_ = chunk;
        }
        wake_.notify_one();
    }
    /// True once the submitted chunk ran; its output is then in the runner.
    [[nodiscard]] bool done() {
        if (!done_.load(std::memory_order_acquire)) {
            return false;
        }
        done_.store(false, std::memory_order_relaxed);
        return true;
    }
    void request_stop() { stop_.store(true, std::memory_order_relaxed); }

private:
    void loop() {
        const StopToken token(&stop_);
        while (true) {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return !chunk_.empty() || quit_; });
            if (chunk_.empty()) {
                return;
            }
            const auto chunk = chunk_;
            chunk_ = {};
            lock.unlock();
            runner_.run(chunk, token);
            done_.store(true, std::memory_order_release);
        }
    }

    ChunkRunner& runner_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::span<const std::uint64_t> chunk_;
    bool quit_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    std::thread thread_; // last: starts once everything above exists
};

/// The root's side: hands out chunks, collects results and failures, releases results.
class Master {
public:
    Master(const boost::mpi::communicator& comm, std::uint64_t n, std::size_t result_size,
           const ErasedTask& task, const ErasedSink& sink, const ExecutorOptions& o,
           std::span<const double> costs, const std::vector<int>& worker_of_rank)
        : comm_(comm), rs_(result_size), sink_(sink), o_(o), worker_of_rank_(worker_of_rank),
          dispatcher_(task_order(n, costs, o.longest_first),
                      static_cast<int>(std::count_if(worker_of_rank.begin(), worker_of_rank.end(),
                                                     [](int w) { return w >= 0; })),
                      o.schedule, o.chunksize),
          ranks_(static_cast<std::size_t>(comm.size())), window_(n, o.keep_going),
          local_runner_(result_size, task, o.keep_going, o.root) {
        summary_.tasks = n;
        summary_.tasks_per_rank.assign(ranks_.size(), 0);
        requests_.assign(ranks_.size(), MPI_REQUEST_NULL);
        if (o.ordered) {
            store_ = Buffer<unsigned char>(n * rs_); // results wait here for their turn
        }
        // The root's own chunks run on a thread of its own, so that handing out and collecting
        // never waits on them; alone, with nobody to hand out to, it runs them inline.
        if (worker_of_rank_[static_cast<std::size_t>(o.root)] >= 0 && comm.size() > 1) {
            local_.emplace(local_runner_);
        }
    }

    ExecutionSummary run() {
        const double t0 = MPI_Wtime();
        for (int r = 0; r < comm_.size(); ++r) {
            give(r);
        }
        Pacer pacer(o_.idle);
        const StopToken inline_token(&inline_stop_);
        while (busy_ > 0) {
            if (inline_ready_) { // alone: run the chunk here; handle() hands out the next one
                inline_ready_ = false;
                local_runner_.run(ranks_[static_cast<std::size_t>(o_.root)].pending, inline_token);
                handle(o_.root, local_runner_.slots.data(), local_runner_.failures);
                continue;
            }
            bool progressed = false;
            int index = MPI_UNDEFINED;
            int flag = 0;
            MPI_Testany(static_cast<int>(requests_.size()), requests_.data(), &index, &flag,
                        MPI_STATUS_IGNORE);
            if (flag != 0 && index != MPI_UNDEFINED) {
                progressed = true;
                receive(index);
            }
            if (local_ && local_->done()) {
                progressed = true;
                handle(o_.root, local_runner_.slots.data(), local_runner_.failures);
            }
            if (progressed) {
                pacer.busy();
            } else {
                pacer.idle();
            }
        }
        summary_.makespan = MPI_Wtime() - t0;
        stop_all();
        std::sort(summary_.failures.begin(), summary_.failures.end(),
                  [](const auto& a, const auto& b) { return a.index < b.index; });
        return std::move(summary_);
    }

    [[nodiscard]] std::exception_ptr sink_error() const { return sink_error_; }

private:
    struct RankState {
        std::span<const std::uint64_t> pending; // the chunk it is running
        std::vector<unsigned char> result;      // where its result lands
        bool stopped = false;
    };

    void give(int rank) {
        const int worker = worker_of_rank_[static_cast<std::size_t>(rank)];
        if (stopping_ || worker < 0) {
            return;
        }
        const auto chunk = dispatcher_.next(worker);
        if (chunk.empty()) {
            return;
        }
        auto& st = ranks_[static_cast<std::size_t>(rank)];
        st.pending = chunk;
        ++busy_;
        ++summary_.chunks;
        summary_.tasks_per_rank[static_cast<std::size_t>(rank)] += chunk.size();
        if (rank == o_.root) {
            if (local_) {
                local_->submit(chunk);
            } else {
                inline_ready_ = true;
            }
            return;
        }
        st.result.resize(chunk.size() * (rs_ + 1));
        MPI_Irecv(st.result.data(), static_cast<int>(st.result.size()), MPI_BYTE, rank, tag_result,
                  comm_, &requests_[static_cast<std::size_t>(rank)]);
        MPI_Send(chunk.data(), static_cast<int>(chunk.size()), MPI_UINT64_T, rank, tag_tasks,
                 comm_);
    }

    void receive(int rank) {
        const auto& st = ranks_[static_cast<std::size_t>(rank)];
        std::vector<TaskFailure> failures;
        for (std::size_t k = 0; k < st.pending.size(); ++k) {
            if (st.result[k * (rs_ + 1) + rs_] == failed) {
                comm_.recv(rank, tag_error, failures); // sent right after the result
                break;
            }
        }
        handle(rank, st.result.data(), failures);
    }

    /// One chunk came back from `rank`.
    void handle(int rank, const unsigned char* slots, const std::vector<TaskFailure>& failures) {
        auto& chunk = ranks_[static_cast<std::size_t>(rank)].pending;
        for (std::size_t k = 0; k < chunk.size(); ++k) {
            const unsigned char* s = slots + k * (rs_ + 1);
            const std::uint64_t i = chunk[k];
            const bool ok = s[rs_] == succeeded;
            summary_.completed += ok ? 1 : 0;
            summary_.failed += s[rs_] == failed ? 1 : 0;
            if (!o_.ordered) {
                if (ok) {
                    deliver(i, s);
                }
            } else {
                if (ok) {
                    std::copy(s, s + rs_, store_.data() + i * rs_);
                }
                window_.put(i, ok);
            }
        }
        chunk = {};
        --busy_;
        if (!failures.empty()) {
            summary_.failures.insert(summary_.failures.end(), failures.begin(), failures.end());
            if (!o_.keep_going) {
                stop_early();
            }
        }
        if (o_.ordered) {
            window_.release([this](std::uint64_t i) { deliver(i, store_.data() + i * rs_); });
        }
        give(rank);
    }

    /// Passes a result to the caller's sink. If the sink throws, the run stops as on a failed
    /// task and the exception is raised once every worker has stopped.
    void deliver(std::uint64_t i, const unsigned char* bytes) {
        if (sink_error_) {
            return;
        }
        try {
            sink_(i, bytes);
        } catch (...) {
            sink_error_ = std::current_exception();
            stop_early();
        }
    }

    /// A task failed: hand out nothing more and tell every worker to stop. Busy workers still
    /// send back what they have, so nothing is left in flight.
    void stop_early() {
        if (stopping_) {
            return;
        }
        stopping_ = true;
        inline_stop_.store(true, std::memory_order_relaxed);
        if (local_) {
            local_->request_stop();
        }
        stop_all();
    }

    void stop_all() {
        for (int r = 0; r < comm_.size(); ++r) {
            auto& st = ranks_[static_cast<std::size_t>(r)];
            if (r != o_.root && !st.stopped) {
                st.stopped = true;
                MPI_Send(nullptr, 0, MPI_UINT64_T, r, tag_tasks, comm_);
            }
        }
    }

    const boost::mpi::communicator& comm_;
    std::size_t rs_;
    const ErasedSink& sink_;
    const ExecutorOptions& o_;
    const std::vector<int>& worker_of_rank_;
    Dispatcher dispatcher_;
    std::vector<RankState> ranks_;
    std::vector<MPI_Request> requests_;
    int busy_ = 0;
    Buffer<unsigned char> store_;
    OrderedWindow window_;
    bool stopping_ = false;
    bool inline_ready_ = false; // alone: the root's chunk waits to run inline
    std::atomic<bool> inline_stop_{false};
    std::exception_ptr sink_error_;
    ExecutionSummary summary_;
    ChunkRunner local_runner_;
    std::optional<LocalWorker> local_; // last: its thread stops before the rest goes
};

/// Collective: every rank throws the same error, or none does.
void check_options(const boost::mpi::communicator& comm, const ExecutorOptions& o, std::uint64_t n,
                   std::span<const double> costs) {
    check_root(comm, o.root);
    if (o.chunksize < 1) {
        throw std::invalid_argument("chunksize must be >= 1");
    }
    int costs_ok = !o.longest_first || costs.size() == n ? 1 : 0;
    MPI_Bcast(&costs_ok, 1, MPI_INT, o.root, comm);
    if (costs_ok == 0) {
        throw std::invalid_argument("longest_first needs one cost per task on the root");
    }
}

} // namespace

ExecutionSummary execute_erased(const boost::mpi::communicator& comm, std::uint64_t n,
                                std::size_t result_size, const ErasedTask& task,
                                const ErasedSink& sink, const ExecutorOptions& options,
                                std::span<const double> costs) {
    check_options(comm, options, n, costs);
    const boost::mpi::communicator ex(comm, boost::mpi::comm_duplicate);
    // Worker numbers: every rank but a root that only dispatches (a lone root always works).
    const bool root_works = options.root_works || ex.size() == 1;
    std::vector<int> worker_of_rank;
    worker_of_rank.reserve(static_cast<std::size_t>(ex.size()));
    int workers = 0;
    for (int r = 0; r < ex.size(); ++r) {
        worker_of_rank.push_back(r != options.root || root_works ? workers++ : -1);
    }
    MPI_Barrier(ex);
    ExecutionSummary summary;
    std::exception_ptr sink_error;
    if (ex.rank() == options.root) {
        Master master(ex, n, result_size, task, sink, options, costs, worker_of_rank);
        summary = master.run();
        sink_error = master.sink_error();
    } else {
        RemoteWorker(ex, n, result_size, task, options, workers).run();
    }
    // Every rank learns the outcome, so that every rank can exit with the same code.
    std::uint64_t counts[3] = {summary.tasks, summary.completed, summary.failed};
    MPI_Bcast(counts, 3, MPI_UINT64_T, options.root, ex);
    summary.tasks = counts[0];
    summary.completed = counts[1];
    summary.failed = counts[2];
    if (sink_error) {
        std::rethrow_exception(sink_error); // on the root, after every worker has stopped
    }
    return summary;
}

} // namespace rankpool::detail
