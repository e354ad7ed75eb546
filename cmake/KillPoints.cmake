# Crash-test kill points (src/core/kill_point.hpp, tests/crash/): compiled in
# only by this test-only option. A build with it behaves exactly like one
# without until PW_KILL_POINT is set in the environment.
option(PIPEWRIGHT_KILL_POINTS "Compile the crash-test kill points in (test builds only)" OFF)
if(PIPEWRIGHT_KILL_POINTS)
  add_compile_definitions(PW_KILL_POINTS=1)
  message(STATUS "Pipewright: crash-test kill points compiled in")
endif()
