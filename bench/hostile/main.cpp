// pw-hostile: see hostile.hpp. Prints a summary and writes --out JSON.
//   pw-hostile --port P --pid PID --secret S --admin-token T [--baseline 20 --attack 40 --rate 100 --idle 5000 ...]
#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <map>
#include <limits>
#include <iostream>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "hostile.hpp"
#include "measure.hpp"
#include "run.hpp"

namespace pwh {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

std::string token_for(const options& o, const std::string& sub) { return pwlg::make_jwt(o.secret, sub, 86400); }

namespace {

long proc_field_kb(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

long open_fds(int pid) {
  long n = 0;
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

// CPU used so far, for a phase's share: the server's (utime + stime of
// /proc/PID/stat), this process's (the attackers and the ordinary client) and
// the machine's idle time (/proc/stat), all in seconds.
struct cpu_mark {
  clock::time_point at = clock::now();
  double server_s = 0, self_s = 0, machine_idle_s = 0;
};

cpu_mark cpu_now(int pid) {
  cpu_mark m;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));  // the command name may hold spaces
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; fields >> f; ++i) {
      if (i == 14) utime = std::stoull(f);
      if (i == 15) {
        stime = std::stoull(f);
        break;
      }
    }
    m.server_s = static_cast<double>(utime + stime) / tick;
  }
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  m.self_s = static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
             static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  unsigned long long user = 0, nice = 0, sys = 0, idle = 0, iowait = 0;
  stat >> cpu >> user >> nice >> sys >> idle >> iowait;
  m.machine_idle_s = static_cast<double>(idle + iowait) / tick;
  return m;
}

// Percent of one core each used between two marks.
boost::json::object cpu_share(const cpu_mark& a, const cpu_mark& b) {
  const double wall = std::chrono::duration<double>(b.at - a.at).count();
  auto pct = [&](double x, double y) { return wall > 0 ? 100.0 * (y - x) / wall : 0.0; };
  return {{"server_pct", pct(a.server_s, b.server_s)},
          {"pw_hostile_pct", pct(a.self_s, b.self_s)},
          {"machine_idle_pct", pct(a.machine_idle_s, b.machine_idle_s)}};
}

// The ordinary client: POST /api/v1/items at a steady rate on one keep-alive
// connection, each latency into the current phase.
struct ordinary {
  std::atomic<int> phase{0};  // 0 baseline, 1 ramp-up, 2 attack, 3 done
  std::vector<double> ms[3];
  std::map<std::string, int> errors[3];
  std::vector<std::pair<double, double>> timeline;  // (s since start, ms) of every answered POST
  clock::time_point start = clock::now();
  std::mutex mu;

  void run(const options& o) {
    asio::io_context ioc;
    beast::tcp_stream s(ioc);
    auto connect = [&] {
      beast::error_code ec;
      s.close();
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), o.port), ec);
      return !ec;
    };
    connect();
    const auto token = token_for(o, "ordinary");
    const auto gap = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / o.rate));
    auto next = clock::now();
    beast::flat_buffer buf;
    for (int i = 0; phase < 3; ++i) {
      next += gap;
      std::this_thread::sleep_until(next);
      http::request<http::string_body> req{http::verb::post, "/api/v1/items", 11};
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::authorization, "Bearer " + token);
      req.set(http::field::content_type, "application/json");
      req.body() = "{\"workspace\":\"ordinary\",\"text\":\"Checkout fails with a 500 error, case " + std::to_string(i) + "\"}";
      req.prepare_payload();
      const int p = std::min(phase.load(), 2);
      const auto t0 = clock::now();
      beast::error_code ec;
      http::write(s, req, ec);
      http::response<http::string_body> res;
      if (!ec) http::read(s, buf, res, ec);
      const double took = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
      std::lock_guard lock(mu);
      if (ec) {
        ++errors[p][ec.message()];
        connect();
      } else if (res.result_int() != 201) {
        ++errors[p][std::to_string(res.result_int())];
      } else {
        ms[p].push_back(took);
        timeline.emplace_back(std::chrono::duration<double>(t0 - start).count(), took);
      }
    }
  }
};

