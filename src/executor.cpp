// The executor's master/worker protocol over point-to-point messages on a private communicator.
//
// Messages (on a duplicate of the caller's communicator, so none can mix with the caller's):
//   root -> worker  tasks:   the task indices of one chunk (uint64); an empty one means stop
//   root -> worker  payload: with payloads, right after a chunk: a uint64 size per task, then
//                            the payloads' bytes
//   worker -> root  result:  per task a slot: the result's bytes (or, for variable-size results,
//                            its size as a uint64), then a status byte; a failed_result's
//                            bytes travel as a result's do, with a status of their own
//   worker -> root  data:    variable-size results only, right after a result: their bytes
//   worker -> root  error:   the chunk's failures (serialized), right after a result with any
// Receives are posted (MPI_Irecv) and polled with MPI_Test, as a tuned C loop would: a busy
// worker's only possible message is the stop, so its stop token is one MPI_Test. Chunks are sent
// straight from the dispatcher's order, results straight from the worker's slots. The messages
// that follow a chunk or a result are received at once, with their size known or probed. The
// root runs the master loop on its main thread and, when it works too, its own chunks on one
// more thread that never calls MPI (MPI_THREAD_FUNNELED is enough), or inline between polls of
// the workers when its measured task times are short (RootPlacement): a hand-off to the thread
// costs a condition-variable wake-up and context switches on the one core rank 0 is bound to.
// Every rank counts its busy time, chunks, messages and bytes as it goes; they are gathered on
// the root once, at the end (ExecutionSummary::overhead).
#include "rankpool/executor.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <unordered_map>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include <boost/mpi/collectives/broadcast.hpp>
#include <boost/mpi/packed_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <climits>
#include <mpi.h>

#include "rankpool/buffer.hpp"
#include "rankpool/deadline.hpp"
#include "rankpool/map.hpp"
#include "rankpool/mpi_env.hpp"
#include "rankpool/ordering.hpp"
#include "rankpool/partition.hpp"
#include "rankpool/root_placement.hpp"
#include "rankpool/run_info.hpp"
#include "rankpool/thread_level.hpp"

