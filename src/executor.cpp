// The executor's master/worker protocol over point-to-point messages on a private communicator.
//
// Messages (all on a duplicate of the caller's communicator, so none can mix with the caller's):
//   root -> worker  tasks:  the task indices of one chunk (uint64)
//   worker -> root  error:  the chunk's failures (serialized), sent before its result
//   worker -> root  result: per task, the result's bytes and a status byte
//   root -> worker  stop:   no more work; the worker returns
// The root runs the master loop on its main thread and, when it works too, runs its own chunks
// on one extra thread. Only main threads call MPI (MPI_THREAD_FUNNELED is enough).
#include "rankpool/executor.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <mpi.h>

#include "rankpool/map.hpp"
#include "rankpool/ordering.hpp"
#include "rankpool/timing.hpp"

namespace rankpool::detail {

namespace {

enum Tag : int { tag_tasks = 1, tag_result = 2, tag_error = 3, tag_stop = 4 };
enum Status : unsigned char { not_run = 0, succeeded = 1, failed = 2 };

/// Waits between polls: free while messages keep coming, then sleeps in growing steps.
class Waiter {
public:
    explicit Waiter(IdleWait mode) : mode_(mode) {}
    void reset() {
        idle_since_ = {};
        step_ = first_step;
    }
    void wait() {
        if (mode_ == IdleWait::spin) {
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (idle_since_ == std::chrono::steady_clock::time_point{}) {
            idle_since_ = now;
        }
        if (now - idle_since_ < spin_for) {
            return;
        }
        std::this_thread::sleep_for(step_);
        step_ = std::min(step_ * 2, longest_step);
    }

private:
    static constexpr auto spin_for = std::chrono::microseconds(50);
    static constexpr auto first_step = std::chrono::microseconds(20);
    static constexpr auto longest_step = std::chrono::microseconds(1000);
    IdleWait mode_;
    std::chrono::steady_clock::time_point idle_since_{};
    std::chrono::microseconds step_ = first_step;
};

/// What running one chunk produced: a slot per task (result bytes, then a status byte) and the
/// failures, in task order.
struct ChunkOutput {
    std::vector<unsigned char> slots;
    std::vector<TaskFailure> failures;
};

ChunkOutput run_chunk(const std::vector<std::uint64_t>& chunk, std::size_t result_size,
                      const ErasedTask& task, const StopToken& stop, bool keep_going, int rank,
                      const std::string& host) {
    const std::size_t slot = result_size + 1;
    ChunkOutput out;
    out.slots.assign(chunk.size() * slot, 0);
    for (std::size_t k = 0; k < chunk.size(); ++k) {
        if (stop.stop_requested()) {
            break;
        }
        unsigned char* s = out.slots.data() + k * slot;
        try {
            task(chunk[k], s, stop);
            s[result_size] = succeeded;
        } catch (const task_cancelled&) {
            break;
        } catch (const std::exception& e) {
            s[result_size] = failed;
            out.failures.push_back({chunk[k], rank, host, e.what()});
        } catch (...) {
            s[result_size] = failed;
            out.failures.push_back({chunk[k], rank, host, "unknown exception"});
        }
        if (s[result_size] == failed && !keep_going) {
            break;
        }
    }
    return out;
}

/// The root's own worker: one thread that runs the chunks the master hands it.
class LocalWorker {
public:
    using Run = std::function<ChunkOutput(const std::vector<std::uint64_t>&, const StopToken&)>;

    explicit LocalWorker(Run run) : run_(std::move(run)), thread_([this] { loop(); }) {}
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

    void submit(std::vector<std::uint64_t> chunk) {
        {
            const std::lock_guard lock(mutex_);
            chunk_ = std::move(chunk);
            has_chunk_ = true;
        }
        wake_.notify_one();
    }
    [[nodiscard]] bool done() const { return done_.load(std::memory_order_acquire); }
    ChunkOutput take() {
        done_.store(false, std::memory_order_relaxed);
        return std::move(output_);
    }
    void request_stop() { stop_.store(true, std::memory_order_relaxed); }

private:
    void loop() {
        const StopToken token(&stop_);
        while (true) {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return has_chunk_ || quit_; });
            if (!has_chunk_) {
                return;
            }
            auto chunk = std::move(chunk_);
            has_chunk_ = false;
            lock.unlock();
            output_ = run_(chunk, token);
            done_.store(true, std::memory_order_release);
        }
    }

