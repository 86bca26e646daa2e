/* dispatch_ref TASKS [single|funneled [recv|poll]]: the plain C MPI master/worker loop for
 * zero-work tasks, the yardstick for a dynamic executor's dispatch round trip.
 *
 * Rank 0 is the master only and does no tasks. It sends each worker one task index (MPI_Send,
 * tag TASK), then repeatedly receives a result from any worker (MPI_Recv, MPI_ANY_SOURCE; the
 * result is the index as a double) and sends that worker the next index, or tag STOP when none
 * is left. The clock runs on the master from a barrier to the last result received. MPI starts
 * at the thread level given (default single, as MPI_Init): Open MPI 4.1 takes locks above
 * single, so "funneled" is the like-for-like yardstick for a program with threads beside MPI.
 * With "poll" as the third argument both sides wait as rankpool's executor does, on posted
 * receives polled with MPI_Test (workers) and MPI_Testany (master) instead of blocking in
 * MPI_Recv: the yardstick that separates what polling costs in Open MPI from what the executor
 * adds. Prints one JSON line on rank 0; exits 2 on bad input or with fewer than 2 ranks, 1 if the
 * results do not add up to 0 + 1 + ... + (TASKS-1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

enum { TAG_TASK = 1, TAG_STOP = 2, TAG_RESULT = 3 };

static int usage(int rank, const char* msg) {
    if (rank == 0) {
        fprintf(stderr,
                "dispatch_ref: error: %s\n"
                "usage: mpirun -np R dispatch_ref TASKS [single|funneled [recv|poll]]  (R >= 2)\n",
                msg);
    }
    MPI_Finalize();
    return 2;
}

/* Sends worker w its next task, or the stop when none is left; with `poll`, posts the receive
 * of its result (into results[w], request requests[w]) after the send. Returns 1 for a task. */
static int give(int w, uint64_t* next, uint64_t tasks, int poll, double* results,
                MPI_Request* requests) {
    if (*next >= tasks) {
        MPI_Send(next, 0, MPI_UINT64_T, w, TAG_STOP, MPI_COMM_WORLD);
        return 0;
    }
    MPI_Send(next, 1, MPI_UINT64_T, w, TAG_TASK, MPI_COMM_WORLD);
    ++*next;
    if (poll) {
        MPI_Irecv(&results[w], 1, MPI_DOUBLE, w, TAG_RESULT, MPI_COMM_WORLD, &requests[w]);
    }
    return 1;
}

/* The master: hands out tasks [0, tasks) one at a time; returns the sum of the results, or -1
 * when out of memory. */
static double master(uint64_t tasks, int size, int poll) {
    double* results = calloc((size_t)size, sizeof *results);
    MPI_Request* requests = malloc((size_t)size * sizeof *requests);
    if (results == NULL || requests == NULL) {
        free(results);
        free(requests);
        return -1;
    }
    for (int w = 0; w < size; ++w) {
        requests[w] = MPI_REQUEST_NULL; /* rank 0's stays null: Testany skips it */
    }
    uint64_t next = 0;
    int busy = 0;
    for (int w = 1; w < size; ++w) {
        busy += give(w, &next, tasks, poll, results, requests);
    }
    double sum = 0;
    while (busy > 0) {
        int from = 0;
        if (poll) {
            int flag = 0;
            MPI_Testany(size, requests, &from, &flag, MPI_STATUS_IGNORE);
            if (flag == 0 || from == MPI_UNDEFINED) {
                continue;
            }
            sum += results[from];
        } else {
            double result = 0;
            MPI_Status st;
            MPI_Recv(&result, 1, MPI_DOUBLE, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &st);
            sum += result;
            from = st.MPI_SOURCE;
        }
        if (give(from, &next, tasks, poll, results, requests) == 0) {
            --busy;
        }
    }
    free(results);
    free(requests);
    return sum;
}

/* A worker: answers each task with its index as a double until told to stop. */
static void worker(int poll) {
    for (;;) {
        uint64_t task = 0;
        MPI_Status st;
        if (poll) {
            MPI_Request request;
            int done = 0;
            MPI_Irecv(&task, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &request);
            while (done == 0) {
                MPI_Test(&request, &done, &st);
            }
        } else {
            MPI_Recv(&task, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        }
        if (st.MPI_TAG == TAG_STOP) {
            return;
        }
        const double result = (double)task;
        MPI_Send(&result, 1, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
}

int main(int argc, char** argv) {
    /* The thread level is read before MPI starts; a bad one is refused once ranks are known. */
    const char* level_name = argc >= 3 ? argv[2] : "single";
    const char* wait_name = argc == 4 ? argv[3] : "recv";
    const int wait_ok = strcmp(wait_name, "recv") == 0 || strcmp(wait_name, "poll") == 0;
    const int poll = strcmp(wait_name, "poll") == 0;
    const int level_ok = strcmp(level_name, "single") == 0 || strcmp(level_name, "funneled") == 0;
    const int level = strcmp(level_name, "funneled") == 0 ? MPI_THREAD_FUNNELED : MPI_THREAD_SINGLE;
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(&argc, &argv, level, &provided);
    int rank = 0;
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    if (argc < 2 || argc > 4) {
        return usage(rank, "expected TASKS [single|funneled [recv|poll]]");
    }
    if (!level_ok) {
        return usage(rank, "the thread level must be single or funneled");
    }
    if (!wait_ok) {
        return usage(rank, "the wait must be recv or poll");
    }
    char* end = NULL;
    errno = 0;
    const unsigned long long parsed = strtoull(argv[1], &end, 10);
    /* Results are summed in a double: keep the sum exact (below 2^53). */
    if (errno != 0 || end == argv[1] || *end != '\0' || argv[1][0] == '-' ||
        parsed > 100000000ull) {
        return usage(rank, "TASKS must be a whole number in [0, 10^8]");
    }
    if (size < 2) {
        return usage(rank, "needs at least 2 ranks: rank 0 only dispatches");
    }
    const uint64_t tasks = (uint64_t)parsed;

    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    if (rank == 0) {
        const double sum = master(tasks, size, poll);
        const double seconds = MPI_Wtime() - start;
        const double expected = tasks == 0 ? 0.0 : (double)tasks * (double)(tasks - 1) / 2.0;
        const int ok = sum == expected;
        printf("{\"command\":\"dispatch_ref\",\"tasks\":%" PRIu64 ",\"ranks\":%d,\"workers\":%d,"
               "\"thread_level\":\"%s\",\"wait\":\"%s\",\"ok\":%s,\"seconds\":%.9f,"
               "\"us_per_task\":%.3f}\n",
               tasks, size, size - 1, provided == MPI_THREAD_SINGLE ? "single" : "funneled",
               wait_name, ok ? "true" : "false", seconds,
               tasks == 0 ? 0.0 : seconds * 1e6 / (double)tasks);
        fflush(stdout);
        if (!ok) {
            fprintf(stderr, "dispatch_ref: results do not add up\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    } else {
        worker(poll);
    }
    MPI_Finalize();
    return 0;
}