namespace rankpool {

execution_error::execution_error(ExecutionSummary summary)
    : task_error(summary.failures),
      summary_(std::make_shared<const ExecutionSummary>(std::move(summary))) {}

execution_error::execution_error(const std::string& what, ExecutionSummary summary)
    : task_error(what, {}), summary_(std::make_shared<const ExecutionSummary>(std::move(summary))) {
}

namespace detail {

namespace {

enum Tag : int { tag_tasks = 1, tag_result = 2, tag_error = 3, tag_payload = 4, tag_data = 5 };
enum Status : unsigned char {
    not_run = 0,
    succeeded = 1,
    failed = 2,
    cancelled = 3,
    failed_with_result = 4 // failed_result: failed, and its bytes travel as a result's do
};
bool is_failure(unsigned char status) {
    return status == failed || status == failed_with_result;
}
/// Whether a slot's result bytes travel (and, failed for good, reach the sink).
bool carries_result(unsigned char status) {
    return status == succeeded || status == failed_with_result;
}

// A retry travels as its task index with the attempts before it in the top bits, so that a
// worker learns the attempt number without another message. First runs carry plain indices.
constexpr int attempt_shift = 56;
constexpr std::uint64_t index_mask = (std::uint64_t{1} << attempt_shift) - 1;
std::uint64_t wire_of(std::uint64_t index, unsigned attempt) {
    return index | (static_cast<std::uint64_t>(attempt - 1) << attempt_shift);
}
unsigned attempt_of(std::uint64_t wire) {
    return static_cast<unsigned>(wire >> attempt_shift) + 1;
}

/// Now as Unix seconds.
double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Now on the steady clock, in seconds.
double steady_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// A cheap clock for the per-chunk counters: the CPU's time-stamp counter where there is one
/// (a clock_gettime costs about 0.1 us on a loaded VM, a fifth of a message round trip), else
/// the steady clock. Ticks become seconds by a TickRate taken over the whole run.
std::uint64_t ticks() {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

/// Seconds per tick, from the steady clock and the ticks at the start and end of a span.
class TickRate {
public:
    TickRate() : seconds_(steady_now()), ticks_(ticks()) {}
    /// Seconds per tick since construction (0 if the ticks did not advance).
    [[nodiscard]] double seconds_per_tick() const {
        const std::uint64_t t = ticks();
        const double s = steady_now();
        return t > ticks_ ? (s - seconds_) / static_cast<double>(t - ticks_) : 0.0;
    }
    /// Seconds since construction.
    [[nodiscard]] double elapsed() const { return steady_now() - seconds_; }

private:
    double seconds_;
    std::uint64_t ticks_;
};

/// Messages and bytes a rank sends (RankOverhead).
struct Traffic {
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
    void sent(std::size_t b) {
        ++messages;
        bytes += b;
    }
};

using Payloads = std::vector<std::span<const std::byte>>; // one per task of a chunk, or none

/// A message length as MPI's int count.
int count_of(std::size_t bytes) {
    if (bytes > static_cast<std::size_t>(INT_MAX)) {
        throw limit_error("executor: a message of " + std::to_string(bytes) +
                          " bytes is more than MPI's int counts allow; use a smaller chunksize");
    }
    return static_cast<int>(bytes);
}

/// Per task of a chunk, a slot: `value` bytes (the result, or a variable-size result's size as
/// a uint64), then with attempt records two doubles (start in Unix seconds, seconds), then a
/// status byte.
struct Layout {
    std::size_t value;
    bool variable;
    std::size_t record = 0; ///< 2 * sizeof(double) when the root wants attempt records
    [[nodiscard]] std::size_t status() const { return value + record; }
    [[nodiscard]] std::size_t slot() const { return value + record + 1; }
    [[nodiscard]] std::size_t size_in(const unsigned char* s) const {
        if (!variable) {
            return value;
        }
        std::uint64_t size = 0;
        std::memcpy(&size, s, sizeof size);
        return size;
    }
};

Layout layout_of(ResultFormat f, bool records) {
    Layout l = f.variable ? Layout{sizeof(std::uint64_t), true} : Layout{f.size, false};
    l.record = records ? 2 * sizeof(double) : 0;
    return l;
}

/// Runs chunks for one worker (a rank, or the root's thread) into reused buffers: the slots, the
/// bytes of variable-size results in task order, and the chunk's failures in task order.
class ChunkRunner {
public:
    /// `stop_at_failure`: a failed task ends its chunk (the run stops at the first failure).
    ChunkRunner(Layout layout, const ErasedTask& task, bool stop_at_failure, int rank)
        : layout_(layout), task_(task), stop_at_failure_(stop_at_failure), rank_(rank),
          host_(processor_name()) {}

    void run(std::span<const std::uint64_t> chunk, const Payloads& payloads,
             const StopToken& stop) {
        const std::size_t slot = layout_.slot();
        slots.assign(chunk.size() * slot, not_run);
        data.clear();
        failures.clear();
        ran = 0;
        finished = 0;
        for (std::size_t k = 0; k < chunk.size(); ++k) {
            if (k > 0 && stop.stop_requested()) { // a chunk just handed out is not stopped yet
                break;
            }
            ++ran;
            unsigned char* s = slots.data() + k * slot;
            const TaskContext context{chunk[k] & index_mask,
                                      payloads.empty() ? std::span<const std::byte>{} : payloads[k],
                                      stop, attempt_of(chunk[k])};
            const Clock clock(layout_.record != 0);
            run_one(context, s);
            clock.write(s + layout_.value);
            finished += s[layout_.status()] != cancelled ? 1 : 0;
            if (s[layout_.status()] == cancelled ||
                (is_failure(s[layout_.status()]) && stop_at_failure_)) {
                break;
            }
        }
    }

    std::vector<unsigned char> slots;
    std::vector<unsigned char> data;
    std::vector<TaskFailure> failures;
    std::uint64_t ran = 0;      ///< tasks of the last chunk that started
    std::uint64_t finished = 0; ///< of those, the ones that succeeded or failed

private:
    /// Times a task when attempt records are asked for: its start and its duration.
    class Clock {
    public:
        explicit Clock(bool on)
            : on_(on), start_(on ? unix_now() : 0),
              t0_(on ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{}) {
        }
        void write(unsigned char* record) const {
            if (on_) {
                const double times[2] = {
                    start_,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count()};
                std::memcpy(record, times, sizeof times);
            }
        }

    private:
        bool on_;
        double start_;
        std::chrono::steady_clock::time_point t0_;
    };

    /// Runs one task into its slot `s`: its result and status, or its failure.
    void run_one(const TaskContext& context, unsigned char* s) {
        const std::size_t before = data.size();
        try {
            task_(context, ResultOut{s, &data});
            if (layout_.variable) {
                const std::uint64_t size = data.size() - before;
                std::memcpy(s, &size, sizeof size);
            }
            s[layout_.status()] = succeeded;
        } catch (const task_cancelled&) {
            data.resize(before);
            s[layout_.status()] = cancelled;
        } catch (const failed_result& e) {
            fail(s, context.index, e.what(), before);
            if (layout_.variable) { // its bytes travel as a result's, marked failed
                data.insert(data.end(), e.bytes().begin(), e.bytes().end());
                const std::uint64_t size = e.bytes().size();
                std::memcpy(s, &size, sizeof size);
                s[layout_.status()] = failed_with_result;
            }
        } catch (const std::exception& e) {
            fail(s, context.index, e.what(), before);
        } catch (...) {
            fail(s, context.index, "unknown exception", before);
        }
    }

    void fail(unsigned char* s, std::uint64_t index, const char* what, std::size_t keep) {
        data.resize(keep);
        s[layout_.status()] = failed;
        failures.push_back({index, rank_, host_, what});
    }

    Layout layout_;
    const ErasedTask& task_;
    bool stop_at_failure_;
    int rank_;
    std::string host_;
};

/// What every rank knows of a run once the root has checked it.
struct Setup {
    std::uint64_t tasks = 0; // tasks to run
    bool payloads = false;
    bool records = false; // the root wants attempt records
    RootWork root_work;
};

/// Whether a failed task ends its chunk: only when the first failure stops the run at once.
bool stop_at_failure(const ExecutorOptions& o) {
    return o.retries == 0 && o.effective_halt().stops_at_first_failure();
}

/// Collective: the root checks the tasks and MPI's thread level and tells every rank; every rank
/// throws the same error, or none does.
Setup agree(const boost::mpi::communicator& comm, const Tasks& tasks, const ExecutorOptions& o) {
    check_root(comm, o.root);
    if (o.chunksize == chunksize_auto && o.schedule != Schedule::dynamic) {
        throw std::invalid_argument("chunksize auto needs the dynamic schedule");
    }
    if (o.retries > max_retries) {
        throw std::invalid_argument("retries must be <= " + std::to_string(max_retries));
    }
    if (o.retries > 0 && tasks.n() > index_mask) {
        throw std::invalid_argument("retries need task indices below 2^56");
    }
    // [0] a problem, [1] tasks to run, [2] payloads, [3] the root's thread level, [4] records
    std::uint64_t info[5] = {0, 0, 0, 0, 0};
    std::string problem;
    if (comm.rank() == o.root) {
        if (const auto p = tasks.problem(o.longest_first)) {
            problem = *p;
            info[0] = 1;
        }
        info[1] = tasks.count();
        info[2] = tasks.has_payloads() ? 1 : 0;
        info[3] = static_cast<std::uint64_t>(provided_thread_level());
        info[4] = o.on_attempt ? 1 : 0;
    }
    MPI_Bcast(info, 5, MPI_UINT64_T, o.root, comm);
    if (info[0] != 0) {
        boost::mpi::broadcast(comm, problem, o.root);
        throw std::invalid_argument(problem);
    }
    return {info[1], info[2] != 0, info[4] != 0,
            decide_root_work(o.root_works, comm.size(), static_cast<ThreadLevel>(info[3]), o.root)};
}

/// A non-root rank: receives chunks, runs them, sends back results, until told to stop.
class RemoteWorker {
public:
    RemoteWorker(const boost::mpi::communicator& comm, const Setup& setup, Layout layout,
                 const ErasedTask& task, const ExecutorOptions& o, int workers)
        : comm_(comm), root_(o.root), payloads_(setup.payloads), variable_(layout.variable),
          pacer_(o.idle), runner_(layout, task, stop_at_failure(o), comm.rank()),
          capacity_(
              std::max<std::uint64_t>(1, max_chunk(setup.tasks, workers, o.schedule, o.chunksize))),
          token_(nullptr, [this] { return stop_arrived(); }) {
        for (auto& b : buffers_) {
            b.resize(capacity_);
        }
    }

    void run() {
        const TickRate rate;
        loop();
        overhead_.busy = static_cast<double>(busy_ticks_) * rate.seconds_per_tick();
        overhead_.waiting = std::max(0.0, rate.elapsed() - overhead_.busy);
        overhead_.messages = traffic_.messages;
        overhead_.bytes = traffic_.bytes;
    }

    /// This rank's counters, once run() returned.
    [[nodiscard]] const RankOverhead& overhead() const { return overhead_; }

private:
    void loop() {
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
            if (payloads_) {
                receive_payloads(chunk.size());
            }
            const std::uint64_t t0 = ticks();
            runner_.run(chunk, views_, token_);
            busy_ticks_ += ticks() - t0;
            ++overhead_.chunks;
            overhead_.tasks += runner_.finished;
            MPI_Send(runner_.slots.data(), count_of(runner_.slots.size()), MPI_BYTE, root_,
                     tag_result, comm_);
            traffic_.sent(runner_.slots.size());
            if (variable_ && !runner_.data.empty()) {
                MPI_Send(runner_.data.data(), count_of(runner_.data.size()), MPI_BYTE, root_,
                         tag_data, comm_);
                traffic_.sent(runner_.data.size());
            }
            if (!runner_.failures.empty()) {
                comm_.send(root_, tag_error, runner_.failures);
                boost::mpi::packed_oarchive size_of(comm_); // rare: count what went
                size_of << runner_.failures;
                traffic_.sent(size_of.size());
            }
            if (stopped_) {
                return;
            }
        }
    }

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
    /// The chunk's payloads, sent right behind it: sizes, then bytes.
    void receive_payloads(std::size_t tasks) {
        MPI_Message message = MPI_MESSAGE_NULL;
        MPI_Status st;
        MPI_Mprobe(root_, tag_payload, comm_, &message, &st);
        int bytes = 0;
        MPI_Get_count(&st, MPI_BYTE, &bytes);
        payload_bytes_.resize(static_cast<std::size_t>(bytes));
        MPI_Mrecv(payload_bytes_.data(), bytes, MPI_BYTE, &message, MPI_STATUS_IGNORE);
        views_.resize(tasks);
        std::size_t offset = tasks * sizeof(std::uint64_t);
        for (std::size_t k = 0; k < tasks; ++k) {
            std::uint64_t size = 0;
            std::memcpy(&size, payload_bytes_.data() + k * sizeof size, sizeof size);
            views_[k] = {payload_bytes_.data() + offset, static_cast<std::size_t>(size)};
            offset += size;
        }
    }

    const boost::mpi::communicator& comm_;
    int root_;
    bool payloads_;
    bool variable_;
    Pacer pacer_;
    ChunkRunner runner_;
    std::uint64_t capacity_;
    std::vector<std::uint64_t> buffers_[2];
    int current_ = 0;
    MPI_Request request_ = MPI_REQUEST_NULL;
    bool posted_ = false;
    bool stopped_ = false;
    std::vector<std::byte> payload_bytes_;
    Payloads views_;
    StopToken token_;
    RankOverhead overhead_;
    std::uint64_t busy_ticks_ = 0;
    Traffic traffic_;
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

    /// Runs `chunk` with `payloads` (both stay untouched until done()).
    void submit(std::span<const std::uint64_t> chunk, const Payloads& payloads) {
        {
            const std::lock_guard lock(mutex_);
            chunk_ = chunk;
            payloads_ = &payloads;
        }
        wake_.notify_one();
    }
    /// Ticks the last chunk took, once done() said true.
    [[nodiscard]] std::uint64_t ticks_taken() const { return ticks_; }
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
            const auto* payloads = payloads_;
            chunk_ = {};
            lock.unlock();
            const std::uint64_t t0 = ticks();
            runner_.run(chunk, *payloads, token);
            ticks_ = ticks() - t0;
            done_.store(true, std::memory_order_release);
        }
    }

