// `pipewright submit | status | retry | dlq`: thin clients of the REST API.
// Exit codes: 0 success, 1 the server refused or the item did not complete,
// 2 the command could not run (usage, connection).
#include <fstream>
#include <iostream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "core/json.hpp"

namespace pw::cli {

namespace {

std::string str(const boost::json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_null()) return {};
  return boost::json::serialize(*v);
}

int refused(const answer& a) {
  std::cerr << "error: " << a.explain() << '\n';
  return a.status == 0 ? 2 : 1;
}

// Adds `workspace` (from --workspace) to a JSONL line's object when it has none.
std::optional<std::string> submission(const std::string& line, const std::string& workspace) {
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto& o = v.as_object();
  if (!o.contains("workspace") && !workspace.empty()) o["workspace"] = workspace;
  return boost::json::serialize(o);
}

int submit_many(client& c, const submit_options& o) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (*o.file != "-") {
    file.open(*o.file);
    if (!file) {
      std::cerr << "error: cannot read " << *o.file << '\n';
      return 2;
    }
    in = &file;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(*in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
  progress bar("submitted", lines.size());
  std::size_t failed = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto body = submission(lines[i], o.workspace);
    if (!body) {
      bar.note(fmt::format("line {}: not a JSON object", i + 1));
      ++failed;
    } else {
      std::map<std::string, std::string> headers;
      if (o.idempotency_key) headers["Idempotency-Key"] = fmt::format("{}-{}", *o.idempotency_key, i + 1);
      auto a = c.post("/api/v1/items", *body, headers);
      if (a.status == 0) {
        bar.note(a.explain());
        return 2;
      }
      if (a.ok()) std::cout << (o.client.json ? a.body : str(a.json.as_object(), "id")) << '\n';
      else {
        bar.note(fmt::format("line {}: {}", i + 1, a.explain()));
        ++failed;
      }
    }
    bar.advance(1, failed);
  }
  bar.finish();
  return failed == 0 ? 0 : 1;
}

}  // namespace

int submit(const submit_options& o) {
  auto e = resolve(o.client);
  if (!e) return 2;
  client c(*e);
  if (o.file) return submit_many(c, o);
  if (!o.text) {
    std::cerr << "error: pass --text TEXT, or --file FILE.jsonl (- for stdin)\n";
    return 2;
  }
  std::string body = "{\"workspace\":";
  core::append_json_string(body, o.workspace);
  body += ",\"text\":";
  core::append_json_string(body, *o.text);
  if (o.title) {
    body += ",\"title\":";
    core::append_json_string(body, *o.title);
  }
  body += '}';
  std::map<std::string, std::string> headers;
  if (o.idempotency_key) headers["Idempotency-Key"] = *o.idempotency_key;
  auto a = c.post("/api/v1/items", body, headers);
  if (!a.ok()) return refused(a);
  const auto id = str(a.json.as_object(), "id");
  std::cout << (o.client.json ? a.body : id) << '\n';
  if (!o.watch) return 0;
  return watch(item_options{o.client, id, {}});
}

int status(const item_options& o) {
  auto e = resolve(o.client);
  if (!e) return 2;
  client c(*e);
  auto a = c.get("/api/v1/items/" + o.id + "/processing-status");
  if (!a.ok()) return refused(a);
  if (o.client.json) return std::cout << a.body << '\n', 0;
  const auto& s = a.json.as_object();
  const auto& progress = s.at("progress").as_object();
  std::cout << fmt::format("{}  {}  {}/{} stages", o.id, str(s, "status"), str(progress, "completed"), str(progress, "total"));
  if (auto d = str(s, "duration_ms"); !d.empty()) std::cout << "  " << d << " ms";
  std::cout << '\n';
  for (const auto& [name, st] : s.at("stages").as_object()) {
    const auto& v = st.as_object();
    std::cout << fmt::format("  {:<12} {:<11} attempts {}", std::string(name), str(v, "status"), str(v, "attempts"));
    if (auto err = str(v, "error"); !err.empty()) std::cout << "  error: " << err;
    std::cout << '\n';
  }
  return 0;
}

int retry(const item_options& o) {
  auto e = resolve(o.client);
  if (!e) return 2;
  client c(*e);
  std::string body = "{}";
  if (!o.stages.empty()) {
    body = "{\"stages\":[";
    for (std::size_t i = 0; i < o.stages.size(); ++i) {
      if (i) body += ',';
      core::append_json_string(body, o.stages[i]);
    }
    body += "]}";
  }
  auto a = c.post("/api/v1/items/" + o.id + "/retry", body);
  if (!a.ok()) return refused(a);
  std::cout << (o.client.json ? a.body : fmt::format("{}  {}", o.id, str(a.json.as_object(), "status"))) << '\n';
  return 0;
}

int dlq(const dlq_options& o) {
  auto e = resolve(o.client);
  if (!e) return 2;
  client c(*e);
  if (o.action == "list") {
    auto a = c.get(fmt::format("/api/v1/admin/dlq?limit={}", o.limit));
    if (!a.ok()) return refused(a);
    if (o.client.json) return std::cout << a.body << '\n', 0;
    const auto& page = a.json.as_object();
    std::cout << fmt::format("{} open dead letters\n", str(page, "open"));
    for (const auto& l : page.at("items").as_array()) {
      const auto& v = l.as_object();
      std::cout << fmt::format("  {}  owner {}  at {}  {}\n", str(v, "id"), str(v, "owner"), str(v, "at"), str(v, "error"));
    }
    return 0;
  }
  if (o.action == "requeue") {
    if (o.all == !o.ids.empty()) {
      std::cerr << "error: dlq requeue takes either --all or dead letter ids (<item id>:<stage>)\n";
      return 2;
    }
    std::string body = "{\"all\":true}";
    if (!o.all) {
      body = "{\"ids\":[";
      for (std::size_t i = 0; i < o.ids.size(); ++i) {
        if (i) body += ',';
        core::append_json_string(body, o.ids[i]);
      }
      body += "]}";
    }
    auto a = c.post("/api/v1/admin/dlq/requeue", body);
    if (!a.ok()) return refused(a);
    std::cout << (o.client.json ? a.body : fmt::format("requeued {}", str(a.json.as_object(), "requeued"))) << '\n';
    return 0;
  }
  if (o.action == "resolve") {
    if (o.ids.empty()) {
      std::cerr << "error: dlq resolve takes dead letter ids (<item id>:<stage>)\n";
      return 2;
    }
    int rc = 0;
    for (const auto& id : o.ids) {
      auto a = c.post("/api/v1/admin/dlq/" + id + "/resolve", "");
      if (!a.ok()) rc = std::max(rc, refused(a));
      else std::cout << (o.client.json ? a.body : id + "  resolved") << '\n';
    }
    return rc;
  }
  std::cerr << "error: dlq takes list, requeue or resolve\n";
  return 2;
}

}  // namespace pw::cli
