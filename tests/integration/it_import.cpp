// CSV import: 100,000 rows through `pipewright import` with progress, every
// row an item; a re-import creates nothing; a file with bad rows reports them
// by line and keeps the good ones; refusals (no text column, not CSV, no
// workspace, a workspace outside the token) before any row is taken.
#include <fstream>

#include <boost/json/parse.hpp>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

struct run_result {
  int code = -1;
  std::string out, err;
};

run_result run_cli(const std::vector<std::string>& args, const temp_dir& dir) {
  std::string cmd = std::string(binary_path());
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >" + dir.file("cli.out") + " 2>" + dir.file("cli.err");
  run_result r;
  int status = std::system(cmd.c_str());
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir.file("cli.out"));
  r.err = read_file(dir.file("cli.err"));
  return r;
}

std::int64_t total_items(http& c, const std::string& token, const std::string& ws) {
  return get_object(c, "/api/v1/workspaces/" + ws + "/ai/metrics", token).at("items").as_object().at("total").as_int64();
}

}  // namespace

TEST_CASE("100,000 rows with progress, then a re-import that creates nothing") {
  temp_dir dir;
  server_process srv(dir, config_builder().top("[actors]\nmax_active_per_workspace = 0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  {
    std::ofstream f(dir.file("feedback.csv"));
    f << "ticket,subject,comment,channel\n";
    for (int i = 0; i < 100000; ++i)
      f << "T-" << i << ",Row " << i << ",\"The app, version " << (i % 7) << ", is slow \"\"again\"\"\",email\n";
  }
  const auto url = "http://127.0.0.1:" + std::to_string(srv.port());
  auto r = run_cli({"import", dir.file("feedback.csv"), "-w", "acme", "--key-column", "ticket", "--url", url, "--token", token}, dir);
  INFO(r.err.substr(0, 2000));
  REQUIRE(r.code == 0);
  CHECK(r.out.find("100000 rows, 100000 created, 0 already imported, 0 rejected") != std::string::npos);
  CHECK(r.err.find("rows sent 100000/100000") != std::string::npos);  // the progress line
  CHECK(total_items(c, token, "acme") == 100000);

  // An item from the file: text, title, the other columns as metadata.
  auto listed = get_object(c, "/api/v1/items?workspace=acme&limit=1", token).at("items").as_array();
  REQUIRE(listed.size() == 1);
  auto item = get_object(c, "/api/v1/items/" + std::string(listed[0].as_object().at("id").as_string()), token);
  CHECK(std::string(item.at("text").as_string()).find("is slow \"again\"") != std::string::npos);
  auto meta = item.at("metadata").as_object();
  CHECK(meta.at("channel").as_string() == "email");
  CHECK(std::string(meta.at("ticket").as_string()).rfind("T-", 0) == 0);
  CHECK(meta.at("import").as_object().at("line").as_int64() >= 2);

  // The same file again: every row is found by its key.
  r = run_cli({"import", dir.file("feedback.csv"), "-w", "acme", "--key-column", "ticket", "--url", url, "--token", token, "--json"}, dir);
  REQUIRE(r.code == 0);
  auto report = boost::json::parse(r.out).as_object();
  CHECK(report.at("created").as_int64() == 0);
  CHECK(report.at("existing").as_int64() == 100000);
  CHECK(total_items(c, token, "acme") == 100000);
  // The report is kept.
  auto saved = get_object(c, "/api/v1/imports/" + std::string(report.at("id").as_string()), token);
  CHECK(saved.at("existing").as_int64() == 100000);
  CHECK(c.get("/api/v1/imports/" + std::string(report.at("id").as_string()), make_token("eve", {"acme"})).status == 404);
}

TEST_CASE("a file with bad rows: each reported by its line, the good rows kept, and idempotent without a key column") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme", "beta"});
  const std::string csv =
      "\xEF\xBB\xBFworkspace,title,text,lang\r\n"    // 1: header (with a byte order mark)
      "acme,Hello,Good product,en\r\n"               // 2: ok
      "acme,Empty,,en\r\n"                           // 3: empty text
      "acme,Short,one field too few\r\n"             // 4: 3 fields
      "acme,\"Multi\nline\",\"spans\ntwo lines\",de\r\n"  // 5-7: ok, quoted line breaks
      "gamma,Nope,Not my workspace,en\r\n"           // 8: workspace outside the token
      "acme,Bad\"quote,text,en\r\n"                  // 9: a quote inside an unquoted field
      "beta,Other,Another workspace,es\r\n"          // 10: ok
      "acme,Bytes,\xff\xfe invalid,en\r\n"           // 11: not UTF-8
      "\r\n"                                         // 12: blank, skipped
      "acme,Open,\"never closed,en\n";               // 13: an open quote to the end
  auto r = c.post("/api/v1/imports", csv, token, "text/csv");
  REQUIRE(r.status == 200);
  auto report = r.json().as_object();
  CHECK(report.at("created").as_int64() == 3);
  CHECK(report.at("rejected").as_int64() == 6);
  std::map<std::int64_t, std::string> errors;
  for (const auto& e : report.at("errors").as_array())
    errors[e.as_object().at("line").as_int64()] = std::string(e.as_object().at("message").as_string());
  CHECK(errors.size() == 6);
  CHECK(errors[3] == "the text is empty");
  CHECK(errors[4] == "3 fields, the header has 4");
  CHECK(errors[8].find("does not grant workspace 'gamma'") != std::string::npos);
  CHECK(errors[9].find("a quote inside unquoted field 2") != std::string::npos);
  CHECK(errors[11] == "not valid UTF-8");
  CHECK(errors[13] == "a quoted field is never closed");
  CHECK(total_items(c, token, "acme") == 2);
  CHECK(total_items(c, token, "beta") == 1);
  // No key column: the row itself is the key, so the same file creates nothing.
  r = c.post("/api/v1/imports", csv, token, "text/csv");
  REQUIRE(r.status == 200);
  CHECK(r.json().as_object().at("created").as_int64() == 0);
  CHECK(r.json().as_object().at("existing").as_int64() == 3);
  CHECK(total_items(c, token, "acme") == 2);
}