    ChunkRunner& runner_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::span<const std::uint64_t> chunk_;
    const Payloads* payloads_ = nullptr;
    bool quit_ = false;
    std::uint64_t ticks_ = 0; // written before done_ is set, read after it is seen
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    std::thread thread_; // last: starts once everything above exists
};

/// The hand-out order as positions in the task set: 0..m-1, or from the costliest down
/// (stable) with longest_first.
std::vector<std::uint64_t> positions_by_cost(const Tasks& tasks) {
    std::vector<std::uint64_t> p(tasks.count());
    std::iota(p.begin(), p.end(), std::uint64_t{0});
    const auto costs = tasks.costs();
    std::stable_sort(p.begin(), p.end(), [&](std::uint64_t a, std::uint64_t b) {
        return costs[tasks.index_at(a)] > costs[tasks.index_at(b)];
    });
    return p;
}

/// The root's side: hands out chunks, collects results and failures, releases results.
class Master {
public:
    Master(const boost::mpi::communicator& comm, const Tasks& tasks, const Setup& setup,
           Layout layout, const ErasedTask& task, const ErasedSink& sink,
           const ErasedRunSink& run_sink, const ExecutorOptions& o,
           const std::vector<int>& worker_of_rank)
        : comm_(comm), tasks_(tasks), layout_(layout), payloads_(setup.payloads), sink_(sink),
          run_sink_(run_sink), o_(o), worker_of_rank_(worker_of_rank),
          positions_(o.longest_first ? positions_by_cost(tasks) : std::vector<std::uint64_t>{}),
          dispatcher_(handout_order(),
                      static_cast<int>(std::count_if(worker_of_rank.begin(), worker_of_rank.end(),
                                                     [](int w) { return w >= 0; })),
                      o.schedule, o.chunksize),
          ranks_(static_cast<std::size_t>(comm.size())),
          window_(setup.tasks, !o.effective_halt().stops_at_first_failure()),
          halt_(o.effective_halt()),
          workers_(static_cast<std::size_t>(std::count_if(
              worker_of_rank.begin(), worker_of_rank.end(), [](int w) { return w >= 0; }))),
          local_runner_(layout, task, stop_at_failure(o), o.root) {
        summary_.tasks = setup.tasks;
        if (o.deadline > 0) {
            deadline_.emplace(o.deadline, o.deadline_task_seconds);
        }
        summary_.tasks_per_rank.assign(ranks_.size(), 0);
        requests_.assign(ranks_.size(), MPI_REQUEST_NULL);
        if (o.ordered && !layout.variable) {
            store_ = Buffer<unsigned char>(setup.tasks * layout.value); // results wait here
        }
        // The root's own chunks run on a thread of its own, so that handing out and collecting
        // never waits on them; alone, with nobody to hand out to, it runs them inline.
        if (worker_of_rank_[static_cast<std::size_t>(o.root)] >= 0 && comm.size() > 1) {
            local_.emplace(local_runner_);
        }
    }

