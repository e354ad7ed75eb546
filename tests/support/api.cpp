#include "api.hpp"

#include <thread>

#include <catch2/catch.hpp>

#include "core/json.hpp"

namespace pwtest {

std::string item_body(const std::string& workspace, const std::string& text) {
  std::string body = "{\"workspace\":";
  pw::core::append_json_string(body, workspace);
  body += ",\"text\":";
  pw::core::append_json_string(body, text);
  body += '}';
  return body;
}

std::string submit(http& c, const std::string& token, const std::string& workspace, const std::string& text) {
  auto r = c.post("/api/v1/items", item_body(workspace, text), token);
  INFO("POST /api/v1/items -> " << r.status << " " << r.body);
  REQUIRE(r.status == 201);
  return std::string(r.json().as_object().at("id").as_string());
}

boost::json::object get_object(http& c, const std::string& path, const std::string& token) {
  auto r = c.get(path, token);
  INFO("GET " << path << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return r.json().as_object();
}

std::string status_of(http& c, const std::string& token, const std::string& id) {
  auto r = c.get("/api/v1/items/" + id + "/processing-status", token);
  if (r.status != 200) return "http-" + std::to_string(r.status);
  return std::string(r.json().as_object().at("status").as_string());
}

bool is_terminal(const std::string& s) {
  return s == "completed" || s == "partial" || s == "failed" || s == "cancelled";
}

bool wait_terminal(http& c, const std::string& token, const std::vector<std::string>& ids,
                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t next = 0;
  while (next < ids.size()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (is_terminal(status_of(c, token, ids[next]))) ++next;
    else std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool wait_status(http& c, const std::string& token, const std::string& id, const std::string& want,
                 std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (status_of(c, token, id) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::map<std::string, std::string> stage_statuses(http& c, const std::string& token, const std::string& id) {
  std::map<std::string, std::string> out;
  auto o = get_object(c, "/api/v1/items/" + id + "/processing-status", token);
  for (const auto& [name, st] : o.at("stages").as_object())
    out[std::string(name)] = std::string(st.as_object().at("status").as_string());
  return out;
}

boost::json::array history_of(http& c, const std::string& token, const std::string& id) {
  return get_object(c, "/api/v1/items/" + id + "/history", token).at("entries").as_array();
}

int runs_of(const boost::json::array& history, const std::string& stage) {
  int n = 0;
  for (const auto& v : history) {
    const auto& e = v.as_object();
    if (e.at("scope").as_string() != "stage" || e.at("stage").as_string() != stage) continue;
    if (e.at("to").as_string() == "processing") ++n;
    // Marked processing, then taken back before its worker started (the
    // item was paused, or its node stopped running it): that run never was.
    const auto* cause = e.if_contains("cause");
    if (e.at("from").as_string() == "processing" && e.at("to").as_string() == "pending" && cause && cause->is_string() &&
        cause->as_string().starts_with("not started"))
      --n;
  }
  return n;
}

response post_action(http& c, const std::string& path, const std::string& token, const std::string& body) {
  return c.post(path, body, token);
}

}  // namespace pwtest
