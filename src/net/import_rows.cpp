#include "net/import_rows.hpp"

#include <set>

#include <fmt/format.h>
#include <openssl/sha.h>

#include "core/ascii.hpp"
#include "core/json.hpp"
#include "net/bodies.hpp"

namespace pw::net {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c >> 5) == 0x6) n = 1, cp = c & 0x1Fu;
    else if ((c >> 4) == 0xE) n = 2, cp = c & 0x0Fu;
    else if ((c >> 3) == 0x1E) n = 3, cp = c & 0x07u;
    else return false;
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 0x2) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

std::string sha256_hex(const std::string& in) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), d);
  std::string out;
  for (auto b : d) out += fmt::format("{:02x}", b);
  return out;
}

core::error header_error(std::string message) {
  return core::make_error(core::errc::validation_failed, std::move(message), "{\"field\":\"header\"}");
}

}  // namespace

core::result<import_columns> read_import_header(const core::csv_row& r, const import_params& params) {
  auto find = [&](const std::string& wanted, std::initializer_list<const char*> aliases) {
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      auto name = core::ascii_lower(trim(r.fields[i]));
      if (!wanted.empty() ? name == core::ascii_lower(wanted) : false) return static_cast<int>(i);
    }
    if (!wanted.empty()) return -2;  // named but absent
    for (auto a : aliases)
      for (std::size_t i = 0; i < r.fields.size(); ++i)
        if (core::ascii_lower(trim(r.fields[i])) == a) return static_cast<int>(i);
    return -1;
  };
  import_columns cols;
  std::set<std::string> seen;
  for (const auto& f : r.fields) {
    auto name = core::ascii_lower(trim(f));
    if (name.empty()) return header_error(fmt::format("line {}: the header has an empty column name", r.line));
    if (!seen.insert(name).second) return header_error(fmt::format("line {}: the header names '{}' twice", r.line, trim(f)));
    cols.names.push_back(trim(f));
  }
  cols.text = find(params.text_column, {"text", "feedback", "body", "comment", "message", "content"});
  cols.title = find(params.title_column, {"title", "subject", "summary"});
  cols.key = find(params.key_column, {"key", "id", "external_id", "row_key"});
  cols.workspace = find("", {"workspace"});
  if (cols.text == -2) return header_error(fmt::format("text_column '{}' is not in the header", params.text_column));
  if (cols.title == -2) return header_error(fmt::format("title_column '{}' is not in the header", params.title_column));
  if (cols.key == -2) return header_error(fmt::format("key_column '{}' is not in the header", params.key_column));
  if (cols.text < 0)
    return header_error("the header has no text column (text, feedback, body, comment, message or content; or name it "
                        "with ?text_column=)");
  if (cols.workspace < 0 && !params.workspace)
    return header_error("no workspace: pass ?workspace= or give the file a workspace column");
  return cols;
}

std::variant<import_row, std::string> read_import_row(const core::csv_row& r, const import_columns& cols,
                                                      const import_params& params, const principal& who,
                                                      const core::limits_config& limits, const std::string& import_id) {
  if (r.fields.size() != cols.names.size()) return fmt::format("{} fields, the header has {}", r.fields.size(), cols.names.size());
  auto field = [&](int c) -> const std::string& { return r.fields[static_cast<std::size_t>(c)]; };
  import_row out;
  auto& req = out.request;
  req.owner = who.sub;
  req.pipeline = "feedback";
  req.workspace = cols.workspace >= 0 ? trim(field(cols.workspace)) : *params.workspace;
  if (cols.workspace >= 0 && req.workspace.empty() && params.workspace) req.workspace = *params.workspace;
  if (!valid_workspace_id(req.workspace)) return std::string("the workspace must be 1-64 characters of letters, digits, '.', '_' or '-'");
  if (!who.may_use(req.workspace)) return fmt::format("your token does not grant workspace '{}'", req.workspace);
  for (const auto& f : r.fields)
    if (!valid_utf8(f)) return std::string("not valid UTF-8");
  req.text = field(cols.text);
  if (trim(req.text).empty()) return std::string("the text is empty");
  if (req.text.size() > limits.max_text_bytes)
    return fmt::format("the text is {} bytes; the limit is {} (limits.max_text_bytes)", req.text.size(), limits.max_text_bytes);
  if (cols.title >= 0 && !field(cols.title).empty()) {
    req.title = field(cols.title);
    if (req.title->size() > limits.max_title_bytes)
      return fmt::format("the title is {} bytes; the limit is {}", req.title->size(), limits.max_title_bytes);
  }
  std::string meta = "{";
  std::string hashed = req.workspace + '\x1f' + req.text + '\x1f' + req.title.value_or("");
  for (std::size_t i = 0; i < r.fields.size(); ++i) {
    const int c = static_cast<int>(i);
    if (c == cols.text || c == cols.title || c == cols.workspace) continue;
    if (meta.size() > 1) meta += ',';
    core::append_json_string(meta, cols.names[i]);
    meta += ':';
    core::append_json_string(meta, r.fields[i]);
    if (c != cols.key) hashed += '\x1f' + r.fields[i];
  }
  meta += fmt::format("{}\"import\":{{\"id\":\"{}\",\"line\":{}}}}}", meta.size() > 1 ? "," : "", import_id, r.line);
  if (meta.size() > limits.max_metadata_bytes)
    return fmt::format("its other columns make {} bytes of metadata; the limit is {} (limits.max_metadata_bytes)", meta.size(),
                       limits.max_metadata_bytes);
  req.metadata_json = std::move(meta);
  out.key = cols.key >= 0 ? trim(field(cols.key)) : "sha256:" + sha256_hex(hashed);
  if (out.key.empty() || out.key.size() > 256) return std::string("the row key is empty or longer than 256 bytes");
  if (out.key.find('\0') != std::string::npos) return std::string("the row key holds a NUL byte");
  return out;
}

bool csv_content_type(std::string_view ct) {
  auto base = core::ascii_lower(trim(ct.substr(0, ct.find(';'))));
  return base == "text/csv" || base == "application/csv" || base == "text/plain";
}

}  // namespace pw::net
