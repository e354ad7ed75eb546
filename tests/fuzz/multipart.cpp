// The streaming multipart/form-data parser (net/multipart) behind image
// uploads: the first byte picks where the body is cut into chunks, as a
// socket would deliver it. Any bytes end in a form or a clear error; the
// parts never exceed their limits, and how the body is cut never changes
// the outcome.
#include <algorithm>
#include <cstdio>
#include <string>

#include "fuzz_input.hpp"
#include "net/multipart.hpp"

namespace {

struct outcome {
  bool ok = false;
  pw::net::form_data form;
  std::string error;
};

outcome parse(std::string_view body, std::size_t chunk, const pw::net::form_limits& limits) {
  pw::net::multipart_parser p("XyZzy-boundary", limits);
  outcome out;
  bool going = true;
  for (std::size_t at = 0; going && at < body.size(); at += chunk) going = p.feed(body.substr(at, chunk));
  out.ok = going && p.finish();
  if (out.ok) out.form = p.take();
  else out.error = p.error().message;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  const std::size_t chunk = 1 + in.byte() % 64;
  const auto body = in.rest();
  pw::net::form_limits limits;
  limits.max_file_bytes = 4096;
  limits.max_field_bytes = 256;
  limits.max_parts = 8;
  limits.max_header_bytes = 512;

  auto whole = parse(body, body.size() + 1, limits);
  auto cut = parse(body, chunk, limits);
  if (whole.ok != cut.ok)
    std::fprintf(stderr, "whole: %s, cut in %zu-byte chunks: %s\n", whole.ok ? "ok" : whole.error.c_str(), chunk,
                 cut.ok ? "ok" : cut.error.c_str());
  PWFUZZ_CHECK(whole.ok == cut.ok);
  if (!whole.ok) {
    PWFUZZ_CHECK(!whole.error.empty());
    return 0;
  }
  PWFUZZ_CHECK(whole.form.parts.size() <= limits.max_parts);
  PWFUZZ_CHECK(whole.form.parts.size() == cut.form.parts.size());
  for (std::size_t i = 0; i < whole.form.parts.size(); ++i) {
    const auto& a = whole.form.parts[i];
    const auto& b = cut.form.parts[i];
    PWFUZZ_CHECK(a.name == b.name && a.filename == b.filename && a.data == b.data);
    PWFUZZ_CHECK(a.data.size() <= std::max(limits.max_file_bytes, limits.max_field_bytes));
  }
  // The Content-Type reader: any header value, never a crash.
  (void)pw::net::multipart_parser::boundary_of(body.substr(0, 200));
  return 0;
}
