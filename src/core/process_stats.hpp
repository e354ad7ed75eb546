// This process's resource use, read from /proc (Linux): the figures of the
// standard Prometheus process_* metrics.
#pragma once

#include <cstdint>
#include <optional>

namespace pw::core {

struct process_stats {
  double cpu_seconds = 0;          // user + system
  std::uint64_t resident_bytes = 0;
  std::uint64_t virtual_bytes = 0;
  std::uint64_t open_fds = 0;
  std::uint64_t max_fds = 0;
  std::uint64_t threads = 0;
  double start_time_seconds = 0;   // since the epoch
};

// nullopt when /proc cannot be read.
std::optional<process_stats> read_process_stats();

}  // namespace pw::core