boost::json::object latency(std::vector<double> v, const std::map<std::string, int>& errors) {
  boost::json::object o{{"count", v.size()},
                        {"p50_ms", pwlg::percentile(v, 50)},
                        {"p95_ms", pwlg::percentile(v, 95)},
                        {"p99_ms", pwlg::percentile(v, 99)},
                        {"max_ms", v.empty() ? 0.0 : *std::max_element(v.begin(), v.end())}};
  boost::json::object e;
  for (const auto& [k, n] : errors) e[k] = n;
  o["errors"] = e;
  return o;
}

std::string get_metrics(const options& o) {
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  beast::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), o.port), ec);
  if (ec) return {};
  http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, "Bearer " + o.admin_token);
  http::write(s, req, ec);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  if (!ec) http::read(s, buf, res, ec);
  return ec ? std::string() : res.body();
}

// The lines of the exposition about sockets, connections and HTTP refusals.
boost::json::array interesting(const std::string& exposition) {
  boost::json::array out;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("pw_ws_", 0) == 0 || line.rfind("pw_http_connections", 0) == 0 ||
        (line.rfind("pw_http_requests_total", 0) == 0 &&
         (line.find("code=\"4") != std::string::npos || line.find("status=\"4") != std::string::npos)))
      out.push_back(boost::json::string(line));
  }
  return out;
}

// The server's own view of POST /api/v1/items (pw_http_request_duration_seconds:
// from the request read to the answer handed to the socket) as cumulative
// bucket counts by upper bound, from one exposition.
std::map<double, double> post_buckets(const std::string& exposition) {
  std::map<double, double> out;
  const std::string prefix = "pw_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/items\",le=\"";
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto end = line.find('"', prefix.size());
    const auto le = line.substr(prefix.size(), end - prefix.size());
    const double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
    out[bound] = std::stod(line.substr(line.rfind(' ') + 1));
  }
  return out;
}

// The bucket bound (ms) under which 99 % of the requests between two
// expositions were answered, server-side; 0 when none were.
double server_p99_ms(const std::map<double, double>& from, const std::map<double, double>& to) {
  const double total = to.empty() ? 0 : to.rbegin()->second - (from.empty() ? 0 : from.rbegin()->second);
  if (total <= 0) return 0;
  for (const auto& [bound, n] : to) {
    const auto before = from.find(bound);
    if (n - (before == from.end() ? 0 : before->second) >= 0.99 * total) return bound * 1000;
  }
  return 0;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") o.port = static_cast<std::uint16_t>(std::stoi(v));
    else if (k == "--pid") o.pid = std::stoi(v);
    else if (k == "--secret") o.secret = v;
    else if (k == "--admin-token") o.admin_token = v;
    else if (k == "--baseline") o.baseline_s = std::stoi(v);
    else if (k == "--attack") o.attack_s = std::stoi(v);
    else if (k == "--rate") o.rate = std::stod(v);
    else if (k == "--idle") o.idle = std::stoi(v);
    else if (k == "--slow") o.slow = std::stoi(v);
    else if (k == "--slowloris") o.slowloris = std::stoi(v);
    else if (k == "--flood") o.flood = std::stoi(v);
    else if (k == "--frames") o.frames = std::stoi(v);
    else if (k == "--excess") o.excess = std::stoi(v);
    else if (k == "--attacker-nice") o.attacker_nice = std::stoi(v);
    else if (k == "--client-nice") o.client_nice = std::stoi(v);
    else if (k == "--out") o.out = v;
    else throw std::runtime_error("unknown option " + k);
  }
  if (!o.port || !o.pid || o.secret.empty()) throw std::runtime_error("--port, --pid and --secret are required");
  return o;
}

}  // namespace

}  // namespace pwh

