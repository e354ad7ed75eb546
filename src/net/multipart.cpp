#include "net/multipart.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/ascii.hpp"

namespace pw::net {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The parameters of a header value ("form-data; name=\"a\"; filename=b"):
// name -> value, names lower-cased, quoted values unescaped.
std::vector<std::pair<std::string, std::string>> parameters(std::string_view v) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = v.find(';');
  while (i != std::string_view::npos && i < v.size()) {
    ++i;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    auto eq = v.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name = core::ascii_lower(trim(v.substr(i, eq - i)));
    std::string value;
    i = eq + 1;
    if (i < v.size() && v[i] == '"') {
      ++i;
      while (i < v.size() && v[i] != '"') {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        value += v[i++];
      }
      if (i < v.size()) ++i;  // the closing quote
      i = v.find(';', i);
    } else {
      auto end = v.find(';', i);
      value = std::string(trim(v.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
      i = end;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

// RFC 5987: "UTF-8''na%C3%AFve.jpg" -> "naïve.jpg".
std::optional<std::string> decode_ext(std::string_view v) {
  auto q = v.find("''");
  if (q == std::string_view::npos) return std::nullopt;
  std::string out;
  for (std::size_t i = q + 2; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(v.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

}  // namespace

const form_part* form_data::find(std::string_view name) const {
  for (const auto& p : parts)
    if (p.name == name) return &p;
  return nullptr;
}

bool multipart_parser::is_form_data(std::string_view content_type) {
  auto base = core::ascii_lower(trim(content_type.substr(0, content_type.find(';'))));
  return base == "multipart/form-data";
}

std::optional<std::string> multipart_parser::boundary_of(std::string_view content_type) {
  if (!is_form_data(content_type)) return std::nullopt;
  for (auto& [name, value] : parameters(content_type))
    if (name == "boundary" && !value.empty() && value.size() <= 70) return value;
  return std::nullopt;
}

multipart_parser::multipart_parser(std::string boundary, form_limits limits)
    : delimiter_("\r\n--" + boundary), limits_(std::move(limits)) {
  // The first boundary may open the body without a line break before it.
  buf_ = "\r\n";
}

bool multipart_parser::fail(core::errc code, std::string message) {
  if (state_ != state::failed) error_ = core::make_error(code, std::move(message), "{\"field\":\"body\"}");
  state_ = state::failed;
  buf_.clear();
  return false;
}

bool multipart_parser::feed(std::string_view chunk) {
  if (state_ == state::failed) return false;
  seen_ += chunk.size();
  if (state_ == state::done) return true;  // the epilogue is ignored
  buf_.append(chunk);
  while (step()) {
  }
  return state_ != state::failed;
}

// One transition; false when more bytes are needed (or it failed or ended).
bool multipart_parser::step() {
  switch (state_) {
    case state::preamble: {
      auto at = buf_.find(delimiter_);
      if (at == std::string::npos) {
        if (buf_.size() > 4096 + delimiter_.size())
          return fail(core::errc::validation_failed, "the body does not start with the boundary its Content-Type names");
        return false;
      }
      buf_.erase(0, at + delimiter_.size());
      state_ = state::after_delimiter;
      return true;
    }
    case state::after_delimiter: {
      if (buf_.size() < 2) return false;
      if (buf_.compare(0, 2, "--") == 0) {
        state_ = state::done;
        buf_.clear();
        return false;
      }
      // Transport padding (spaces) may follow a boundary before its line break.
      auto eol = buf_.find("\r\n");
      if (eol == std::string::npos) {
        if (buf_.size() > 256) return fail(core::errc::validation_failed, "a boundary line does not end");
        return false;
      }
      if (buf_.find_first_not_of(" \t") < eol) return fail(core::errc::validation_failed, "text follows a boundary");
      buf_.erase(0, eol + 2);
      if (form_.parts.size() >= limits_.max_parts)
        return fail(core::errc::validation_failed, fmt::format("more than {} parts in the form", limits_.max_parts));
      form_.parts.emplace_back();
      state_ = state::headers;
      return true;
    }
    case state::headers: {
      auto end = buf_.find("\r\n\r\n");
      if (buf_.compare(0, 2, "\r\n") == 0) end = 0;  // no headers at all
      // The limit holds however the headers arrive: whole in one chunk too
      // (found by fuzz_multipart: only a block cut across chunks was measured).
      // Unterminated, the buffer may hold up to 3 bytes of the "\r\n\r\n" that ends them.
      if (end == std::string::npos ? buf_.size() > limits_.max_header_bytes + 3 : end > limits_.max_header_bytes)
        return fail(core::errc::validation_failed, "a part's headers are too long");
      if (end == std::string::npos) return false;
      if (!parse_headers(std::string_view(buf_).substr(0, end))) return false;
      buf_.erase(0, end == 0 ? 2 : end + 4);
      state_ = state::body;
      return true;
    }
    case state::body: {
      auto at = buf_.find(delimiter_);
      if (at != std::string::npos) {
        if (!append(std::string_view(buf_).substr(0, at))) return false;
        buf_.erase(0, at + delimiter_.size());
        state_ = state::after_delimiter;
        return true;
      }
      // Keep what could be the start of a delimiter; the rest is data.
      if (buf_.size() >= delimiter_.size()) {
        const auto safe = buf_.size() - (delimiter_.size() - 1);
        if (!append(std::string_view(buf_).substr(0, safe))) return false;
        buf_.erase(0, safe);
      }
      return false;
    }
    case state::done:
    case state::failed: return false;
  }
  return false;
}

bool multipart_parser::parse_headers(std::string_view block) {
  auto& part = form_.parts.back();
  bool disposition = false;
  while (!block.empty()) {
    auto eol = block.find("\r\n");
    auto line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view() : block.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail(core::errc::validation_failed, "a part has a malformed header line");
    auto name = core::ascii_lower(trim(line.substr(0, colon)));
    auto value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      if (core::ascii_lower(trim(value.substr(0, value.find(';')))) != "form-data")
        return fail(core::errc::validation_failed, "a part's Content-Disposition is not form-data");
      disposition = true;
      for (auto& [k, v] : parameters(value)) {
        if (k == "name") part.name = v;
        else if (k == "filename" && !part.filename) part.filename = v;
        else if (k == "filename*") {
          if (auto d = decode_ext(v)) part.filename = std::move(*d);
        }
      }
    } else if (name == "content-type") {
      part.content_type = std::string(value);
    }
  }
  if (!disposition || part.name.empty())
    return fail(core::errc::validation_failed, "a part has no Content-Disposition: form-data; name=\"...\"");
  for (std::size_t i = 0; i + 1 < form_.parts.size(); ++i)
    if (form_.parts[i].name == part.name)
      return fail(core::errc::validation_failed, fmt::format("the form has '{}' twice", part.name));
  return true;
}

bool multipart_parser::append(std::string_view data) {
  auto& part = form_.parts.back();
  const bool file = part.filename ||
                    std::find(limits_.file_fields.begin(), limits_.file_fields.end(), part.name) != limits_.file_fields.end();
  if (file) {
    if (part.data.size() + data.size() > limits_.max_file_bytes)
      return fail(core::errc::payload_too_large, fmt::format("the file '{}' is larger than {} bytes ({})", part.name,
                                                             limits_.max_file_bytes, limits_.file_limit_key));
  } else if (part.data.size() + data.size() > limits_.max_field_bytes) {
    return fail(core::errc::validation_failed,
                fmt::format("the field '{}' is longer than {} bytes", part.name, limits_.max_field_bytes));
  }
  part.data.append(data);
  return true;
}

bool multipart_parser::finish() {
  if (state_ == state::failed) return false;
  if (state_ != state::done)
    return fail(core::errc::validation_failed, "the multipart body is truncated: it ends before its closing boundary");
  return true;
}

}  // namespace pw::net
