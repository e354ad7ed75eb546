#include "stages/providers/batch_lines.hpp"

#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/json.hpp"

namespace pw::stages::providers {

namespace json = boost::json;

std::string input_line(std::string_view custom_id, std::string_view endpoint, std::string_view body_json) {
  std::string out = "{\"custom_id\":";
  core::append_json_string(out, custom_id);
  out += ",\"method\":\"POST\",\"url\":";
  core::append_json_string(out, endpoint);
  out += ",\"body\":";
  out += body_json;
  out += "}\n";
  return out;
}

bool transient_status(int s) noexcept { return s == 0 || s == 408 || s == 409 || s == 429 || s >= 500; }

namespace {

std::string string_member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string();
}

// {"error":{"message":...}} inside a response body.
std::string body_error(const json::value& body) {
  if (!body.is_object()) return {};
  auto it = body.as_object().find("error");
  if (it == body.as_object().end() || !it->value().is_object()) return {};
  return string_member(it->value().as_object(), "message");
}

std::optional<std::string> read_line(std::string_view text, output_line& out) {
  json::parse_options po;
  po.max_depth = 64;
  boost::system::error_code ec;
  auto v = json::parse(text, ec, {}, po);
  if (ec) return "not JSON: " + ec.message();
  if (!v.is_object()) return std::string("not a JSON object");
  const auto& o = v.as_object();
  auto id = o.find("custom_id");
  if (id == o.end() || !id->value().is_string() || id->value().as_string().empty() || id->value().as_string().size() > 128)
    return std::string("no custom_id");
  out.custom_id = std::string(id->value().as_string());
  if (auto r = o.find("response"); r != o.end() && r->value().is_object()) {
    const auto& resp = r->value().as_object();
    auto sc = resp.find("status_code");
    if (sc == resp.end() || !sc->value().is_number()) return std::string("the response has no status_code");
    const double code = sc->value().to_number<double>();
    if (!std::isfinite(code) || code < 100 || code > 599) return std::string("the response's status_code is not an HTTP status");
    out.status_code = static_cast<int>(code);
    if (auto b = resp.find("body"); b != resp.end()) {
      out.body = core::to_json(b->value());
      if (out.status_code != 200) out.error = body_error(b->value());
    }
  } else if (r != o.end() && !r->value().is_null()) {
    return std::string("'response' is neither an object nor null");
  }
  if (auto e = o.find("error"); e != o.end() && e->value().is_object()) {
    const auto& err = e->value().as_object();
    out.error_code = string_member(err, "code");
    if (auto m = string_member(err, "message"); !m.empty()) out.error = m;
  }
  if (out.status_code == 0 && out.error.empty()) return std::string("neither a response nor an error");
  if (out.status_code != 200 && out.error.empty())
    out.error = fmt::format("HTTP {}", out.status_code);
  if (out.error.size() > 1000) out.error.resize(1000);
  return std::nullopt;
}

}  // namespace

void read_output_file(std::string_view content, const std::function<void(output_line&&)>& on_line,
                      const std::function<void(line_problem&&)>& on_problem) {
  std::size_t line_no = 0;
  while (!content.empty()) {
    ++line_no;
    auto nl = content.find('\n');
    auto line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view() : content.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    output_line out;
    if (auto problem = read_line(line, out)) on_problem(line_problem{line_no, std::move(*problem)});
    else on_line(std::move(out));
  }
}

}  // namespace pw::stages::providers
