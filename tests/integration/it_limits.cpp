// Load shedding with clear JSON errors: the per-user submit rate (429 with
// Retry-After), max connections (WebSockets included), slow and oversized
// headers, failed authentications per address, and 503 DRAINING while the
// node shuts down.
#include <signal.h>

#include <thread>

#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

TEST_CASE("per-user submit rate: over it is 429 with Retry-After, other users are unaffected, nothing is lost") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("limits", "submit_rate_per_user = 2\nsubmit_burst = 5\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto rita = make_token("rita", {"w1"});
  const auto sam = make_token("sam", {"w1"});

  std::vector<std::string> accepted;
  response limited;
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    auto r = c.post("/api/v1/items", item_body("w1", "burst " + std::to_string(i)), rita);
    if (r.status == 201) accepted.push_back(std::string(r.json().at("id").as_string()));
    else if (limited.status == 0) limited = r;
  }
  // The burst, plus the tokens refilled (2 a second) while the ten went out:
  // one in a fast build, more in a slow one (TSan on a busy machine).
  const double took_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  INFO("10 requests took " << took_s << " s");
  CHECK(accepted.size() >= 5);
  CHECK(accepted.size() <= 6 + static_cast<std::size_t>(took_s * 2));
  REQUIRE(limited.status == 429);
  CHECK(limited.error_code() == "RATE_LIMITED");
  const auto retry_after = std::stoi(limited.header("Retry-After"));
  CHECK(retry_after >= 1);
  CHECK(retry_after <= 2);

  // Another user has their own budget.
  submit(c, sam, "w1", "sam is not limited by rita");
  // Waiting as told works.
  std::this_thread::sleep_for(std::chrono::seconds(retry_after));
  accepted.push_back(submit(c, rita, "w1", "after waiting"));
  // Every accepted item runs to the end.
  CHECK(wait_terminal(c, rita, accepted, 10s));
  CHECK(get_object(c, "/api/v1/items?limit=200", rita).at("items").as_array().size() == accepted.size());
}

TEST_CASE("max connections: one over the limit gets 429 RATE_LIMITED, and a freed slot serves again") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("server", "max_connections = 4\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("tess", {"w1"});
  std::vector<std::unique_ptr<http>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<http>(srv.port()));
    REQUIRE(held.back()->get("/api/v1/items", token).status == 200);  // keep-alive: the connection stays
  }
  {
    http extra(srv.port());
    auto r = extra.get("/api/v1/items", token);
    INFO(r.body);
    CHECK(r.status == 429);
    CHECK(r.error_code() == "RATE_LIMITED");
    CHECK(!r.header("Retry-After").empty());
  }
  held.pop_back();
  std::this_thread::sleep_for(200ms);
  http again(srv.port());
  CHECK(again.get("/api/v1/items", token).status == 200);
  for (auto& h : held) CHECK(h->get("/api/v1/items", token).status == 200);
}

