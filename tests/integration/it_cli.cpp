// The command-line client against a real node: submit (one, or a JSONL file
// with progress), watch, status, retry, dlq, asset submit; token from
// --token or PIPEWRIGHT_TOKEN; clear errors and exit codes.
#include <sys/wait.h>

#include <cstdio>
#include <sstream>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "assets.hpp"
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

// Runs `pipewright <args>` with the environment prefix `env` (VAR=value ...).
run_result run(const temp_dir& dir, const std::string& env, const std::string& args) {
  const auto out = dir.file("cli.out"), err = dir.file("cli.err");
  const auto cmd = "env " + env + " " + binary_path() + " " + args + " >" + out + " 2>" + err + " </dev/null";
  int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST_CASE("CLI: submit, watch, status, retry and dlq as thin clients of the API") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("theme", "permanent_rate = 1.0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto url = "PIPEWRIGHT_URL=http://127.0.0.1:" + std::to_string(srv.port());
  const auto user = make_token("cli-user", {"w1"});
  const auto admin = make_token("root", {"*"}, "admin");
  const auto env = url + " PIPEWRIGHT_TOKEN=" + user;

  // submit --watch follows the item to its end: theme fails, so partial, exit 1.
  auto sub = run(dir, env, "submit -w w1 --text 'The CSV export crashes' --watch");
  INFO(sub.out << sub.err);
  CHECK(sub.code == 1);
  const auto id = first_line(sub.out);
  REQUIRE(id.size() == 26);
  CHECK(sub.out.find("theme        failed") != std::string::npos);
  CHECK(sub.out.find("priority     completed") != std::string::npos);  // theme is not upstream of priority
  CHECK(sub.out.find(id + "  partial") != std::string::npos);

  // status, human and JSON.
  auto st = run(dir, env, "status " + id);
  CHECK(st.code == 0);
  INFO(st.out);
  CHECK(st.out.find(id + "  partial  6/7 stages") == 0);
  auto js = run(dir, env, "status --json " + id);
  CHECK(js.code == 0);
  CHECK(boost::json::parse(js.out).at("status").as_string() == "partial");

  // The token from --token works as well as from the environment; none is a clear error.
  auto with_flag = run(dir, url, "status --token " + user + " " + id);
  CHECK(with_flag.code == 0);
  auto no_token = run(dir, url, "status " + id);
  CHECK(no_token.code == 2);
  CHECK(no_token.err.find("PIPEWRIGHT_TOKEN") != std::string::npos);
  auto missing = run(dir, env, "status 01ARZ3NDEKTSV4RRFFQ69G5FAV");
  CHECK(missing.code == 1);
  CHECK(missing.err.find("404 NOT_FOUND") != std::string::npos);
  auto unreachable = run(dir, "PIPEWRIGHT_URL=http://127.0.0.1:1 PIPEWRIGHT_TOKEN=" + user, "status " + id);
  CHECK(unreachable.code == 2);
  CHECK(unreachable.err.find("cannot reach") != std::string::npos);

  // dlq needs an admin; it lists the dead letter.
  auto refused = run(dir, env, "dlq list");
  CHECK(refused.code == 1);
  CHECK(refused.err.find("403 FORBIDDEN") != std::string::npos);
  auto letters = run(dir, url + " PIPEWRIGHT_TOKEN=" + admin, "dlq list");
  CHECK(letters.code == 0);
  CHECK(letters.out.find("1 open dead letters") == 0);
  CHECK(letters.out.find(id + ":theme") != std::string::npos);

  // retry of a stage that did not fail is refused with the status named.
  auto bad_retry = run(dir, env, "retry " + id + " --stages embed");
  CHECK(bad_retry.code == 1);
  CHECK(bad_retry.err.find("409 INVALID_TRANSITION") != std::string::npos);
  auto good_retry = run(dir, env, "retry " + id + " --stages theme");
  CHECK(good_retry.code == 0);
  CHECK(good_retry.out.find(id) == 0);

  // dlq resolve and requeue.
  http c(srv.port());
  REQUIRE(wait_terminal(c, user, {id}, 10s));
  auto resolve = run(dir, url + " PIPEWRIGHT_TOKEN=" + admin, "dlq resolve " + id + ":theme");
  CHECK(resolve.code == 0);
  auto requeue_usage = run(dir, url + " PIPEWRIGHT_TOKEN=" + admin, "dlq requeue");
  CHECK(requeue_usage.code == 2);
  auto requeue = run(dir, url + " PIPEWRIGHT_TOKEN=" + admin, "dlq requeue --all");
  CHECK(requeue.code == 0);
  CHECK(requeue.out == "requeued 0\n");
}

TEST_CASE("CLI: submitting a JSONL file shows progress, prints ids, and reports bad lines") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto user = make_token("bulk-user", {"w1", "w2"});
  const auto env = "PIPEWRIGHT_URL=http://127.0.0.1:" + std::to_string(srv.port()) + " PIPEWRIGHT_TOKEN=" + user;
  std::string lines;
  for (int i = 0; i < 300; ++i) lines += "{\"text\":\"bulk item " + std::to_string(i) + "\"}\n";
  lines += "{\"workspace\":\"w2\",\"text\":\"its own workspace\"}\n";
  lines += "not json\n";
  lines += "{\"workspace\":\"w1\"}\n";  // no text: refused by the server
  write_file(dir.file("items.jsonl"), lines);

  auto r = run(dir, env, "submit -w w1 -f " + dir.file("items.jsonl"));
  INFO(r.err);
  CHECK(r.code == 1);  // two lines failed
  std::istringstream ids(r.out);
  int n = 0;
  for (std::string id; std::getline(ids, id); ++n) CHECK(id.size() == 26);
  CHECK(n == 301);
  CHECK(r.err.find("line 302: not a JSON object") != std::string::npos);
  CHECK(r.err.find("line 303: 400 VALIDATION_FAILED") != std::string::npos);
  CHECK(r.err.find("submitted 303/303 (100%), 2 refused") != std::string::npos);

  http c(srv.port());
  CHECK(get_object(c, "/api/v1/items?workspace=w2", user).at("items").as_array().size() == 1);
}

