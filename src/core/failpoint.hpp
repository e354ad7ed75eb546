// Crash points for tests: with PIPEWRIGHT_FAILPOINT=<name> in its
// environment, the process kills itself with SIGKILL the first time it
// reaches failpoint(<name>), exactly as `kill -9` at that instant would
// (tests/integration/it_batch_crash.cpp). Without the variable it costs a
// comparison with an empty string.
#pragma once

#include <string_view>

namespace pw::core {

void failpoint(std::string_view name);

}  // namespace pw::core
