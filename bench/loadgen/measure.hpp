// What pw-loadgen measures besides its own timing: the same test texts as
// loadgen.js, percentiles, and CPU and memory of watched processes (Linux /proc).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "options.hpp"

namespace pwlg {

// The anchor loadgen's texts, bit for bit (same LCG, vocabulary and seed):
// item i is owned by user i % users and goes to workspace "w" + i % workspaces.
std::vector<std::string> make_texts(long count);

// loadgen.js's pct(): nearest rank over the non-NaN values, 2 decimals; NaN when empty.
double percentile(std::vector<double> values, double p);

struct cpu_snapshot {
  double system_busy = 0, system_total = 0;  // seconds over all CPUs
  std::map<std::string, double> processes;   // name -> utime+stime(+children) seconds
};
cpu_snapshot take_cpu_snapshot(const std::vector<watched_pid>& pids);
double own_cpu_seconds();
// VmHWM of a process in MB (0 when unknown).
double peak_rss_mb(int pid);

}  // namespace pwlg