TEST_CASE("CLI: an unknown subcommand says so on stderr and exits 2, even with --help, and --help itself exits 0") {
  temp_dir dir;
  // (The example was `pipewright cluster --help`; `cluster` is a real
  // command once the cluster work lands, so these names are made up.)
  for (const auto* args : {"clustr --help", "clustr", "frobnicate --url http://127.0.0.1:1"}) {
    INFO(args);
    auto r = run(dir, "", args);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find(std::string("unknown command '") + std::string(args).substr(0, std::string(args).find(' ')) + "'") !=
          std::string::npos);
    CHECK(r.err.find("commands: serve, token") != std::string::npos);
    CHECK(r.err.find("verify") != std::string::npos);
  }
  auto help = run(dir, "", "--help");
  CHECK(help.code == 0);
  CHECK(help.out.find("Subcommands:") != std::string::npos);
  auto sub_help = run(dir, "", "serve --help");
  CHECK(sub_help.code == 0);
  CHECK(sub_help.out.find("--data-dir") != std::string::npos);
  // Other parse errors are "could not run" too, with CLI11's message.
  auto none = run(dir, "", "");
  CHECK(none.code == 2);
  CHECK(!none.err.empty());
  auto bad_option = run(dir, "", "token --sub a --nope");
  CHECK(bad_option.code == 2);
  CHECK(bad_option.err.find("--nope") != std::string::npos);
}

TEST_CASE("CLI: verify checks a stopped node's store") {
  temp_dir dir;
  server_process srv(dir, config_builder().chaos("theme", "permanent_rate = 1.0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice", {"w"});
  std::vector<std::string> ids;
  {
    http c(srv.port());
    for (int i = 0; i < 20; ++i) ids.push_back(submit(c, token, "w", "verify me " + std::to_string(i)));
    REQUIRE(wait_terminal(c, token, ids, std::chrono::seconds(30)));
  }
  REQUIRE(srv.terminate(std::chrono::seconds(10)) == 0);

  auto ok = run(dir, "", "verify --json --data-dir " + srv.data_dir());
  INFO(ok.out << ok.err);
  CHECK(ok.code == 0);
  auto report = boost::json::parse(ok.out).as_object();
  CHECK(report.at("ok").as_bool());
  CHECK(report.at("items").as_int64() == 20);
  CHECK(report.at("finished").as_int64() == 20);
  CHECK(report.at("dead_letters").as_int64() == 20);  // theme fails for good on every item

  auto missing = run(dir, "", "verify --data-dir " + dir.file("nowhere"));
  CHECK(missing.code == 2);
  CHECK(missing.err.find("no store in") != std::string::npos);
}

TEST_CASE("CLI: asset submit uploads a photo, with --watch prints brand and model, and refusals exit 1") {
  temp_dir dir;
  fake_worker worker(dir, "--labels " + std::string(PW_TEST_DATA_DIR) + "/images");
  server_process srv(dir, config_builder().asset_pipeline(worker_asset_pipeline(worker.url())).str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto env = "PIPEWRIGHT_URL=http://127.0.0.1:" + std::to_string(srv.port()) + " PIPEWRIGHT_TOKEN=" +
                   make_token("cli-assets", {"w1"});
  const auto images = std::string(PW_TEST_DATA_DIR) + "/images/";

  auto watched = run(dir, env, "asset submit " + images + "sneaker/01-hoka-mach-5-clean.jpg --category sneaker --watch");
  INFO(watched.out << watched.err);
  CHECK(watched.code == 0);
  const auto id = first_line(watched.out).substr(0, 26);
  CHECK(first_line(watched.out) == id + "  processing");
  CHECK(watched.out.find(id + "  active") != std::string::npos);
  CHECK(watched.out.find("brand       Hoka") != std::string::npos);
  CHECK(watched.out.find("model       Mach 5") != std::string::npos);

  auto plain = run(dir, env, "asset submit " + images + "watch/01-rolex-oyster-perpetual-clean.jpg -c watch");
  CHECK(plain.code == 0);
  CHECK(first_line(plain.out).size() == 26 + std::string("  processing").size());

  auto unknown = run(dir, env, "asset submit " + images + "watch/01-rolex-oyster-perpetual-clean.jpg -c cars");
  CHECK(unknown.code == 1);
  CHECK(unknown.err.find("valid categories: action_figure, sneaker, trading_card, vinyl_record, watch") != std::string::npos);
  auto truncated = run(dir, env, "asset submit " + images + "bad/truncated.jpg -c watch --watch");
  CHECK(truncated.code == 1);
  CHECK(truncated.out.find("failed") != std::string::npos);
  CHECK(truncated.out.find("decode: the") != std::string::npos);
  auto missing = run(dir, env, "asset submit /nonexistent.jpg -c watch");
  CHECK(missing.code == 2);
  CHECK(missing.err.find("cannot read /nonexistent.jpg") != std::string::npos);
}