    Run run_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::uint64_t> chunk_;
    bool has_chunk_ = false;
    bool quit_ = false;
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    ChunkOutput output_;
    std::thread thread_; // last: starts once everything above exists
};

void worker_loop(const boost::mpi::communicator& comm, std::size_t result_size,
                 const ErasedTask& task, const ExecutorOptions& o) {
    const std::string host = processor_name();
    Waiter waiter(o.idle);
    std::vector<std::uint64_t> chunk;
    const StopToken token(nullptr, [&comm, &o] {
        int stop = 0;
        MPI_Iprobe(o.root, tag_stop, comm, &stop, MPI_STATUS_IGNORE);
        return stop != 0;
    });
    while (true) {
        MPI_Status st;
        int flag = 0;
        MPI_Iprobe(o.root, MPI_ANY_TAG, comm, &flag, &st);
        if (flag == 0) {
            waiter.wait();
            continue;
        }
        waiter.reset();
        if (st.MPI_TAG == tag_stop) {
            MPI_Recv(nullptr, 0, MPI_BYTE, o.root, tag_stop, comm, MPI_STATUS_IGNORE);
            return;
        }
        int count = 0;
        MPI_Get_count(&st, MPI_UINT64_T, &count);
        chunk.resize(static_cast<std::size_t>(count));
        MPI_Recv(chunk.data(), count, MPI_UINT64_T, o.root, tag_tasks, comm, MPI_STATUS_IGNORE);
        const auto out =
            run_chunk(chunk, result_size, task, token, o.keep_going, comm.rank(), host);
        if (!out.failures.empty()) {
            comm.send(o.root, tag_error, out.failures);
        }
        MPI_Send(out.slots.data(), static_cast<int>(out.slots.size()), MPI_BYTE, o.root, tag_result,
                 comm);
    }
}

/// The root's side: hands out chunks, collects results and failures, releases results.
class Master {
public:
    Master(const boost::mpi::communicator& comm, std::uint64_t n, std::size_t result_size,
           const ErasedTask& task, const ErasedSink& sink, const ExecutorOptions& o,
           std::span<const double> costs)
        : comm_(comm), n_(n), rs_(result_size), sink_(sink), o_(o),
          pending_(static_cast<std::size_t>(comm.size())),
          stashed_(static_cast<std::size_t>(comm.size())),
          stopped_(static_cast<std::size_t>(comm.size()), false), window_(n, o.keep_going) {
        summary_.tasks = n;
        summary_.tasks_per_rank.assign(static_cast<std::size_t>(comm.size()), 0);
        const bool root_works = o.root_works || comm.size() == 1;
        for (int r = 0; r < comm.size(); ++r) {
            if (r != o.root || root_works) {
                worker_of_rank_.push_back(static_cast<int>(rank_of_worker_.size()));
                rank_of_worker_.push_back(r);
            } else {
                worker_of_rank_.push_back(-1);
            }
        }
        dispatcher_.emplace(task_order(n, costs, o.longest_first),
                            static_cast<int>(rank_of_worker_.size()), o.schedule, o.chunksize);
        if (o.ordered) {
            store_.resize(n * rs_);
        }
        if (root_works) {
            const std::string host = processor_name();
            local_.emplace([&task, this, host](const std::vector<std::uint64_t>& chunk,
                                               const StopToken& stop) {
                return run_chunk(chunk, rs_, task, stop, o_.keep_going, o_.root, host);
            });
        }
    }