    ExecutionSummary run() {
        const double t0 = MPI_Wtime();
        if (stop_asked()) {
            stop_early();
        }
        for (int r = 0; r < comm_.size(); ++r) {
            give(r);
        }
        Pacer pacer(o_.idle);
        // A task run inline that asks its token also learns of a failure elsewhere that stops
        // the run: the master cannot take in results while the task runs, but a failure's message
        // waiting for it is enough to know.
        const StopToken inline_token(&inline_stop_,
                                     [this] { return stop_asked() || failure_waiting(); });
        while (busy_ > 0) {
            if (stop_asked()) {
                stop_early(); // once: it hands out nothing more and stops every worker
            }
            bool progressed = false;
            if (inline_ready_) { // the root's chunk runs here; handle() hands out the next one
                inline_ready_ = false;
                run_inline(inline_token);
                if (comm_.size() == 1) {
                    continue; // alone: nobody to poll
                }
                progressed = true; // short: poll the workers once, then run the next one
            }
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
                thread_ticks_ += local_->ticks_taken();
                placement_.measured(seconds_of(local_->ticks_taken()), local_runner_.ran);
                handle_local();
            }
            if (progressed) {
                pacer.busy();
            } else {
                pacer.idle();
            }
            if (o_.on_progress && (++polls_ & 63) == 0) { // not a clock read every turn
                report_progress(false);
            }
        }
        summary_.makespan = MPI_Wtime() - t0;
        give_up_retries();
        if (o_.on_progress) {
            report_progress(true);
        }
        stop_all();
        for (auto& st : ranks_) {
            MPI_Wait(&st.payload_request, MPI_STATUS_IGNORE); // long received: returns at once
        }
        const double per_tick = rate_.seconds_per_tick();
        const double inline_busy = static_cast<double>(inline_ticks_) * per_tick;
        summary_.dispatching = std::max(0.0, summary_.makespan - inline_busy);
        auto& me = root_overhead_;
        me.busy = static_cast<double>(inline_ticks_ + thread_ticks_) * per_tick;
        me.waiting = root_works() ? std::max(0.0, summary_.makespan - me.busy) : 0;
        me.tasks = summary_.tasks_per_rank[static_cast<std::size_t>(o_.root)];
        me.chunks = local_chunks_;
        me.messages = traffic_.messages;
        me.bytes = traffic_.bytes;
        std::sort(summary_.failures.begin(), summary_.failures.end(),
                  [](const auto& a, const auto& b) { return a.index < b.index; });
        return std::move(summary_);
    }

    /// The root's counters, once run() returned.
    [[nodiscard]] const RankOverhead& root_overhead() const { return root_overhead_; }

    [[nodiscard]] std::exception_ptr sink_error() const { return sink_error_; }
    [[nodiscard]] const std::string& sink_error_text() const { return sink_error_text_; }

private:
    struct RankState {
        std::span<const std::uint64_t> pending; // the chunk it is running
        std::span<const std::uint64_t> wire;    // the same as sent (a retry's attempt encoded)
        std::size_t first = 0;                  // where that chunk starts in the hand-out order
        bool retry = false;                     // the chunk is one retried task:
        std::uint64_t retry_pos = 0;            // its position in the task set,
        std::uint64_t retry_index = 0;          // its index,
        std::uint64_t retry_wire = 0;           // and what is sent for it
        std::vector<unsigned char> result;      // where its slots land
        std::vector<unsigned char> data;        // where its variable-size results land
        std::vector<unsigned char> done_result; // the chunk that came back, while the next one
        std::vector<unsigned char> done_data;   // is out (handle() gives it first)
        std::vector<std::byte> payloads;        // its chunk's payloads, packed, being sent
        MPI_Request payload_request = MPI_REQUEST_NULL;
        bool stopped = false;
        double given_at = 0; // MPI_Wtime when its chunk went out (auto chunks or a deadline only)
    };

