# rankpool_add_mpi_test(NAME SOURCES file... RANKS n... [TIMEOUT s])
# Builds one doctest program with rankpool's MPI test main and registers one ctest entry per rank
# count, NAME.<n>ranks, run as ${MPIEXEC_EXECUTABLE} -n <n> ... with a TIMEOUT so that a rank
# that fails and leaves the others inside a collective cannot hang the suite.

# Tests run 3 and 4 ranks on 2-core machines: Open MPI refuses that without --oversubscribe.
execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE _rankpool_mpiexec_version
  ERROR_QUIET)
if(_rankpool_mpiexec_version MATCHES "Open MPI|OpenRTE")
  set(RANKPOOL_MPIEXEC_OVERSUBSCRIBE --oversubscribe)
endif()

add_library(rankpool_mpi_test_main OBJECT ${CMAKE_CURRENT_LIST_DIR}/../mpi/mpi_test_main.cpp)
target_link_libraries(rankpool_mpi_test_main PUBLIC rankpool doctest::doctest)

function(rankpool_add_mpi_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;RANKS;LIBRARIES" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE rankpool_mpi_test_main ${ARG_LIBRARIES})
  rankpool_set_warnings(${name})
  foreach(n IN LISTS ARG_RANKS)
    add_test(NAME ${name}.${n}ranks
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${RANKPOOL_MPIEXEC_OVERSUBSCRIBE}
              ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${name}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${name}.${n}ranks PROPERTIES TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${n}
      LABELS mpi)
  endforeach()
endfunction()
