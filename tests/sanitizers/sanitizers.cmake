# Options for tests run under a sanitizer (RANKPOOL_SANITIZE): rankpool_sanitizer_environment()
# gives every test of the calling directory the sanitizers' environment. mpiexec passes it on to
# the ranks it starts and they to the workers they spawn, so one setting covers every process
# (mpiexec itself is not instrumented and ignores it).
set(_rankpool_sanitizers ${CMAKE_CURRENT_LIST_DIR})
set(RANKPOOL_SANITIZER_ENVIRONMENT
  # Leaks are checked at exit. fast_unwind_on_malloc=0: Open MPI is built without frame
  # pointers, and only whole stacks reach the Open MPI functions lsan.supp names. ODR checking
  # stays on (the default): only rankpool's code is instrumented, Open MPI defines no global
  # twice in it, and the suite runs clean; detect_odr_violation=0 is not needed.
  "ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1"
  "LSAN_OPTIONS=suppressions=${_rankpool_sanitizers}/lsan.supp:print_suppressions=0"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
  "TSAN_OPTIONS=suppressions=${_rankpool_sanitizers}/tsan.supp:halt_on_error=1:second_deadlock_stack=1")

function(rankpool_sanitizer_environment)
  if(NOT RANKPOOL_SANITIZE)
    return()
  endif()
  get_property(tests DIRECTORY PROPERTY TESTS)
  if(tests)
    set_property(TEST ${tests} APPEND PROPERTY ENVIRONMENT ${RANKPOOL_SANITIZER_ENVIRONMENT})
    # A report fails the test even where the exit code would not (PASS_REGULAR_EXPRESSION
    # tests, a rank's report after another rank's expected failure).
    set_property(TEST ${tests} APPEND PROPERTY FAIL_REGULAR_EXPRESSION
      "(ERROR|WARNING): [A-Za-z]+Sanitizer" "runtime error: ")
  endif()
endfunction()
