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

}  // namespace pwtest
