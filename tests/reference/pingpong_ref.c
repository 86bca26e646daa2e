/* pingpong_ref [MAX_BYTES]: the plain C MPI ping-pong that measures point-to-point latency and
 * bandwidth for `scripts/scaling model`.
 *
 * Ranks 0 and 1 bounce one message back and forth (MPI_Send, then MPI_Recv of the echo) for each
 * size 0, 1, 4, 16, ... up to MAX_BYTES (default 16 MiB), after one untimed round trip; a size
 * is timed in 3 trials of enough round trips to move about 64 MiB (at least 10, at most 5000)
 * and the best trial counts. The one-way time is half a round trip. Other ranks only wait.
 * Rank 0 checks the last echo of each size byte for byte and prints one JSON line; exits 2 on
 * bad input or with fewer than 2 ranks, 1 if an echo came back wrong.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

enum { TAG = 1, TRIALS = 3, MAX_SIZES = 40 };

static int usage(int rank, const char* msg) {
    if (rank == 0) {
        fprintf(stderr,
                "pingpong_ref: error: %s\nusage: mpirun -np 2 pingpong_ref [MAX_BYTES]  "
                "(1 <= MAX_BYTES <= 2^30)\n",
                msg);
    }
    MPI_Finalize();
    return 2;
}

/* Round trips for a message of `bytes`: about 64 MiB moved, between 10 and 5000. */
static int iterations_for(long bytes) {
    const long target = 64L << 20;
    long it = bytes > 0 ? target / bytes : 5000;
    if (it < 10) {
        it = 10;
    }
    if (it > 5000) {
        it = 5000;
    }
    return (int)it;
}

static unsigned char pattern(long i, long bytes) {
    return (unsigned char)((i * 7 + bytes) & 0xff);
}

/* `iterations` round trips of `bytes` between ranks 0 and 1; seconds on rank 0. */
static double bounce(int rank, unsigned char* buf, long bytes, int iterations) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    for (int i = 0; i < iterations; ++i) {
        if (rank == 0) {
            MPI_Send(buf, (int)bytes, MPI_BYTE, 1, TAG, MPI_COMM_WORLD);
            MPI_Recv(buf, (int)bytes, MPI_BYTE, 1, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (rank == 1) {
            MPI_Recv(buf, (int)bytes, MPI_BYTE, 0, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, (int)bytes, MPI_BYTE, 0, TAG, MPI_COMM_WORLD);
        }
    }
    return MPI_Wtime() - start;
}

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    long max_bytes = 16L << 20;
    if (argc > 2) {
        return usage(rank, "expected at most one argument");
    }
    if (argc == 2) {
        char* end = NULL;
        errno = 0;
        max_bytes = strtol(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0' || max_bytes < 1 ||
            max_bytes > (1L << 30)) {
            return usage(rank, "MAX_BYTES must be a whole number in [1, 2^30]");
        }
    }
    if (size < 2) {
        return usage(rank, "needs at least 2 ranks: 0 and 1 bounce the message");
    }

    unsigned char* buf = malloc((size_t)max_bytes);
    if (buf == NULL) {
        fprintf(stderr, "pingpong_ref: rank %d cannot allocate %ld bytes\n", rank, max_bytes);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    long sizes[MAX_SIZES];
    double best[MAX_SIZES];
    int iters[MAX_SIZES];
    int count = 0;
    sizes[count++] = 0;
    for (long b = 1; b <= max_bytes && count < MAX_SIZES; b *= 4) {
        sizes[count++] = b;
    }

    int ok = 1;
    for (int s = 0; s < count; ++s) {
        const long bytes = sizes[s];
        if (rank == 0) {
            for (long i = 0; i < bytes; ++i) {
                buf[i] = pattern(i, bytes);
            }
        }
        bounce(rank, buf, bytes, 1); /* untimed: connections, page faults */
        iters[s] = iterations_for(bytes);
        best[s] = 0;
        for (int t = 0; t < TRIALS; ++t) {
            const double one_way = bounce(rank, buf, bytes, iters[s]) / (2.0 * iters[s]);
            if (t == 0 || one_way < best[s]) {
                best[s] = one_way;
            }
        }
        if (rank == 0) {
            for (long i = 0; i < bytes; ++i) {
                ok = ok && buf[i] == pattern(i, bytes);
            }
        }
    }

    if (rank == 0) {
        printf("{\"command\":\"pingpong_ref\",\"ranks\":%d,\"ok\":%s,\"sizes\":[", size,
               ok ? "true" : "false");
        for (int s = 0; s < count; ++s) {
            printf("%s%ld", s ? "," : "", sizes[s]);
        }
        printf("],\"round_trips\":[");
        for (int s = 0; s < count; ++s) {
            printf("%s%d", s ? "," : "", iters[s]);
        }
        printf("],\"one_way_seconds\":[");
        for (int s = 0; s < count; ++s) {
            printf("%s%.9e", s ? "," : "", best[s]);
        }
        printf("]}\n");
        fflush(stdout);
        if (!ok) {
            fprintf(stderr, "pingpong_ref: an echo came back wrong\n");
        }
    }
    /* Every rank exits with rank 0's verdict. */
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(buf);
    MPI_Finalize();
    return ok ? 0 : 1;
}