    /// With a deadline: whether `tasks` more tasks cannot finish before it, and if so, stops
    /// handing out (running tasks finish).
    bool past_deadline(std::uint64_t tasks) {
        if (!deadline_ || (dispatcher_.remaining() == 0 && retry_queue_.empty()) ||
            deadline_->allows(unix_now(), tasks)) {
            return false; // (nothing left to hand out: the deadline stops nothing)
        }
        summary_.deadline_stopped = true;
        stopping_ = true;
        return true;
    }
    static double unix_now() {
        return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    /// Task indices in hand-out order (by position: see position()).
    std::vector<std::uint64_t> handout_order() const {
        std::vector<std::uint64_t> order(tasks_.count());
        for (std::size_t j = 0; j < order.size(); ++j) {
            order[j] = tasks_.index_at(positions_.empty() ? j : positions_[j]);
        }
        return order;
    }
    /// The position in the task set of the task at `j` in the hand-out order.
    [[nodiscard]] std::uint64_t position(std::size_t j) const {
        return positions_.empty() ? j : positions_[j];
    }

    void give(int rank) {
        const int worker = worker_of_rank_[static_cast<std::size_t>(rank)];
        if (stopping_ || stop_asked() || worker < 0 || past_deadline(1)) {
            return;
        }
        auto& st = ranks_[static_cast<std::size_t>(rank)];
        if (!take_retry(rank)) {
            const auto chunk = dispatcher_.next(worker);
            if (chunk.empty() || (chunk.size() > 1 && past_deadline(chunk.size()))) {
                return;
            }
            st.pending = chunk;
            st.wire = chunk;
            st.first = static_cast<std::size_t>(chunk.data() - dispatcher_.order().data());
        }
        const auto chunk = st.pending;
        // One clock read per chunk, only when auto chunk sizes (sized from the round trips seen)
        // or a deadline (from the measured task times) ask for it.
        if (deadline_ || dispatcher_.adaptive()) {
            st.given_at = MPI_Wtime();
        }
        ++busy_;
        ++summary_.chunks;
        if (rank == o_.root) {
            local_payloads_.clear();
            if (payloads_) {
                for (const auto i : chunk) {
                    local_payloads_.push_back(tasks_.payload(i));
                }
            }
            if (local_ && !placement_.run_inline(chunk.size())) {
                local_->submit(st.wire, local_payloads_);
            } else {
                inline_ready_ = true; // alone, or its tasks are short: run() runs it inline
            }
            return;
        }
        // The chunk goes out first and its result's receive is posted while the worker runs it,
        // as the C loop posts its receive after its send: the posting is off the round trip. (A
        // result that comes before its receive waits in Open MPI's queue until it is posted.)
        MPI_Send(st.wire.data(), static_cast<int>(st.wire.size()), MPI_UINT64_T, rank, tag_tasks,
                 comm_);
        st.result.resize(chunk.size() * layout_.slot());
        MPI_Irecv(st.result.data(), count_of(st.result.size()), MPI_BYTE, rank, tag_result, comm_,
                  &requests_[static_cast<std::size_t>(rank)]);
        traffic_.sent(st.wire.size() * sizeof(std::uint64_t));
        if (payloads_) {
            send_payloads(rank, chunk);
        }
    }

    /// Packs the chunk's payloads (sizes, then bytes) and sends them without waiting.
    void send_payloads(int rank, std::span<const std::uint64_t> chunk) {
        auto& st = ranks_[static_cast<std::size_t>(rank)];
        MPI_Wait(&st.payload_request, MPI_STATUS_IGNORE); // the last chunk's: received already
        std::size_t bytes = chunk.size() * sizeof(std::uint64_t);
        for (const auto i : chunk) {
            bytes += tasks_.payload(i).size();
        }
        st.payloads.resize(bytes);
        std::size_t offset = chunk.size() * sizeof(std::uint64_t);
        for (std::size_t k = 0; k < chunk.size(); ++k) {
            const auto p = tasks_.payload(chunk[k]);
            const std::uint64_t size = p.size();
            std::memcpy(st.payloads.data() + k * sizeof size, &size, sizeof size);
            if (size > 0) {
                std::memcpy(st.payloads.data() + offset, p.data(), p.size());
            }
            offset += p.size();
        }
        MPI_Isend(st.payloads.data(), count_of(bytes), MPI_BYTE, rank, tag_payload, comm_,
                  &st.payload_request);
        traffic_.sent(bytes);
    }

    void receive(int rank) {
        auto& st = ranks_[static_cast<std::size_t>(rank)];
        bool any_failed = false;
        std::size_t bytes = 0;
        for (std::size_t k = 0; k < st.pending.size(); ++k) {
            const unsigned char* s = st.result.data() + k * layout_.slot();
            any_failed = any_failed || is_failure(s[layout_.status()]);
            if (layout_.variable && carries_result(s[layout_.status()])) {
                bytes += layout_.size_in(s);
            }
        }
        st.data.resize(bytes);
        if (bytes > 0) { // sent right after the result
            MPI_Recv(st.data.data(), count_of(bytes), MPI_BYTE, rank, tag_data, comm_,
                     MPI_STATUS_IGNORE);
        }
        std::vector<TaskFailure> failures;
        if (any_failed) {
            comm_.recv(rank, tag_error, failures); // sent right after the result
        }
        // A chunk without failures, not a retry: the rank gets its next chunk before this one's
        // results are handled, so that it works while they are placed and delivered. (Failures
        // decide retries and halts first; a retry's chunk lives in the rank's state.)
        const bool give_first = !any_failed && !st.retry;
        if (give_first) {
            std::swap(st.result, st.done_result); // the next chunk's slots land in the other
            std::swap(st.data, st.done_data);
            handle(rank, st.done_result.data(), st.done_data.data(), failures, true);
        } else {
            handle(rank, st.result.data(), st.data.data(), failures, false);
        }
    }

    /// Runs the root's chunk on this thread: alone, or when its tasks are short.
    void run_inline(const StopToken& token) {
        const std::uint64_t t0 = ticks();
        local_runner_.run(ranks_[static_cast<std::size_t>(o_.root)].wire, local_payloads_, token);
        const std::uint64_t taken = ticks() - t0;
        inline_ticks_ += taken;
        if (local_) { // alone, there is no choice to make
            placement_.measured(seconds_of(taken), local_runner_.ran);
        }
        ++summary_.inline_chunks;
        handle_local();
    }

    void handle_local() {
        ++local_chunks_;
        // Not given first: the root's runner and its slots are the next chunk's.
        handle(o_.root, local_runner_.slots.data(), local_runner_.data.data(),
               local_runner_.failures, false);
    }

    /// Whether a worker's failure that stops the run at once is waiting to be received.
    [[nodiscard]] bool failure_waiting() const {
        if (comm_.size() == 1 || !stop_at_failure(o_)) {
            return false;
        }
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, tag_error, comm_, &flag, MPI_STATUS_IGNORE);
        return flag != 0;
    }

    /// A span of ticks in seconds, at the rate seen so far (for RootPlacement's estimate).
    [[nodiscard]] double seconds_of(std::uint64_t t) {
        if (per_tick_ == 0 || ++rate_checks_ % 1024 == 0) {
            per_tick_ = rate_.seconds_per_tick();
        }
        return static_cast<double>(t) * per_tick_;
    }

