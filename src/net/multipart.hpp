// A streaming multipart/form-data parser (RFC 7578): the body is fed in
// chunks as it arrives from the socket, parts are cut at their boundary,
// and a part over its limit stops the upload at once, so a body over the
// limit is refused without being held. Plain C++, no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"

namespace pw::net {

struct form_part {
  std::string name;          // from Content-Disposition
  std::optional<std::string> filename;
  std::string content_type;  // as the client declared it (never trusted)
  std::string data;
};

struct form_data {
  std::vector<form_part> parts;
  const form_part* find(std::string_view name) const;
};

struct form_limits {
  std::size_t max_file_bytes = 15 << 20;  // a part with a filename, or named in file_fields
  std::vector<std::string> file_fields = {"image"};
  std::size_t max_field_bytes = 4096;     // any other part
  std::size_t max_parts = 16;
  std::size_t max_header_bytes = 8192;    // one part's headers
  // Named in the error of an oversized file ("assets.max_image_bytes").
  std::string file_limit_key = "assets.max_image_bytes";
};

class multipart_parser {
 public:
  // The boundary of a "multipart/form-data; boundary=..." Content-Type, or nullopt.
  static std::optional<std::string> boundary_of(std::string_view content_type);
  // True for a multipart/form-data Content-Type (any parameters).
  static bool is_form_data(std::string_view content_type);

  multipart_parser(std::string boundary, form_limits limits);
  // The next bytes of the body; false once the body is refused (see error()).
  bool feed(std::string_view chunk);
  // The body ended: false unless it was a whole multipart document.
  bool finish();
  const core::error& error() const noexcept { return error_; }
  form_data take() { return std::move(form_); }
  std::size_t bytes_seen() const noexcept { return seen_; }

 private:
  enum class state { preamble, after_delimiter, headers, body, done, failed };
  bool fail(core::errc code, std::string message);
  bool parse_headers(std::string_view block);
  bool append(std::string_view data);
  bool step();

  std::string delimiter_;  // "\r\n--" boundary
  form_limits limits_;
  state state_ = state::preamble;
  std::string buf_;
  form_data form_;
  core::error error_;
  std::size_t seen_ = 0;
};

}  // namespace pw::net
