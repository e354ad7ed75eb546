// pw-hostile: see hostile.hpp. Prints a summary and writes --out JSON.
//   pw-hostile --port P --pid PID --secret S --admin-token T [--baseline 20 --attack 40 --rate 100 --idle 5000 ...]
#include <dirent.h>

#include <fstream>
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

// The ordinary client: POST /api/v1/items at a steady rate on one keep-alive
// connection, each latency into the current phase.
struct ordinary {
  std::atomic<int> phase{0};  // 0 baseline, 1 ramp-up, 2 attack, 3 done
  std::vector<double> ms[3];
  std::map<std::string, int> errors[3];
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
  std::thread ord([&] { client.run(o); });
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
  wait(o.baseline_s, 0);

  boost::asio::io_context ioc;
  tally t;
  std::atomic<bool> stop{false};
  auto guard = boost::asio::make_work_guard(ioc);
  start_attacks(ioc, o, t, stop);
  std::thread attackers([&] { ioc.run(); });
  client.phase = 1;
  std::cout << "pw-hostile: hostile clients ramping up (10 s)" << std::endl;
  wait(10, 1);
  client.phase = 2;
  std::cout << "pw-hostile: measuring under attack " << o.attack_s << " s" << std::endl;
  wait(o.attack_s, 2);
  const auto exposition = get_metrics(o);
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
  if (!o.out.empty()) std::ofstream(o.out) << boost::json::serialize(report) << "\n";

  std::cout << "ordinary POST p50/p99 ms: baseline " << report["baseline"].as_object()["p50_ms"] << " / " << p99_base
            << ", under attack " << report["attack"].as_object()["p50_ms"] << " / " << p99_attack << " (ratio "
            << report["p99_ratio"] << ")\n";
  std::cout << "server RSS MB: baseline max " << report["rss_mb"].as_object()["baseline_max"] << ", under attack max "
            << report["rss_mb"].as_object()["attack_max"] << "; open files max " << report["fds"].as_object()["attack_max"] << "\n";
  for (const auto& [k, n] : counts) std::cout << "  " << k << " " << n << "\n";
  return 0;
}