    [[nodiscard]] bool root_works() const {
        return worker_of_rank_[static_cast<std::size_t>(o_.root)] >= 0;
    }

    /// A chunk that came back, as handle() reads it once its rank may hold the next one.
    struct Done {
        std::span<const std::uint64_t> pending;
        std::span<const std::uint64_t> wire;
        std::size_t first = 0;
        bool retry = false;
        std::uint64_t retry_pos = 0;
    };

    /// One chunk came back from `rank`. With `give_first` the rank gets its next chunk before
    /// this one's results are handled (they must not live in the rank's state: see receive()).
    void handle(int rank, const unsigned char* slots, const unsigned char* data,
                const std::vector<TaskFailure>& failures, bool give_first) {
        auto& st = ranks_[static_cast<std::size_t>(rank)];
        const Done d{st.pending, st.wire, st.first, st.retry, st.retry_pos};
        if (deadline_ || dispatcher_.adaptive()) { // what the next chunk's size or hand-out needs
            const double taken = MPI_Wtime() - st.given_at;
            if (deadline_) {
                deadline_->finished(taken, d.pending.size());
            }
            if (dispatcher_.adaptive() && !d.retry) {
                dispatcher_.observe(d.pending.size(), taken);
            }
        }
        st.pending = {};
        st.wire = {};
        st.retry = false; // (a retry's index and wire stay in st until give() takes another)
        if (give_first) {
            give(rank);
        }
        if (!d.retry && run_sink_ && (layout_.record == 0 || !o_.on_attempt) &&
            all_succeeded(slots, d.pending.size())) {
            take_succeeded(rank, d, slots);
        } else {
            take_each(rank, d, slots, data, failures);
        }
        --busy_;
        if (o_.ordered) {
            window_.release([this](std::uint64_t pos) {
                const std::uint64_t i = tasks_.index_at(pos);
                if (layout_.variable) {
                    const auto it = waiting_.find(pos);
                    deliver(i, it->second);
                    waiting_.erase(it);
                } else {
                    deliver(i, {store_.data() + pos * layout_.value, layout_.value});
                }
            });
        }
        if (o_.on_chunk_end) { // the chunk's results went out: e.g. one journal record for them
            guard(0, "on_chunk_end", o_.on_chunk_end);
        }
        if (!give_first) {
            give(rank);
        }
        if (!retry_queue_.empty()) {
            give_idle(); // a retry may wait for a rank that has nothing else to do
        }
    }

    /// The common chunk: fixed-size results, no attempt records, every task succeeded. Counted at
    /// once; its results go to the sink as one run when they are next in input order (most are)
    /// or order does not matter, else they wait in the store like any result. (The store's
    /// fresh pages cost a page fault each.)
    void take_succeeded(int rank, const Done& d, const unsigned char* slots) {
        const std::size_t n = d.pending.size();
        summary_.attempts += n;
        summary_.tasks_per_rank[static_cast<std::size_t>(rank)] += n;
        summary_.completed += n;
        if (!o_.ordered || (positions_.empty() && window_.is_next(d.first))) {
            deliver_run(d.pending, slots);
            if (o_.ordered) {
                window_.passed(n);
            }
            return;
        }
        for (std::size_t k = 0; k < n; ++k) {
            place(d.pending[k], position(d.first + k), true,
                  {slots + k * layout_.slot(), layout_.value});
        }
    }

    /// Any other chunk, task by task: attempt records, retries, failures and the halt policy.
    void take_each(int rank, const Done& d, const unsigned char* slots, const unsigned char* data,
                   const std::vector<TaskFailure>& failures) {
        auto& ran = summary_.tasks_per_rank[static_cast<std::size_t>(rank)];
        std::size_t next_failure = 0; // failures come in the chunk's task order
        for (std::size_t k = 0; k < d.pending.size(); ++k) {
            const unsigned char* s = slots + k * layout_.slot();
            const unsigned char status = s[layout_.status()];
            const std::uint64_t pos = d.retry ? d.retry_pos : position(d.first + k);
            const TaskFailure* failure = is_failure(status) ? &failures[next_failure++] : nullptr;
            if (status != not_run) {
                ++summary_.attempts;
                record(rank, d, k, s, failure);
            }
            ran += status == succeeded || is_failure(status) ? 1 : 0;
            std::span<const unsigned char> bytes; // a result, or a failed_result's bytes
            if (carries_result(status)) {
                bytes = layout_.variable ? std::span(data, layout_.size_in(s))
                                         : std::span(s, layout_.value);
                data += layout_.variable ? bytes.size() : 0;
            }
            if (failure != nullptr && retry(pos, rank, *failure)) {
                continue;
            }
            if (d.retry && status != succeeded && !is_failure(status)) {
                continue; // a retry cancelled or not run: give_up_retries counts it
            }
            if (d.retry) {
                retries_.erase(pos);
            }
            summary_.completed += status == succeeded ? 1 : 0;
            if (failure != nullptr) {
                fail_for_good(*failure);
            }
            place(d.pending[k], pos, carries_result(status), bytes);
        }
    }

    /// A result (or its absence) at position `pos`: delivered now (unordered) or when the
    /// ordering window reaches it.
    void place(std::uint64_t i, std::uint64_t pos, bool ok, std::span<const unsigned char> bytes) {
        if (!o_.ordered) {
            if (ok) {
                deliver(i, bytes);
            }
            return;
        }
        if (ok && layout_.variable) {
            waiting_[pos].assign(bytes.begin(), bytes.end());
        } else if (ok) {
            std::copy(bytes.begin(), bytes.end(), store_.data() + pos * layout_.value);
        }
        window_.put(pos, ok);
    }

    /// Hands the attempt of task k of chunk `d` to on_attempt.
    void record(int rank, const Done& d, std::size_t k, const unsigned char* s,
                const TaskFailure* failure) {
        if (layout_.record == 0 || !o_.on_attempt) {
            return;
        }
        TaskAttempt a;
        a.index = d.pending[k];
        a.attempt = attempt_of(d.wire[k]);
        a.rank = rank;
        double times[2];
        std::memcpy(times, s + layout_.value, sizeof times);
        a.start = times[0];
        a.seconds = times[1];
        const unsigned char status = s[layout_.status()];
        a.status = status == succeeded  ? AttemptStatus::ok
                   : is_failure(status) ? AttemptStatus::failed
                                        : AttemptStatus::cancelled;
        if (failure != nullptr) {
            a.error = failure->message;
        }
        guard(a.index, "on_attempt", [&] { o_.on_attempt(a); });
    }

