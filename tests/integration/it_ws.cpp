// The WebSocket surface: replay with ?since= after a disconnect, trimmed
// history reported, ping/pong, keep-alive and dead-socket drop, frame size
// and message rate limits, and a slow socket that never slows the others.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <set>
#include <thread>

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "api.hpp"
#include "config.hpp"
#include "process.hpp"
#include "scrape.hpp"
#include "tokens.hpp"
#include "ws.hpp"

using namespace pwtest;
using namespace std::chrono_literals;

namespace {

std::uint64_t seq_of(const boost::json::object& f) {
  auto* s = f.if_contains("seq");
  return s ? s->to_number<std::uint64_t>() : 0;
}

std::uint64_t last_seq(const std::vector<boost::json::object>& frames) {
  std::uint64_t last = 0;
  for (auto& f : frames) last = std::max(last, seq_of(f));
  return last;
}

std::uint64_t last_seq(const ws_client& ws) { return last_seq(ws.frames()); }

bool wait_closed(ws_client& ws, std::chrono::milliseconds timeout) {
  ws.wait_for([](auto&) { return false; }, timeout);  // returns when the socket closes
  return ws.closed();
}

// A client that upgrades and then never answers anything (a vanished peer):
// how long until the server closes the connection, or nullopt when it has
// not within `limit`.
std::optional<std::chrono::milliseconds> silent_client_lifetime(std::uint16_t port, const std::string& token,
                                                                std::chrono::milliseconds limit) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return close(fd), std::nullopt;
  const std::string upgrade = "GET /api/v1/ws?token=" + token +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  ::send(fd, upgrade.data(), upgrade.size(), MSG_NOSIGNAL);
  const auto start = std::chrono::steady_clock::now();
  char buf[4096];
  std::string head;
  for (;;) {
    const auto left = limit - (std::chrono::steady_clock::now() - start);
    if (left <= std::chrono::milliseconds(0)) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(left).count())) <= 0) break;
    auto n = recv(fd, buf, sizeof buf, 0);  // reads pings, never answers them
    if (n <= 0) {
      close(fd);
      if (head.rfind("HTTP/1.1 101", 0) != 0) return std::nullopt;
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    }
    if (head.size() < 64) head.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return std::nullopt;
}

std::string type_of(const boost::json::object& f) { return std::string(f.at("type").as_string()); }

// Submits items until `ws` has seen at least `events` more frames.
void generate_events(http& c, const std::string& token, ws_client& witness, std::size_t events) {
  const auto target = witness.count() + events;
  std::vector<std::string> ids;
  while (witness.count() < target) {
    ids.push_back(submit(c, token, "w1", "event source " + std::to_string(ids.size())));
    REQUIRE(wait_terminal(c, token, {ids.back()}, 10s));
    witness.wait_for([&](auto& frames) { return !frames.empty() && frames.back().at("type").as_string() == "item.completed"; }, 2s);
  }
}

}  // namespace

