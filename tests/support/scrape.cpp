#include "scrape.hpp"

#include <cstdio>
#include <sstream>

#include <sys/wait.h>

#include <catch2/catch.hpp>

namespace pwtest {

std::pair<int, std::string> run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[4096];
  while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string metrics_text(http& c, const std::string& admin) {
  auto r = c.get("/metrics", admin);
  INFO(r.body.substr(0, 300));
  REQUIRE(r.status == 200);
  CHECK(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  return r.body;
}

std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

double at(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  INFO("sample " << key);
  REQUIRE(it != m.end());
  return it->second;
}

double sum_of(const std::map<std::string, double>& m, const std::string& name, const std::vector<std::string>& having) {
  double total = 0;
  for (const auto& [key, v] : m) {
    if (key.compare(0, name.size(), name) != 0 || (key.size() > name.size() && key[name.size()] != '{')) continue;
    bool all = true;
    for (const auto& h : having) all = all && key.find(h) != std::string::npos;
    if (all) total += v;
  }
  return total;
}

}  // namespace pwtest