    /// A task at position `pos` failed on `rank`: queues it to run again and returns true if it
    /// has retries left and the run goes on.
    bool retry(std::uint64_t pos, int rank, const TaskFailure& failure) {
        if (o_.retries == 0 || stopping_) {
            retries_.erase(pos);
            return false;
        }
        auto& r = retries_[pos];
        if (r.failures >= o_.retries) {
            retries_.erase(pos);
            return false;
        }
        ++r.failures;
        if (std::find(r.failed_on.begin(), r.failed_on.end(), rank) == r.failed_on.end()) {
            r.failed_on.push_back(rank);
        }
        r.last = failure;
        retry_queue_.push_back(pos);
        ++summary_.retries;
        return true;
    }

    /// If a queued retry may run on `rank` (one that has not failed it, or any rank once every
    /// worker has), makes it `rank`'s next chunk and returns true.
    bool take_retry(int rank) {
        for (auto it = retry_queue_.begin(); it != retry_queue_.end(); ++it) {
            const auto& r = retries_.at(*it);
            const bool failed_here =
                std::find(r.failed_on.begin(), r.failed_on.end(), rank) != r.failed_on.end();
            if (failed_here && r.failed_on.size() < workers_) {
                continue;
            }
            auto& st = ranks_[static_cast<std::size_t>(rank)];
            st.retry = true;
            st.retry_pos = *it;
            st.retry_index = tasks_.index_at(*it);
            st.retry_wire = wire_of(st.retry_index, r.failures + 1);
            st.pending = {&st.retry_index, 1};
            st.wire = {&st.retry_wire, 1};
            retry_queue_.erase(it);
            return true;
        }
        return false;
    }

    /// Offers work to every rank that has none.
    void give_idle() {
        for (int r = 0; r < comm_.size(); ++r) {
            if (ranks_[static_cast<std::size_t>(r)].pending.empty()) {
                give(r);
            }
        }
    }

    /// The run ended with retries queued or cancelled: their tasks failed, with their last
    /// failure.
    void give_up_retries() {
        for (const auto& [pos, r] : retries_) {
            ++summary_.failed;
            summary_.failures.push_back(r.last);
        }
        retries_.clear();
        retry_queue_.clear();
    }

    /// A task failed for good: counts it and applies the halt policy.
    void fail_for_good(const TaskFailure& failure) {
        ++summary_.failed;
        summary_.failures.push_back(failure);
        const auto action =
            halt_.decide(summary_.failed, summary_.completed + summary_.failed, summary_.tasks);
        if (action == HaltAction::stop_now) {
            summary_.halted = true;
            stop_early();
        } else if (action == HaltAction::stop_soon && !stopping_) {
            summary_.halted = true;
            stopping_ = true; // hand out nothing more; what runs finishes
        }
    }

    /// Calls on_progress at most every 100 ms, and at the end (`last`).
    void report_progress(bool last) {
        const double now = MPI_Wtime();
        if (!last && now - last_progress_ < 0.1) {
            return;
        }
        last_progress_ = now;
        guard(0, "on_progress",
              [&] { o_.on_progress(summary_.completed + summary_.failed, summary_.tasks); });
    }

    /// Passes a result to the caller's sink.
    void deliver(std::uint64_t i, std::span<const unsigned char> bytes) {
        guard(i, "on_result", [&] { sink_(i, bytes); });
    }

    /// Passes the fixed-size results of `indices`, in its slots, to the caller's run sink in
    /// order: one erased call for them all.
    void deliver_run(std::span<const std::uint64_t> indices, const unsigned char* slots) {
        std::size_t done = 0;
        guard_with([&] { return indices[done]; }, "on_result",
                   [&] { run_sink_(indices, slots, layout_.slot(), done); });
    }

    /// Whether each of the `n` slots says succeeded.
    [[nodiscard]] bool all_succeeded(const unsigned char* slots, std::size_t n) const {
        const std::size_t slot = layout_.slot();
        const std::size_t status = layout_.status();
        for (std::size_t k = 0; k < n; ++k) {
            if (slots[k * slot + status] != succeeded) {
                return false;
            }
        }
        return true;
    }