TEST_CASE("imports refused before any row: no text column, not CSV, no workspace, a workspace outside the token") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("ada", {"acme"});
  auto r = c.post("/api/v1/imports?workspace=acme", "title,notes\nA,B\n", token, "text/csv");
  CHECK(r.status == 400);
  CHECK(r.body.find("no text column") != std::string::npos);
  r = c.post("/api/v1/imports?workspace=acme", "text\nhello\n", token, "application/json");
  CHECK(r.status == 415);
  r = c.post("/api/v1/imports", "text\nhello\n", token, "text/csv");
  CHECK(r.status == 400);
  CHECK(r.body.find("no workspace") != std::string::npos);
  r = c.post("/api/v1/imports?workspace=other", "text\nhello\n", token, "text/csv");
  CHECK(r.status == 403);
  r = c.post("/api/v1/imports?workspace=acme", "text,text\nhello,x\n", token, "text/csv");
  CHECK(r.status == 400);
  r = c.post("/api/v1/imports?workspace=acme", "", token, "text/csv");
  CHECK(r.status == 400);
  r = c.post("/api/v1/imports?workspace=acme&text_column=body", "text\nhello\n", token, "text/csv");
  CHECK(r.status == 400);
  CHECK(c.post("/api/v1/imports?workspace=acme", "text\nhello\n", "", "text/csv").status == 401);
  CHECK(c.get("/api/v1/imports", token).status == 405);
  // The server serves on, and a good import works.
  r = c.post("/api/v1/imports?workspace=acme", "text\nhello\n", token, "text/csv");
  CHECK(r.status == 200);
  CHECK(r.json().as_object().at("created").as_int64() == 1);
}
