#include "core/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pw::core {

namespace {

// Seconds since the epoch at which the machine booted (btime in /proc/stat).
double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

std::uint64_t count_fds() {
  std::uint64_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    if (n > 0) --n;  // the directory stream's own descriptor
  }
  return n;
}

}  // namespace

std::optional<process_stats> read_process_stats() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces: fields resume after its ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  for (std::string x; rest >> x;) f.push_back(std::move(x));
  if (f.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  process_stats s;
  s.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;  // utime, stime (fields 14, 15)
  s.threads = std::stoull(f[17]);                                  // field 20
  s.start_time_seconds = boot_time() + std::stod(f[19]) / ticks;   // field 22
  s.virtual_bytes = std::stoull(f[20]);                            // field 23
  s.resident_bytes = static_cast<std::uint64_t>(std::stod(f[21]) * page);  // field 24, in pages
  s.open_fds = count_fds();
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) s.max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
  return s;
}

}  // namespace pw::core
