/* hello_ref: the C MPI hello world, the yardstick for whole-process start-up cost.
 * MPI_Init, rank and size, one line from rank 0, MPI_Finalize: what any MPI program pays before
 * and after its work, to compare with `mpirun ... rankpool squares` on a tiny N.
 */
#include <stdio.h>

#include <mpi.h>

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0;
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        printf("hello_ref: rank %d of %d ranks\n", rank, size);
    }
    MPI_Finalize();
    return 0;
}
