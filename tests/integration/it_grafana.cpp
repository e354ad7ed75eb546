// The Grafana dashboard (docs/grafana) and the alert rules
// (docs/prometheus) against a live node: their PromQL parses and names only
// metrics the node exposes.
#include <cctype>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "scrape.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

TEST_CASE("the Grafana dashboard and the alert rules use only metrics the node exposes, in PromQL promtool accepts") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto admin = make_token("ops", {"*"}, "admin");
  const auto user = make_token("uma", {"w1"});
  REQUIRE(wait_terminal(c, user, {submit(c, user, "w1", "one item")}, 10s));
  // Every family the node exposes (histograms also as _bucket, _sum, _count).
  std::set<std::string> exposed;
  {
    std::istringstream in(metrics_text(c, admin));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("# TYPE ", 0) != 0) continue;
      std::istringstream f(line.substr(7));
      std::string name, type;
      f >> name >> type;
      exposed.insert(name);
      if (type == "histogram")
        for (const char* suffix : {"_bucket", "_sum", "_count"}) exposed.insert(name + suffix);
    }
  }
  REQUIRE(exposed.size() > 50);
  auto metric_names = [](const std::string& expr) {
    std::set<std::string> out;
    for (std::size_t i = 0; i < expr.size(); ++i) {
      if (i > 0 && (std::isalnum(static_cast<unsigned char>(expr[i - 1])) || expr[i - 1] == '_')) continue;
      if (expr.compare(i, 3, "pw_") != 0 && expr.compare(i, 8, "process_") != 0) continue;
      auto j = i;
      while (j < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[j])) || expr[j] == '_')) ++j;
      out.insert(expr.substr(i, j - i));
      i = j;
    }
    return out;
  };

  // The dashboard: every query parses (as a recording rule) and names real metrics.
  const auto dashboard = boost::json::parse(read_file(std::string(PW_DOCS_DIR) + "/grafana/pipewright.json")).as_object();
  std::string rules = "groups:\n  - name: grafana\n    rules:\n";
  int queries = 0;
  for (const auto& p : dashboard.at("panels").as_array()) {
    INFO("panel " << p.at("title").as_string());
    CHECK(p.at("targets").as_array().size() >= 1);
    for (const auto& t : p.at("targets").as_array()) {
      std::string expr(t.at("expr").as_string());
      for (auto [from, to] : {std::pair<std::string, std::string>{"$__rate_interval", "5m"}, {"$instance", ".*"}})
        for (auto pos = expr.find(from); pos != std::string::npos; pos = expr.find(from, pos)) expr.replace(pos, from.size(), to);
      for (const auto& name : metric_names(expr)) {
        INFO("metric " << name << " in " << expr);
        CHECK(exposed.count(name) == 1);
      }
      boost::json::string quoted(expr);
      rules += "      - record: grafana:query_" + std::to_string(++queries) + "\n        expr: " +
               boost::json::serialize(boost::json::value(quoted)) + "\n";
    }
  }
  CHECK(queries >= 20);
  write_file(dir.file("grafana-rules.yml"), rules);
  auto [code, out] = run_command(std::string(PW_PROMTOOL) + " check rules " + dir.file("grafana-rules.yml"));
  INFO(out);
  CHECK(code == 0);

  // The alert rules name real metrics too (promtool checks them in their own tests).
  const auto alerts = read_file(std::string(PW_DOCS_DIR) + "/prometheus/alerts.yml");
  std::string exprs;
  std::istringstream in(alerts);
  for (std::string line; std::getline(in, line);)
    if (line.find("expr:") != std::string::npos || line.find("  / ") != std::string::npos || line.find("sum by") != std::string::npos)
      exprs += line + "\n";
  const auto used = metric_names(exprs);
  CHECK(used.size() >= 7);
  for (const auto& name : used) {
    INFO("alert metric " << name);
    CHECK(exposed.count(name) == 1);
  }
}
