#!/usr/bin/env bash
# Installs what rankpool needs (Debian 12), builds it, and runs the tutorial's four examples:
#   mpirun -np 4 --oversubscribe build/rankpool demo [args...]
# Usage: scripts/demo.sh [--quick] [--json]      (arguments go to `rankpool demo`)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
if [ "$(id -u)" -eq 0 ]; then
  # Open MPI refuses to run as root unless told twice.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
echo "+ mpirun -np 4 --oversubscribe build/rankpool demo $*" >&2
exec mpirun -np 4 --oversubscribe build/rankpool demo "$@"
