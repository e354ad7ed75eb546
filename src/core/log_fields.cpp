#include "core/log_fields.hpp"

#include "core/json.hpp"

namespace pw::core {

namespace {

bool key_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && ((c >= '0' && c <= '9') || c == '.'));
}

// "key=..." at the start of `rest` (spaces skipped).
bool starts_pair(std::string_view rest) {
  std::size_t i = 0;
  while (i < rest.size() && rest[i] == ' ') ++i;
  const auto start = i;
  while (i < rest.size() && key_char(rest[i], i == start)) ++i;
  return i > start && i < rest.size() && rest[i] == '=';
}

// A JSON number as the log wrote it: -?(0|[1-9][0-9]*)(\.[0-9]+)?
bool json_number(std::string_view v) {
  std::size_t i = 0;
  if (i < v.size() && v[i] == '-') ++i;
  if (i == v.size()) return false;
  if (v[i] == '0') ++i;
  else if (v[i] >= '1' && v[i] <= '9')
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  else return false;
  if (i < v.size() && v[i] == '.') {
    const auto start = ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
    if (i == start) return false;
  }
  return i == v.size() && v.size() < 20;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_log_fields(std::string_view m) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < m.size()) {
    while (i < m.size() && m[i] == ' ') ++i;
    if (i == m.size()) break;
    const auto key_start = i;
    while (i < m.size() && key_char(m[i], i == key_start)) ++i;
    if (i == key_start || i == m.size() || m[i] != '=') return {};
    std::string key(m.substr(key_start, i - key_start));
    ++i;  // '='
    std::string value;
    if (i < m.size() && m[i] == '"') {
      // Up to the quote that ends the value: the one followed by the end or
      // by " key=" (quotes inside an error message are left as they are).
      auto close = std::string_view::npos;
      for (auto q = m.find('"', i + 1); q != std::string_view::npos; q = m.find('"', q + 1))
        if (q + 1 == m.size() || (m[q + 1] == ' ' && starts_pair(m.substr(q + 2)))) {
          close = q;
          break;
        }
      if (close == std::string_view::npos) return {};
      value = std::string(m.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      const auto end = std::min(m.find(' ', i), m.size());
      value = std::string(m.substr(i, end - i));
      i = end;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

std::string log_line_json(std::string_view ts, std::string_view level, std::string_view message) {
  std::string out = "{\"ts\":";
  append_json_string(out, ts);
  out += ",\"level\":";
  append_json_string(out, level);
  auto fields = parse_log_fields(message);
  if (fields.empty()) {
    out += ",\"msg\":";
    append_json_string(out, message);
  }
  for (const auto& [k, v] : fields) {
    if (k == "ts" || k == "level") continue;
    out += ',';
    append_json_string(out, k);
    out += ':';
    if (json_number(v) || v == "true" || v == "false") out += v;
    else append_json_string(out, v);
  }
  out += '}';
  return out;
}

}  // namespace pw::core
