#include "measure.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace pwlg {

namespace {

const char* const vocab[] = {"the",    "app",    "page",     "login",   "button", "export",  "report", "dashboard",
                             "sync",   "mobile", "search",   "invoice", "user",   "team",    "settings", "email",
                             "chart",  "filter", "upload",   "api",     "error",  "timeout", "feature", "request",
                             "would",  "like",   "please",   "add",     "could",  "why",     "does",   "how",
                             "can",    "i",      "when",     "it",      "after",  "update",  "version", "data",
                             "customer", "order"};
const char* const spice[] = {"good", "great", "love", "thanks", "bad", "broken", "slow", "crash", "urgent", "asap",
                             "critical", "outage"};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double ticks() {
  static const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  return hz > 0 ? hz : 100.0;
}

}  // namespace

std::vector<std::string> make_texts(long count) {
  std::uint32_t seed = 12345;
  auto rnd = [&] {
    seed = seed * 1103515245u + 12345u;
    return seed / 4294967296.0;
  };
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i) {
    std::string text;
    const int len = 12 + static_cast<int>(std::floor(rnd() * 20));
    for (int j = 0; j < len; ++j) {
      if (j) text += ' ';
      if (rnd() < 0.12) text += spice[static_cast<int>(std::floor(rnd() * std::size(spice)))];
      else text += vocab[static_cast<int>(std::floor(rnd() * std::size(vocab)))];
    }
    text += rnd() < 0.2 ? "!!" : ".";
    text += " #" + std::to_string(i);
    out.push_back(std::move(text));
  }
  return out;
}

double percentile(std::vector<double> values, double p) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size())) - 1;
  const auto k = static_cast<std::size_t>(std::clamp(rank, 0.0, static_cast<double>(values.size() - 1)));
  return std::round(values[k] * 100.0) / 100.0;
}

cpu_snapshot take_cpu_snapshot(const std::vector<watched_pid>& pids) {
  cpu_snapshot s;
  std::istringstream stat(read_file("/proc/stat"));
  std::string cpu;
  double v[8] = {};
  stat >> cpu;
  for (double& x : v) stat >> x;
  double total = 0;
  for (double x : v) total += x;
  s.system_total = total / ticks();
  s.system_busy = (total - v[3] - v[4]) / ticks();
  for (const auto& w : pids) {
    const std::string st = read_file("/proc/" + std::to_string(w.pid) + "/stat");
    const auto close = st.rfind(')');
    if (close == std::string::npos) {
      s.processes[w.name] = std::nan("");
      continue;
    }
    std::istringstream f(st.substr(close + 2));
    std::string field;
    double sum = 0;
    for (int k = 0; k < 15 && f >> field; ++k)
      if (k >= 11) sum += std::stod(field);  // utime stime cutime cstime
    s.processes[w.name] = sum / ticks();
  }
  return s;
}

double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double peak_rss_mb(int pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

}  // namespace pwlg