    ExecutionSummary run() {
        const double t0 = MPI_Wtime();
        for (const int r : rank_of_worker_) {
            give(r);
        }
        Waiter waiter(o_.idle);
        while (busy()) {
            bool progressed = false;
            MPI_Status st;
            int flag = 0;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &st);
            if (flag != 0) {
                progressed = true;
                receive(st);
            }
            if (local_ && local_->done()) {
                progressed = true;
                auto out = local_->take();
                handle(o_.root, out.slots.data(), std::move(out.failures));
            }
            if (progressed) {
                waiter.reset();
            } else {
                waiter.wait();
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
    [[nodiscard]] bool busy() const {
        return std::any_of(pending_.begin(), pending_.end(),
                           [](const auto& chunk) { return !chunk.empty(); });
    }

    void give(int rank) {
        if (stopping_) {
            return;
        }
        auto chunk = dispatcher_->next(worker_of_rank_[static_cast<std::size_t>(rank)]);
        if (chunk.empty()) {
            return;
        }
        ++summary_.chunks;
        summary_.tasks_per_rank[static_cast<std::size_t>(rank)] += chunk.size();
        auto& pending = pending_[static_cast<std::size_t>(rank)];
        pending = std::move(chunk);
        if (rank == o_.root) {
            local_->submit(pending);
        } else {
            MPI_Send(pending.data(), static_cast<int>(pending.size()), MPI_UINT64_T, rank,
                     tag_tasks, comm_);
        }
    }

    void receive(const MPI_Status& st) {
        const int src = st.MPI_SOURCE;
        auto& stash = stashed_[static_cast<std::size_t>(src)];
        if (st.MPI_TAG == tag_error) {
            std::vector<TaskFailure> fs;
            comm_.recv(src, tag_error, fs);
            stash.insert(stash.end(), fs.begin(), fs.end());
            if (!o_.keep_going) {
                stop_early();
            }
            return;
        }
        const std::size_t bytes = pending_[static_cast<std::size_t>(src)].size() * (rs_ + 1);
        buffer_.resize(bytes);
        MPI_Recv(buffer_.data(), static_cast<int>(bytes), MPI_BYTE, src, tag_result, comm_,
                 MPI_STATUS_IGNORE);
        handle(src, buffer_.data(), std::move(stash));
        stash.clear();
    }

    /// One chunk came back from `rank`.
    void handle(int rank, const unsigned char* slots, std::vector<TaskFailure> failures) {
        auto& chunk = pending_[static_cast<std::size_t>(rank)];
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
                    std::copy(s, s + rs_, store_.begin() + static_cast<std::ptrdiff_t>(i * rs_));
                }
                window_.put(i, ok);
            }
        }
        chunk.clear();
        if (!failures.empty()) {
            summary_.failures.insert(summary_.failures.end(), failures.begin(), failures.end());
            if (!o_.keep_going) {
                stop_early();
            }
        }
        if (o_.ordered) {
            window_.release([this](std::uint64_t i) {
                deliver(i, store_.data() + static_cast<std::ptrdiff_t>(i * rs_));
            });
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
        if (local_) {
            local_->request_stop();
        }
        stop_all();
    }

    void stop_all() {
        for (int r = 0; r < comm_.size(); ++r) {
            auto stopped = stopped_[static_cast<std::size_t>(r)];
            if (r != o_.root && !stopped) {
                stopped_[static_cast<std::size_t>(r)] = true;
                MPI_Send(nullptr, 0, MPI_BYTE, r, tag_stop, comm_);
            }
        }
    }

    const boost::mpi::communicator& comm_;
    std::uint64_t n_;
    std::size_t rs_;
    const ErasedSink& sink_;
    const ExecutorOptions& o_;
    std::vector<int> worker_of_rank_;
    std::vector<int> rank_of_worker_;
    std::optional<Dispatcher> dispatcher_;
    std::vector<std::vector<std::uint64_t>> pending_;
    std::vector<std::vector<TaskFailure>> stashed_;
    std::vector<bool> stopped_;
    std::vector<unsigned char> store_;
    std::vector<unsigned char> buffer_;
    OrderedWindow window_;
    bool stopping_ = false;
    std::exception_ptr sink_error_;
    ExecutionSummary summary_;
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
    MPI_Barrier(ex);
    ExecutionSummary summary;
    std::exception_ptr sink_error;
    if (ex.rank() == options.root) {
        Master master(ex, n, result_size, task, sink, options, costs);
        summary = master.run();
        sink_error = master.sink_error();
    } else {
        worker_loop(ex, result_size, task, options);
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