TEST_CASE("replay: a socket away for 200 events reconnects with since and gets every event once, in order") {
  // On threads of their own (the default) and on the HTTP threads.
  const int ws_threads = GENERATE(1, 0);
  INFO("server.ws_threads = " << ws_threads);
  temp_dir dir;
  server_process srv(dir, config_builder().section("server", "ws_threads = " + std::to_string(ws_threads) + "\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("ivy", {"w1"});
  ws_client witness(srv.port(), token);  // connected throughout
  auto away = std::make_unique<ws_client>(srv.port(), token);
  REQUIRE(witness.connected());
  REQUIRE(away->connected());
  std::this_thread::sleep_for(100ms);

  generate_events(c, token, witness, 20);
  REQUIRE(away->wait_for([&](auto& f) { return f.size() == witness.count(); }, 5s));
  const auto resume_from = last_seq(*away);
  REQUIRE(resume_from > 0);
  away.reset();  // disconnected

  generate_events(c, token, witness, 200);
  ws_client back(srv.port(), token, {.since = resume_from});
  REQUIRE(back.connected());
  const auto newest = last_seq(witness);
  REQUIRE(back.wait_for([&](auto& f) { return last_seq(f) >= newest; }, 10s));
  std::this_thread::sleep_for(200ms);

  // Exactly the witness's frames after resume_from: once each, in order.
  std::vector<std::string> expected, got;
  for (auto& f : witness.frames())
    if (seq_of(f) > resume_from) expected.push_back(boost::json::serialize(f));
  std::uint64_t prev = resume_from;
  for (auto& f : back.frames()) {
    INFO(boost::json::serialize(f));
    REQUIRE(seq_of(f) == prev + 1);  // consecutive: nothing missing, nothing twice
    prev = seq_of(f);
    got.push_back(boost::json::serialize(f));
  }
  CHECK(expected.size() >= 200);
  CHECK(got == expected);

  // Live events keep flowing after the replay, still without a gap.
  auto id = submit(c, token, "w1", "after the replay");
  REQUIRE(back.wait_for([&](auto& frames) {
    for (auto& f : frames)
      if (f.at("type").as_string() == "item.completed" && f.at("item_id").as_string() == id) return true;
    return false;
  }, 10s));
  prev = resume_from;
  for (auto& f : back.frames()) {
    CHECK(seq_of(f) == prev + 1);
    prev = seq_of(f);
  }
}

TEST_CASE("a replay cursor that is not a count is refused with 400 before the upgrade, a good one connects") {
  temp_dir dir;
  server_process srv(dir, config_builder().str());
  srv.start();
  REQUIRE(srv.wait_ready());
  auto token = make_token("kim", {"w1"});
  for (const char* bad : {"&since=abc", "&since=-1", "&since=", "&admins_since=12345678901234567890", "&since=1e3"}) {
    ws_client refused(srv.port(), token, {.extra_query = bad});
    INFO(bad);
    CHECK_FALSE(refused.connected());
    CHECK(refused.handshake_status() == 400);
  }
  ws_client good(srv.port(), token, {.extra_query = "&since=0&admins_since=18446744073709551"});
  CHECK(good.connected());
  // The server went on serving.
  http c(srv.port());
  CHECK(c.get("/readyz").status == 200);
}

TEST_CASE("trimmed history is reported in a replay.truncated frame, then what is kept follows") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("store", "event_retention = 40\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("jon", {"w1"});
  ws_client witness(srv.port(), token);
  REQUIRE(witness.connected());
  std::this_thread::sleep_for(100ms);
  generate_events(c, token, witness, 120);
  const auto newest = last_seq(witness);

  ws_client late(srv.port(), token, {.since = 3});
  REQUIRE(late.wait_for([&](auto& f) { return last_seq(f) >= newest; }, 10s));
  auto frames = late.frames();
  REQUIRE(!frames.empty());
  INFO(boost::json::serialize(frames.front()));
  REQUIRE(type_of(frames.front()) == "replay.truncated");
  const auto first = frames.front().at("first_available").to_number<std::uint64_t>();
  CHECK(frames.front().at("since").to_number<std::uint64_t>() == 3);
  CHECK(first > 4);
  CHECK(newest - first + 1 < 40 + 64);  // event_retention kept, trimmed every 64 events
  std::uint64_t prev = first - 1;
  for (std::size_t i = 1; i < frames.size(); ++i) {
    CHECK(seq_of(frames[i]) == prev + 1);
    prev = seq_of(frames[i]);
  }

  // Asking from a seq that is still kept: no truncation frame.
  ws_client recent(srv.port(), token, {.since = newest - 5});
  REQUIRE(recent.wait_for([&](auto& f) { return f.size() >= 5; }, 5s));
  for (auto& f : recent.frames()) CHECK(type_of(f) != "replay.truncated");
}

TEST_CASE("ping/pong: a JSON ping is answered, an idle live socket stays open, a dead one is dropped") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("limits", "ws_idle_timeout_ms = 600\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("kim", {"w1"});

  ws_client pinger(srv.port(), token, {.send_first = {R"({"type":"ping"})"}});
  REQUIRE(pinger.wait_for([](auto& f) { return !f.empty() && f.back().at("type").as_string() == "pong"; }, 5s));

  // The client answers the server's protocol pings while reading: after
  // several idle timeouts it is still open and still gets events.
  ws_client idle(srv.port(), token);
  REQUIRE(idle.connected());
  // A peer that answers no ping is dropped after about the idle timeout.
  auto lifetime = silent_client_lifetime(srv.port(), token, 5s);
  REQUIRE(lifetime);
  CHECK(*lifetime >= 300ms);
  CHECK(*lifetime < 3s);
  std::this_thread::sleep_for(1000ms);
  CHECK(!idle.closed());
  auto id = submit(c, token, "w1", "still there?");
  CHECK(idle.wait_for([&](auto& frames) {
    for (auto& f : frames)
      if (f.at("type").as_string() == "item.completed" && f.at("item_id").as_string() == id) return true;
    return false;
  }, 10s));
}

TEST_CASE("limits on what clients send: an oversized frame closes with 1009, a message flood with 1008") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("limits", "ws_max_frame_bytes = 1024\nws_max_messages_per_s = 5\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  http c(srv.port());
  auto token = make_token("lee", {"w1"});

  ws_client big(srv.port(), token, {.send_first = {std::string(2048, 'x')}});
  REQUIRE(wait_closed(big, 3s));
  CHECK(big.close_code() == 1009);

  std::vector<std::string> flood(20, R"({"type":"ping"})");
  ws_client chatty(srv.port(), token, {.send_first = flood});
  REQUIRE(wait_closed(chatty, 3s));
  CHECK(chatty.close_code() == 1008);

  // A well-behaved socket of the same user is unaffected, and so is the server.
  ws_client polite(srv.port(), token, {.send_first = {R"({"type":"ping"})"}});
  CHECK(polite.wait_for([](auto& f) { return !f.empty() && f.back().at("type").as_string() == "pong"; }, 5s));
  auto id = submit(c, token, "w1", "the server goes on");
  CHECK(wait_terminal(c, token, {id}, 10s));
  CHECK(!polite.closed());
}

TEST_CASE("a slow socket never slows the others: it is closed with 4001 and catches up with since") {
  constexpr int items = 4000;
  temp_dir dir;
  // The queue bound is above what a busy reader lags behind by on two shared
  // cores, and far below the ~60,000 frames the paused socket is sent.
  server_process srv(dir, config_builder().section("limits", "ws_send_queue = 16384\n").section("store", "event_retention = 200000\n").str());
  // Items arrive at about 1,000 a second (15,000 frames a second): a reader
  // that keeps reading keeps up; one that stops falls behind by thousands.
  srv.start();
  REQUIRE(srv.wait_ready());
  auto token = make_token("max", {"w1"});
  ws_client fast(srv.port(), token);
  ws_client slow(srv.port(), token);
  REQUIRE(fast.connected());
  REQUIRE(slow.connected());
  slow.pause_reading(true);
  std::this_thread::sleep_for(100ms);

  std::vector<std::thread> submitters;
  std::atomic<int> refused{0};
  std::mutex mu;
  std::set<std::string> ids;
  for (int t = 0; t < 4; ++t)
    submitters.emplace_back([&, t] {
      http c(srv.port());
      for (int k = t; k < items; k += 4) {
        auto r = c.post("/api/v1/items", item_body("w1", "flood " + std::to_string(k)), token);
        if (r.status != 201) {  // Catch is not thread-safe: checked after the join
          ++refused;
          continue;
        }
        std::this_thread::sleep_for(4ms);
        std::lock_guard lock(mu);
        ids.insert(std::string(r.json().at("id").as_string()));
      }
    });
  for (auto& t : submitters) t.join();
  REQUIRE(refused == 0);

  auto completions = [&](const std::vector<boost::json::object>& frames) {
    std::set<std::string> done;
    for (auto& f : frames)
      if (f.at("type").as_string() == "item.completed") done.insert(std::string(f.at("item_id").as_string()));
    return done;
  };
  // The predicate runs under the client's lock on every frame: keep it incremental.
  std::set<std::string> fast_done;
  std::size_t scanned = 0;
  const bool all = fast.wait_for([&](auto& frames) {
    for (; scanned < frames.size(); ++scanned)
      if (frames[scanned].at("type").as_string() == "item.completed")
        fast_done.insert(std::string(frames[scanned].at("item_id").as_string()));
    return fast_done.size() == ids.size();
  }, 60s);
  INFO("fast socket: " << fast_done.size() << " completions, close code " << fast.close_code().value_or(0));
  REQUIRE(all);
  CHECK(!fast.closed());

  slow.pause_reading(false);
  REQUIRE(wait_closed(slow, 5s));
  CHECK(slow.close_code() == 4001);
  CHECK(srv.log().find("event=ws.overflow") != std::string::npos);

  // Catching up: everything after the last frame it got.
  ws_client again(srv.port(), token, {.since = last_seq(slow)});
  auto seen = completions(slow.frames());
  std::size_t again_scanned = 0;
  REQUIRE(again.wait_for([&](auto& frames) {
    for (; again_scanned < frames.size(); ++again_scanned)
      if (frames[again_scanned].at("type").as_string() == "item.completed")
        seen.insert(std::string(frames[again_scanned].at("item_id").as_string()));
    return seen.size() == ids.size();
  }, 30s));
}

TEST_CASE("a socket that stops reading for good: closed with 4001, sent nothing more, dropped after ws_idle_timeout") {
  temp_dir dir;
  server_process srv(dir, config_builder().section("limits", "ws_send_queue = 256\nws_idle_timeout_ms = 3000\n").str());
  srv.start();
  REQUIRE(srv.wait_ready());
  const auto token = make_token("gone", {"w1"});
  const auto admin = make_token("root", {"*"}, "admin");
  ws_client stuck(srv.port(), token);
  REQUIRE(stuck.connected());
  stuck.pause_reading(true);  // for good: never takes the close frame either
  std::this_thread::sleep_for(100ms);

  // Events until the kernel's buffers and the queue of 256 are full.
  std::atomic<bool> overflowed{false};
  std::atomic<int> refused{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t)
    submitters.emplace_back([&, t] {
      http c(srv.port());
      for (int k = t; k < 20000 && !overflowed; k += 4) {
        if (c.post("/api/v1/items", item_body("w1", "stuck " + std::to_string(k)), token).status != 201) ++refused;
        if (k % 64 < 4) overflowed = srv.log().find("event=ws.overflow user=gone") != std::string::npos;
      }
    });
  for (auto& t : submitters) t.join();
  REQUIRE(refused == 0);
  REQUIRE(overflowed);

  // Closing, it takes no more events: 100 more items (~1,500 events) are not
  // even counted as dropped for it.
  http c(srv.port());
  const auto dropped_before = at(samples(metrics_text(c, admin)), "pw_ws_frames_dropped_total");
  std::vector<std::string> more;
  for (int k = 0; k < 100; ++k) {
    auto r = c.post("/api/v1/items", item_body("w1", "after " + std::to_string(k)), token);
    REQUIRE(r.status == 201);
    more.push_back(std::string(r.json().at("id").as_string()));
  }
  REQUIRE(wait_terminal(c, token, more, 20s));
  const auto dropped_after = at(samples(metrics_text(c, admin)), "pw_ws_frames_dropped_total");
  CHECK(dropped_after - dropped_before < 100);

  // It never takes the close frame: dropped once the idle timeout passed,
  // its connection freed.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = at(samples(metrics_text(c, admin)), "pw_ws_connections") == 0;
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  INFO("server log:\n" << srv.log().substr(srv.log().size() > 3000 ? srv.log().size() - 3000 : 0));
  CHECK(gone);
}
