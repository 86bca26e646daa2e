#!/usr/bin/env bash
# Installs what rankpool builds and runs with, from Debian 12's packages, what the checks use
# (clang-format, clang-tidy; g++ brings the sanitizers' runtimes), what the cluster tests run on
# (scripts/testbed: iproute2 for the test hosts, munge and Slurm's daemons and clients for the
# test cluster, python3 to read the JSON reports), what the scaling scripts plot and fit with
# (python3-numpy, python3-matplotlib; numpy also loads the .npy files that `--output` writes in
# the tests), and GNU parallel, which scripts/bench-run.sh compares `rankpool run` with.
set -euo pipefail
packages=(openmpi-bin libopenmpi-dev libboost-mpi-dev libboost-serialization-dev doctest-dev
          libcli11-dev nlohmann-json3-dev cmake g++ make clang-format clang-tidy
          iproute2 munge slurm-wlm slurmctld slurmd slurm-client python3
          python3-numpy python3-matplotlib parallel)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
