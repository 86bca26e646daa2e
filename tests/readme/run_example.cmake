# Runs the README's library example at 2 ranks: it must exit 0 and print the line the README
# says it prints (any time).
# cmake -DEXAMPLE=program -DMPIEXEC=mpiexec [-DFLAGS=flags] -P run_example.cmake
execute_process(COMMAND ${MPIEXEC} -n 2 ${FLAGS} ${EXAMPLE}
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 50)
message("${out}${err}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "the example exited with ${code}")
endif()
set(expected "squares\\[99\\] = 9801, halves\\[0\\] = 1.5, sum = 328350 in [0-9.]+ s, 100 tasks, "
             "last 49.5, 15 chars\n")
string(CONCAT expected ${expected})
if(NOT out MATCHES "^${expected}$")
  message(FATAL_ERROR "the example printed something other than the README says")
endif()
