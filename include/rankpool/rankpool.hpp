// rankpool in one include: every public header of the library.
#pragma once

#include "rankpool/buffer.hpp"
#include "rankpool/checksum.hpp"
#include "rankpool/errors.hpp"
#include "rankpool/executor.hpp"
#include "rankpool/map.hpp"
#include "rankpool/ordering.hpp"
#include "rankpool/partition.hpp"
#include "rankpool/preflight.hpp"
#include "rankpool/probe.hpp"
#include "rankpool/run_info.hpp"
#include "rankpool/schedule.hpp"
#include "rankpool/spawn.hpp"
#include "rankpool/stop_token.hpp"
#include "rankpool/timing.hpp"
#include "rankpool/wait.hpp"
