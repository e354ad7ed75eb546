// `pipewright import FILE.csv`: streams the file to POST /api/v1/imports with
// a progress line (rows sent; the server takes them as they arrive and the
// upload waits for it), then prints what was created, what existed already,
// and every rejected row by line. Exit 0 when no row was rejected.
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <httplib.h>

#include "cli/client.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace pw::cli {

namespace {

std::string query_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::int64_t num(const boost::json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : 0;
}

}  // namespace

int import_csv(const import_options& o) {
  std::signal(SIGPIPE, SIG_IGN);  // a server that closes early is reported, not fatal
  auto e = resolve(o.client);
  if (!e) return 2;
  std::ifstream count_in(o.file, std::ios::binary);
  if (!count_in) {
    std::cerr << "error: cannot read " << o.file << '\n';
    return 2;
  }
  // Rows to send (lines after the header), for the progress line.
  std::size_t lines = 0, bytes = 0;
  {
    char buf[1 << 16];
    while (count_in.read(buf, sizeof buf) || count_in.gcount() > 0) {
      const auto n = static_cast<std::size_t>(count_in.gcount());
      bytes += n;
      for (std::size_t i = 0; i < n; ++i) lines += buf[i] == '\n';
    }
  }
  std::string path = "/api/v1/imports?";
  for (auto [name, value] : {std::pair{"workspace", &o.workspace}, {"text_column", &o.text_column},
                             {"title_column", &o.title_column}, {"key_column", &o.key_column}})
    if (!value->empty()) path += fmt::format("{}={}&", name, query_escape(*value));
  path.pop_back();

  auto in = std::make_shared<std::ifstream>(o.file, std::ios::binary);
  progress bar("rows sent", lines > 0 ? lines - 1 : 0);
  std::size_t sent_lines = 0;
  httplib::Client http(e->host, e->port);
  http.set_connection_timeout(5);
  http.set_read_timeout(3600);
  http.set_write_timeout(3600);
  http.set_tcp_nodelay(true);
  httplib::Headers headers{{"Authorization", "Bearer " + e->token}};
  auto res = http.Post(
      path, headers, bytes,
      [&](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        char buf[1 << 16];
        in->seekg(static_cast<std::streamoff>(offset));
        in->read(buf, static_cast<std::streamsize>(std::min(length, sizeof buf)));
        const auto n = static_cast<std::size_t>(in->gcount());
        if (n == 0) return false;
        std::size_t nl = 0;
        for (std::size_t i = 0; i < n; ++i) nl += buf[i] == '\n';
        const auto before = sent_lines;
        sent_lines += nl;
        // The header's line break is not a row.
        const auto rows_before = before > 0 ? before - 1 : 0, rows_now = sent_lines > 0 ? sent_lines - 1 : 0;
        if (rows_now > rows_before) bar.advance(rows_now - rows_before, 0);
        return sink.write(buf, n);
      },
      "text/csv");
  bar.finish();
  if (!res) {
    std::cerr << fmt::format("error: cannot reach http://{}:{} ({})\n", e->host, e->port, httplib::to_string(res.error()));
    return 2;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(res->body, ec);
  answer a{res->status, res->body, ec ? boost::json::value() : v};
  if (!a.ok()) {
    std::cerr << "error: " << a.explain() << '\n';
    return 1;
  }
  if (o.client.json) {
    std::cout << a.body << '\n';
  } else {
    const auto& r = a.json.as_object();
    std::cout << fmt::format("import {}: {} rows, {} created, {} already imported, {} rejected\n",
                             std::string(r.at("id").as_string()), num(r, "rows"), num(r, "created"), num(r, "existing"),
                             num(r, "rejected"));
    for (const auto& err : r.at("errors").as_array()) {
      const auto& x = err.as_object();
      std::cout << fmt::format("  line {}: {}\n", num(x, "line"), std::string(x.at("message").as_string()));
    }
    if (r.at("errors_truncated").as_bool()) std::cout << "  (more rejected rows than listed)\n";
  }
  return num(a.json.as_object(), "rejected") == 0 ? 0 : 1;
}

}  // namespace pw::cli