TEST_CASE("while draining, new work is refused with 503 DRAINING and Retry-After, and readyz says so") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .section("server", "drain_timeout_ms = 3000\n")
                              .chaos("embed", "latency = \"fixed\"\nlatency_min_ms = 1500\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  const auto token = make_token("uri", {"w1"});
  auto running = submit(c, token, "w1", "in flight during the drain");
  std::this_thread::sleep_for(200ms);
  ::kill(srv.pid(), SIGTERM);
  std::this_thread::sleep_for(300ms);

  auto r = c.post("/api/v1/items", item_body("w1", "too late"), token);
  INFO(r.body);
  CHECK(r.status == 503);
  CHECK(r.error_code() == "DRAINING");
  CHECK(!r.header("Retry-After").empty());
  auto ready = c.get("/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.error_code() == "DRAINING");

  REQUIRE(srv.wait_exit(10s) == 0);  // the first SIGTERM's drain ends by itself
  srv.start();
  REQUIRE(srv.wait_ready());
  http c2(srv.port());
  CHECK(wait_status(c2, token, running, "completed", 10s));
  CHECK(get_object(c2, "/api/v1/items", token).at("items").as_array().size() == 1);  // the refused one was not kept
}

TEST_CASE("max connections counts WebSockets too, and over it a connection is answered 429 at once and closed") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("server", "max_connections = 4\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("wes", {"w1"});
  std::vector<std::unique_ptr<ws_client>> sockets;
  for (int i = 0; i < 3; ++i) {
    sockets.push_back(std::make_unique<ws_client>(srv.port(), token));
    REQUIRE(sockets.back()->connected());
  }
  http held(srv.port());
  REQUIRE(held.get("/api/v1/items", token).status == 200);  // the fourth place
  // A fifth HTTP client and a fifth socket are refused, without being read.
  http extra(srv.port());
  auto r = extra.get("/api/v1/items", token);
  CHECK(r.status == 429);
  CHECK(r.error_code() == "RATE_LIMITED");
  ws_client refused(srv.port(), token);
  CHECK(!refused.connected());
  CHECK(refused.handshake_status() == 429);
  // A client that connects and sends nothing is answered and closed too.
  raw_connection silent(srv.port());
  REQUIRE(silent.connected());
  CHECK(silent.receive(2000).find("429") != std::string::npos);
  CHECK(silent.closed_within(3000));
  // A socket that leaves frees its place.
  sockets.pop_back();
  std::this_thread::sleep_for(300ms);
  http again(srv.port());
  CHECK(again.get("/api/v1/items", token).status == 200);
}

TEST_CASE("slow headers are dropped after limits.header_timeout_ms but an idle keep-alive connection is not") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("limits", "header_timeout_ms = 500\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  // Slowloris: a request that began and never ends its headers.
  raw_connection slow(srv.port());
  REQUIRE(slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: "));
  for (int i = 0; i < 3 && !slow.closed_within(200); ++i) slow.send("a");
  CHECK(slow.closed_within(3000));
  // A connection idle between requests waits longer than the header timeout.
  raw_connection idle(srv.port());
  std::this_thread::sleep_for(1200ms);
  REQUIRE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(idle.receive(2000).rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("headers over 16 KiB get 431 HEADERS_TOO_LARGE as JSON") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  auto out = raw_exchange(srv.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n", 3000);
  INFO(out);
  CHECK(out.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(out.find("\"HEADERS_TOO_LARGE\"") != std::string::npos);
  http c(srv.port());
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("failed authentications are limited per client address while verified tokens and other addresses pass") {
  temp_dir dir;
  // Refusals at once here (auth_refusal_delay_ms = 0): the next test holds them.
  server_process srv(dir, config_builder()
                              .section("limits", "auth_failures_per_s = 1\nauth_failure_burst = 5\nauth_refusal_delay_ms = 0\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto good = make_token("gail", {"w1"});
  http c(srv.port());
  REQUIRE(c.get("/api/v1/items", good).status == 200);  // verified once: known from now on
  const auto forged = token_bad_signature("gail");
  int unauthorized = 0;
  response limited;
  for (int i = 0; i < 10; ++i) {
    auto r = c.get("/api/v1/items", forged);
    if (r.status == 401) ++unauthorized;
    else if (r.status == 429 && limited.status == 0) limited = r;
  }
  CHECK(unauthorized >= 5);
  CHECK(unauthorized <= 6);
  REQUIRE(limited.status == 429);
  CHECK(limited.error_code() == "RATE_LIMITED");
  CHECK(limited.body.find("failed authentications from 127.0.0.1") != std::string::npos);
  CHECK(!limited.header("Retry-After").empty());
  // The token verified before still works from the same address, for REST and sockets.
  CHECK(c.get("/api/v1/items", good).status == 200);
  ws_client s(srv.port(), good);
  CHECK(s.connected());
  // Forged sockets from the same address are refused before their token is checked.
  ws_client bad(srv.port(), forged);
  CHECK(bad.handshake_status() == 429);
  // Another address has its own budget.
  raw_connection other(srv.port(), "127.0.0.2");
  REQUIRE(other.connected());
  REQUIRE(other.send("GET /api/v1/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + forged + "\r\n\r\n"));
  CHECK(other.receive(2000).rfind("HTTP/1.1 401", 0) == 0);
}

TEST_CASE("past the failed-authentication limit each 429 is held limits.auth_refusal_delay_ms, and verified tokens are not") {
  temp_dir dir;
  server_process srv(dir, config_builder()
                              .section("limits", "auth_failures_per_s = 0.1\nauth_failure_burst = 2\nauth_refusal_delay_ms = 600\n")
                              .str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto good = make_token("gail", {"w1"});
  const auto forged = token_bad_signature("gail");
  http c(srv.port());
  REQUIRE(c.get("/api/v1/items", good).status == 200);
  CHECK(c.get("/api/v1/items", forged).status == 401);
  CHECK(c.get("/api/v1/items", forged).status == 401);
  // The budget is spent: the refusal comes, but no sooner than the delay.
  for (int i = 0; i < 2; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.get("/api/v1/items", forged);
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(r.status == 429);
    CHECK(r.error_code() == "RATE_LIMITED");
    CHECK(took >= 600ms);
  }
  // A forged socket from that address is held and refused the same way.
  const auto t0 = std::chrono::steady_clock::now();
  ws_client bad(srv.port(), forged);
  CHECK(bad.handshake_status() == 429);
  CHECK(std::chrono::steady_clock::now() - t0 >= 600ms);
  // The token verified before is answered as usual, from the same address.
  CHECK(c.get("/api/v1/items", good).status == 200);
}

TEST_CASE("Expect: 100-continue: the body is asked for only when it may come, and one over the limit is refused first") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("alice", {"w1"});
  const std::string body = R"({"workspace":"w1","text":"sent after 100 Continue"})";
  auto head = [&](std::size_t length) {
    return "POST /api/v1/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(length) +
           "\r\nExpect: 100-continue\r\n\r\n";
  };

  // A client that waits (curl does for bodies over 1 KiB) gets 100 first,
  // then the answer to the body it sends.
  raw_connection c(srv.port());
  REQUIRE(c.connected());
  REQUIRE(c.send(head(body.size())));
  const auto interim = c.receive(2000);
  CHECK(interim.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0);
  CHECK(interim.find("201") == std::string::npos);
  REQUIRE(c.send(body));
  const auto answer = c.receive(2000);
  INFO(answer);
  CHECK(answer.rfind("HTTP/1.1 201", 0) == 0);
  CHECK(answer.find("\"queued\"") != std::string::npos);

  // Over limits.max_body_bytes: 413 at once, no 100, and nothing is read.
  raw_connection big(srv.port());
  REQUIRE(big.connected());
  REQUIRE(big.send(head(50u << 20)));
  const auto refused = big.receive(2000);
  INFO(refused);
  CHECK(refused.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(refused.find("100 Continue") == std::string::npos);
  CHECK(refused.find("PAYLOAD_TOO_LARGE") != std::string::npos);
}