int main(int argc, char** argv) {
  using namespace pwh;
  options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pw-hostile: " << e.what() << "\n";
    return 2;
  }
  ordinary client;
  std::thread ord([&] {
    if (o.client_nice != 0) ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), o.client_nice);
    client.run(o);
  });
  struct rss_sample {
    double t;
    int phase;
    long rss_kb, fds;
  };
  std::vector<rss_sample> samples;
  const auto t0 = clock::now();
  auto sample = [&](int phase) {
    samples.push_back({std::chrono::duration<double>(clock::now() - t0).count(), phase, proc_field_kb(o.pid, "VmRSS"), open_fds(o.pid)});
  };
  auto wait = [&](int seconds, int phase) {
    for (int s = 0; s < seconds; ++s) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      sample(phase);
    }
  };
  std::cout << "pw-hostile: baseline " << o.baseline_s << " s at " << o.rate << " POST/s" << std::endl;
  const auto server_start = post_buckets(get_metrics(o));
  const auto cpu_start = cpu_now(o.pid);
  wait(o.baseline_s, 0);
  const auto cpu_baseline = cpu_now(o.pid);
  const auto server_baseline = post_buckets(get_metrics(o));

  boost::asio::io_context ioc;
  tally t;
  std::atomic<bool> stop{false};
  auto guard = boost::asio::make_work_guard(ioc);
  start_attacks(ioc, o, t, stop);
  std::thread attackers([&] {
    // Hostile clients are on other machines in real life; here they share
    // the server's 2 cores. A nice value lets them have only what the server
    // leaves (the ordinary client's thread keeps its priority).
    if (o.attacker_nice != 0) ::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), o.attacker_nice);
    ioc.run();
  });
  client.phase = 1;
  std::cout << "pw-hostile: hostile clients ramping up (10 s)" << std::endl;
  wait(10, 1);
  client.phase = 2;
  std::cout << "pw-hostile: measuring under attack " << o.attack_s << " s" << std::endl;
  const auto server_attack_start = post_buckets(get_metrics(o));
  const auto cpu_attack_start = cpu_now(o.pid);
  wait(o.attack_s, 2);
  const auto cpu_attack_end = cpu_now(o.pid);
  const auto exposition = get_metrics(o);
  const auto server_attack_end = post_buckets(exposition);
  client.phase = 3;
  stop = true;
  ord.join();
  ioc.stop();
  attackers.join();
  const auto counts = t.copy();

  auto phase_max = [&](int phase, auto field) {
    long m = 0;
    for (const auto& s : samples)
      if (s.phase == phase) m = std::max(m, field(s));
    return m;
  };
  boost::json::object report;
  report["options"] = {{"rate", o.rate}, {"idle", o.idle}, {"slow", o.slow}, {"slowloris", o.slowloris}, {"flood", o.flood},
                       {"frames", o.frames}, {"excess", o.excess}, {"baseline_s", o.baseline_s}, {"attack_s", o.attack_s}};
  report["baseline"] = latency(client.ms[0], client.errors[0]);
  report["attack"] = latency(client.ms[2], client.errors[2]);
  const double p99_base = report["baseline"].as_object()["p99_ms"].as_double();
  const double p99_attack = report["attack"].as_object()["p99_ms"].as_double();
  report["p99_ratio"] = p99_base > 0 ? p99_attack / p99_base : 0;
  // What the server itself took (its histogram's bucket bounds: 0.5, 1, 2.5, 5, 10 ms...).
  report["server_p99_ms_at_most"] = {{"baseline", server_p99_ms(server_start, server_baseline)},
                                     {"attack", server_p99_ms(server_attack_start, server_attack_end)}};
  // Percent of one core (the machine has 2: its idle is out of 200).
  report["cpu"] = {{"baseline", cpu_share(cpu_start, cpu_baseline)}, {"attack", cpu_share(cpu_attack_start, cpu_attack_end)}};
  auto rss = [](const rss_sample& s) { return s.rss_kb; };
  auto fds = [](const rss_sample& s) { return s.fds; };
  report["rss_mb"] = {{"baseline_max", phase_max(0, rss) / 1024.0}, {"attack_max", std::max(phase_max(1, rss), phase_max(2, rss)) / 1024.0},
                      {"attack_end", samples.empty() ? 0.0 : samples.back().rss_kb / 1024.0}};
  report["fds"] = {{"baseline_max", phase_max(0, fds)}, {"attack_max", std::max(phase_max(1, fds), phase_max(2, fds))}};
  boost::json::object hostile;
  for (const auto& [k, n] : counts) hostile[k] = n;
  report["hostile"] = hostile;
  report["server_metrics"] = interesting(exposition);
  boost::json::array series;
  for (const auto& s : samples) series.push_back({{"t", s.t}, {"phase", s.phase}, {"rss_kb", s.rss_kb}, {"fds", s.fds}});
  report["samples"] = series;
  // Each second of the ordinary client: how many answers, the slowest, and
  // how many took over twice the baseline's p99 (when slow answers bunch
  // into seconds, something periodic causes them).
  struct second {
    int n = 0, slow = 0;
    double max = 0;
  };
  std::map<int, second> seconds;
  for (const auto& [t, took] : client.timeline) {
    auto& sec = seconds[static_cast<int>(t)];
    ++sec.n;
    sec.max = std::max(sec.max, took);
    if (took > 2 * p99_base) ++sec.slow;
  }
  boost::json::array timeline;
  std::vector<std::pair<double, int>> worst;
  for (const auto& [t, sec] : seconds) {
    timeline.push_back({{"t", t}, {"n", sec.n}, {"max_ms", sec.max}, {"over_2x_baseline_p99", sec.slow}});
    worst.emplace_back(sec.max, t);
  }
  report["timeline"] = timeline;
  std::sort(worst.rbegin(), worst.rend());
  if (!o.out.empty()) std::ofstream(o.out) << boost::json::serialize(report) << "\n";

  std::cout << "ordinary POST p50/p99 ms: baseline " << report["baseline"].as_object()["p50_ms"] << " / " << p99_base
            << ", under attack " << report["attack"].as_object()["p50_ms"] << " / " << p99_attack << " (ratio "
            << report["p99_ratio"] << ")\n";
  std::cout << "server-side POST p99 at most (histogram bucket) ms: baseline " << report["server_p99_ms_at_most"].as_object()["baseline"]
            << ", under attack " << report["server_p99_ms_at_most"].as_object()["attack"] << "\n";
  auto cpu_line = [&](const char* phase) {
    auto& c = report["cpu"].as_object()[phase].as_object();
    std::cout << " " << phase << " server " << static_cast<int>(c["server_pct"].as_double()) << " %, pw-hostile "
              << static_cast<int>(c["pw_hostile_pct"].as_double()) << " %, machine idle "
              << static_cast<int>(c["machine_idle_pct"].as_double()) << " %;";
  };
  std::cout << "CPU (percent of one core):";
  cpu_line("baseline");
  cpu_line("attack");
  std::cout << "\n";
  std::cout << "server RSS MB: baseline max " << report["rss_mb"].as_object()["baseline_max"] << ", under attack max "
            << report["rss_mb"].as_object()["attack_max"] << "; open files max " << report["fds"].as_object()["attack_max"] << "\n";
  std::cout << "slowest seconds (s since start: max ms, answers over 2x the baseline p99):";
  for (std::size_t i = 0; i < std::min<std::size_t>(5, worst.size()); ++i)
    std::cout << " " << worst[i].second << ": " << worst[i].first << ", " << seconds[worst[i].second].slow << ";";
  std::cout << "\n";
  for (const auto& [k, n] : counts) std::cout << "  " << k << " " << n << "\n";
  return 0;
}