    /// Calls one of the caller's callbacks. If it throws, the run stops as on a failed task and
    /// the exception is raised once every worker has stopped; no callback is called after that.
    template <class F>
    void guard(std::uint64_t i, const char* name, F&& f) {
        guard_with([i] { return i; }, name, std::forward<F>(f));
    }
    /// guard() for a callback whose task is known only once it threw: index() names it.
    template <class I, class F>
    void guard_with(I&& index, const char* name, F&& f) {
        if (sink_error_) {
            return;
        }
        try {
            f();
        } catch (...) {
            sink_error_ = std::current_exception();
            std::string what = "unknown exception";
            try {
                throw;
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            sink_error_text_ = std::string(name) + " for task " + std::to_string(index()) +
                               " failed on rank " + std::to_string(o_.root) + " (" +
                               processor_name() + "): " + what;
            stop_early();
        }
    }

    /// Whether the caller's stop flag (ExecutorOptions::stop_requested) is set.
    [[nodiscard]] bool stop_asked() const {
        return o_.stop_requested != nullptr &&
               o_.stop_requested->load(std::memory_order_relaxed) != 0;
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
                traffic_.sent(0);
            }
        }
    }

    const boost::mpi::communicator& comm_;
    const Tasks& tasks_;
    Layout layout_;
    bool payloads_;
    const ErasedSink& sink_;
    const ErasedRunSink& run_sink_;
    const ExecutorOptions& o_;
    const std::vector<int>& worker_of_rank_;
    std::vector<std::uint64_t> positions_; // hand-out order -> position; empty: the same
    Dispatcher dispatcher_;
    std::vector<RankState> ranks_;
    std::vector<MPI_Request> requests_;
    int busy_ = 0;
    Buffer<unsigned char> store_;                                           // fixed-size, ordered
    std::unordered_map<std::uint64_t, std::vector<unsigned char>> waiting_; // variable, ordered
    OrderedWindow window_;
    HaltPolicy halt_;
    std::size_t workers_; // ranks that run tasks
    /// A task that failed and waits to run again (by position in the task set).
    struct Retry {
        unsigned failures = 0;      // its failed runs so far
        std::vector<int> failed_on; // the ranks they ran on
        TaskFailure last;           // the last one, reported if no retry succeeds
    };
    std::unordered_map<std::uint64_t, Retry> retries_; // queued or running
    std::deque<std::uint64_t> retry_queue_;            // waiting for a rank
    double last_progress_ = 0;
    std::uint64_t polls_ = 0; // turns of run()'s loop, for report_progress
    bool stopping_ = false;
    std::optional<DeadlineGate> deadline_; // with ExecutorOptions::deadline
    bool inline_ready_ = false;            // alone: the root's chunk waits to run inline
    std::atomic<bool> inline_stop_{false};
    std::exception_ptr sink_error_;
    std::string sink_error_text_;
    ExecutionSummary summary_;
    Payloads local_payloads_;        // the root's own chunk's
    RootPlacement placement_;        // inline or on the thread, from the root's measured task times
    TickRate rate_;                  // ticks to seconds, over the run
    std::uint64_t inline_ticks_ = 0; // the root's time in tasks inline
    std::uint64_t thread_ticks_ = 0; // and on its thread
    std::uint64_t local_chunks_ = 0;
    double per_tick_ = 0; // seconds_of's rate, refreshed now and then
    std::uint64_t rate_checks_ = 0;
    Traffic traffic_;
    RankOverhead root_overhead_;
    ChunkRunner local_runner_;
    std::optional<LocalWorker> local_; // last: its thread stops before the rest goes
};

/// Collective: every rank's counters into the root's summary, in one gather.
void gather_overhead(const boost::mpi::communicator& comm, int root, const RankOverhead& mine,
                     ExecutionSummary& summary) {
    constexpr int fields = 6;
    std::uint64_t row[fields] = {0, 0, mine.tasks, mine.chunks, mine.messages, mine.bytes};
    std::memcpy(&row[0], &mine.busy, sizeof(double));
    std::memcpy(&row[1], &mine.waiting, sizeof(double));
    const bool is_root = comm.rank() == root;
    std::vector<std::uint64_t> all(is_root ? static_cast<std::size_t>(comm.size()) * fields : 0);
    MPI_Gather(row, fields, MPI_UINT64_T, all.data(), fields, MPI_UINT64_T, root, comm);
    if (!is_root) {
        return;
    }
    summary.overhead.resize(static_cast<std::size_t>(comm.size()));
    for (std::size_t r = 0; r < summary.overhead.size(); ++r) {
        const std::uint64_t* f = all.data() + r * fields;
        auto& o = summary.overhead[r];
        std::memcpy(&o.busy, &f[0], sizeof(double));
        std::memcpy(&o.waiting, &f[1], sizeof(double));
        o.tasks = f[2];
        o.chunks = f[3];
        o.messages = f[4];
        o.bytes = f[5];
    }
}

} // namespace

ExecutionSummary execute_erased(const boost::mpi::communicator& comm, const Tasks& tasks,
                                ResultFormat format, const ErasedTask& task, const ErasedSink& sink,
                                const ErasedRunSink& run_sink, const ExecutorOptions& options) {
    const Setup setup = agree(comm, tasks, options);
    const boost::mpi::communicator ex(comm, boost::mpi::comm_duplicate);
    // Worker numbers: every rank but a root that only dispatches.
    std::vector<int> worker_of_rank;
    worker_of_rank.reserve(static_cast<std::size_t>(ex.size()));
    int workers = 0;
    for (int r = 0; r < ex.size(); ++r) {
        worker_of_rank.push_back(r != options.root || setup.root_work.works ? workers++ : -1);
    }
    const Layout layout = layout_of(format, setup.records);
    MPI_Barrier(ex);
    ExecutionSummary summary;
    std::exception_ptr sink_error;
    std::string sink_error_text;
    RankOverhead mine;
    if (ex.rank() == options.root) {
        Master master(ex, tasks, setup, layout, task, sink, run_sink, options, worker_of_rank);
        summary = master.run();
        mine = master.root_overhead();
        sink_error = master.sink_error();
        sink_error_text = master.sink_error_text();
    } else {
        RemoteWorker worker(ex, setup, layout, task, options, workers);
        worker.run();
        mine = worker.overhead();
    }
    gather_overhead(ex, options.root, mine, summary);
    summary.root_worked = setup.root_work.works;
    if (!setup.root_work.note.empty()) {
        summary.notes.push_back(setup.root_work.note);
    }
    // Every rank learns the outcome, so that every rank can raise alike.
    enum Outcome : std::uint64_t { ok = 0, tasks_failed = 1, sink_failed = 2 };
    std::uint64_t outcome[4] = {summary.tasks, summary.completed, summary.failed, ok};
    if (sink_error) {
        outcome[3] = sink_failed;
    } else if (summary.failed > 0) {
        outcome[3] = tasks_failed;
    }
    MPI_Bcast(outcome, 4, MPI_UINT64_T, options.root, ex);
    summary.tasks = outcome[0];
    summary.completed = outcome[1];
    summary.failed = outcome[2];
    if (outcome[3] == ok) {
        return summary;
    }
    const bool is_root = ex.rank() == options.root;
    std::optional<execution_error> error;
    std::string what = sink_error_text;
    if (is_root && outcome[3] == tasks_failed) {
        error.emplace(summary);
        what = error->what();
    }
    boost::mpi::broadcast(ex, what, options.root); // the same what() on every rank
    if (sink_error) {
        std::rethrow_exception(sink_error); // on the root, after every worker has stopped
    }
    if (error) {
        throw execution_error(std::move(summary)); // as *error: the root's, with its failures
    }
    throw execution_error(what, std::move(summary));
}

} // namespace detail

} // namespace rankpool
