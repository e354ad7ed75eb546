// pw-loadgen's smoke mode (docs/benchmarks.md): 500 items against a real node
// and against a server speaking the BullMQ anchor's contract, so both parsers
// and the report's checks keep working. The full runs stay out of CI.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"

extern char** environ;

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

struct loadgen_run {
  int code = -1;
  boost::json::object report;
  std::string err;
};

loadgen_run run_loadgen(const temp_dir& dir, const std::string& args) {
  const auto out = dir.file("report.json"), err = dir.file("loadgen.err");
  std::remove(out.c_str());
  const auto cmd = std::string(PW_LOADGEN) + " " + args + " --out " + out + " >/dev/null 2>" + err + " </dev/null";
  const int status = std::system(cmd.c_str());
  loadgen_run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_file(err);
  boost::system::error_code ec;
  auto v = boost::json::parse(read_file(out), ec);
  if (!ec && v.is_object()) r.report = v.as_object();
  return r;
}

std::int64_t num(const boost::json::object& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_int64() ? it->value().as_int64() : -1;
}

// A fake anchor process on 127.0.0.1; SIGKILLed when the test ends (it also
// exits by itself after two minutes).
class fake_anchor {
 public:
  fake_anchor(const temp_dir& dir, const std::string& fault_args) {
    const auto port_file = dir.file("anchor.port");
    std::remove(port_file.c_str());
    std::string cmd = std::string(PW_FAKE_ANCHOR) + " --port-file " + port_file + " --lifetime 120 " + fault_args;
    const char* argv[] = {"/bin/sh", "-c", nullptr, nullptr};
    cmd = "exec " + cmd;
    argv[2] = cmd.c_str();
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
      throw std::runtime_error("cannot start " PW_FAKE_ANCHOR);
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(20ms);
      port_ = std::atoi(read_file(port_file).c_str());
    }
    if (port_ == 0) throw std::runtime_error("fake anchor did not listen");
  }
  ~fake_anchor() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string ws() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

const std::string smoke = " --n 500 --warmup 50 --c 16 --users 10 --timeout 60 --grace 0.5 --verify 50 ";

}  // namespace

TEST_CASE("pw-loadgen against a real node: 500 items, each event once to its owner, exit 0") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("limits", "submit_rate_per_user = 0\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto r = run_loadgen(dir, "--api pipewright --base http://127.0.0.1:" + std::to_string(srv.port()) +
                                      " --secret " + test_secret + " --pids server:" + std::to_string(srv.pid()) +
                                      smoke);
  INFO(r.err << boost::json::serialize(r.report));
  CHECK(r.code == 0);
  REQUIRE(r.report.contains("ok"));
  CHECK(r.report.at("ok").as_bool());
  CHECK(num(r.report, "posted_ok") == 550);
  CHECK(num(r.report, "completed") == 500);
  CHECK(num(r.report, "lost") == 0);
  CHECK(num(r.report, "duplicates") == 0);
  CHECK(num(r.report, "misdelivered") == 0);
  const auto& verify = r.report.at("verify_get").as_object();
  CHECK(num(verify, "ok") == 50);
  CHECK(num(verify, "not_found_status") == 404);
  CHECK(r.report.at("cpu_s").as_object().at("server").to_number<double>() > 0);
  CHECK(r.report.at("e2e_ms").as_object().at("p50").to_number<double>() > 0);
}

TEST_CASE("pw-loadgen with a wrong secret: every POST is refused, the report says so, exit non-zero") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto r = run_loadgen(dir, "--api pipewright --base http://127.0.0.1:" + std::to_string(srv.port()) +
                                      " --secret not-the-secret-of-this-node --n 20 --users 2 --c 2 --timeout 10");
  INFO(r.err << boost::json::serialize(r.report));
  CHECK(r.code != 0);
  CHECK(num(r.report, "completed") <= 0);
}

TEST_CASE("pw-loadgen against a port nobody listens on: the report is valid JSON, figures it cannot compute are null") {
  temp_dir dir;
  const auto closed = [] {  // a port that was free a moment ago
    temp_dir d;
    server_process probe(d, config_builder().str());
    probe.start();
    const auto p = probe.port();
    probe.kill9();
    return p;
  }();
  const auto r = run_loadgen(dir, "--api pipewright --base http://127.0.0.1:" + std::to_string(closed) +
                                      " --n 20 --users 2 --c 2 --timeout 5 --grace 0.2");
  INFO(r.err);
  CHECK(r.code != 0);
  REQUIRE(r.report.contains("completed"));  // parsed: no inf or nan in the text
  CHECK(num(r.report, "completed") == 0);
  CHECK(r.report.at("completed_per_s").is_null());
  CHECK(r.report.at("e2e_ms").as_object().at("p50").is_null());
}

TEST_CASE("pw-loadgen --api anchor speaks the anchor's contract: 500 items, exit 0") {
  temp_dir dir;
  fake_anchor anchor(dir, "");
  const auto r = run_loadgen(dir, "--api anchor --base " + anchor.base() + " --ws " + anchor.ws() +
                                      " --pids server:" + std::to_string(anchor.pid()) + smoke);
  INFO(r.err << boost::json::serialize(r.report));
  CHECK(r.code == 0);
  REQUIRE(r.report.contains("ok"));
  CHECK(r.report.at("ok").as_bool());
  CHECK(num(r.report, "completed") == 500);
  CHECK(num(r.report.at("verify_get").as_object(), "ok") == 50);
  CHECK(num(r.report.at("verify_get").as_object(), "not_found_status") == 404);
}

TEST_CASE("pw-loadgen catches a duplicated, a misdelivered and a lost event, and fails the run") {
  temp_dir dir;
  struct fault {
    const char* args;
    const char* counter;
    std::int64_t at_least;
  };
  for (const auto& f : {fault{"--duplicate 100", "duplicates", 5}, fault{"--misdeliver 100", "misdelivered", 5},
                        fault{"--drop 100", "lost", 5}}) {
    fake_anchor anchor(dir, f.args);
    // A lost event keeps the run waiting for it: a short timeout ends it.
    const auto r =
        run_loadgen(dir, "--api anchor --base " + anchor.base() + " --ws " + anchor.ws() + smoke + "--timeout 5");
    INFO(f.args << "\n" << r.err << boost::json::serialize(r.report));
    CHECK(r.code == 2);
    REQUIRE(r.report.contains("ok"));
    CHECK_FALSE(r.report.at("ok").as_bool());
    CHECK(num(r.report, f.counter) >= f.at_least);
  }
}

TEST_CASE("pw-loadgen refuses a target that is not loopback, before any connection") {
  temp_dir dir;
  const auto r = run_loadgen(dir, "--api anchor --base http://10.1.2.3:3100 --n 10");
  CHECK(r.code == 3);
  const auto r2 = run_loadgen(dir, "--api pipewright --base http://127.0.0.1:1 --ws ws://example.com/ws --n 10");
  CHECK(r2.code == 3);
}
