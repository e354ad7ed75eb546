// What the runner checks after each kill and restart (see runner.hpp).
#include <sys/wait.h>

#include <cstdio>
#include <iostream>

#include <boost/json/parse.hpp>

#include "api.hpp"
#include "http.hpp"
#include "runner.hpp"

namespace pwcrash {

namespace {

bool terminal(std::string_view s) { return s == "completed" || s == "partial" || s == "failed" || s == "cancelled"; }

// A stage that completed runs again only after an operator reset it
// (completed -> pending: retry, rerun, rollback). An attempt interrupted by a
// kill runs again (processing -> pending -> processing), a completed one never.
std::string history_problem(const boost::json::array& entries) {
  std::map<std::string, bool> completed;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i].as_object();
    if (e.at("scope").as_string() != "stage") continue;
    const std::string stage(e.at("stage").as_string());
    const auto& to = e.at("to").as_string();
    const bool from_completed = e.at("from").is_string() && e.at("from").as_string() == "completed";
    if (to == "processing" && completed[stage])
      return "stage '" + stage + "' started again after it completed (history entry " + std::to_string(i) + ")";
    if (to == "completed") {
      if (completed[stage]) return "stage '" + stage + "' completed twice (history entry " + std::to_string(i) + ")";
      completed[stage] = true;
    }
    if (from_completed && to != "completed") completed[stage] = false;
  }
  return {};
}

std::string run_capture(const std::string& cmd, int& code) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    code = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace

std::size_t check_items(std::uint16_t port, model& m, bool all) {
  pwtest::http c(port);
  std::size_t looked = 0;
  for (const auto& it : m.snapshot()) {
    if (it.deleted || (it.settled && !all)) continue;
    ++looked;
    const auto& tok = token_of(it.user);
    auto r = c.get("/api/v1/items/" + it.id + "/processing-status", tok);
    if (r.status == 0) return looked;  // the node died (a kill point): the next round checks on
    if (r.status == 404) {
      if (it.delete_unsure) m.deleted(it.id, true);  // the delete was durable before the kill
      else m.problem("item " + it.id + " of " + user_name(it.user) + " was accepted (201) and is gone");
      continue;
    }
    if (r.status != 200) {
      m.problem("GET processing-status of " + it.id + " answered " + std::to_string(r.status) + ": " + r.body);
      continue;
    }
    const std::string status(r.json().as_object().at("status").as_string());
    auto h = c.get("/api/v1/items/" + it.id + "/history", tok);
    if (h.status == 0) return looked;
    if (h.status != 200) {
      m.problem("GET history of " + it.id + " answered " + std::to_string(h.status));
      continue;
    }
    if (auto p = history_problem(h.json().as_object().at("entries").as_array()); !p.empty())
      m.problem("item " + it.id + ": " + p);
    if (terminal(status) || status == "paused") m.settled(it.id);
  }
  return looked;
}

bool wait_all_finished(std::uint16_t port, model& m, std::chrono::seconds timeout) {
  pwtest::http c(port);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto answered_at = std::chrono::steady_clock::now();
  for (const auto& it : m.snapshot()) {
    if (it.deleted) continue;
    const auto& tok = token_of(it.user);
    for (;;) {
      auto s = pwtest::status_of(c, tok, it.id);
      // A node that died (a sanitizer's report, a crash) answers nothing:
      // say so at once instead of polling it until the deadline.
      const auto now = std::chrono::steady_clock::now();
      if (s != "http-0") answered_at = now;
      else if (now - answered_at > std::chrono::seconds(10)) {
        m.problem("the node stopped answering during the final wait (item " + it.id + "): see its log");
        return false;
      }
      if (s == "http-404" && it.delete_unsure) {
        m.deleted(it.id, true);
        break;
      }
      if (terminal(s)) break;
      if (s == "paused") c.post("/api/v1/items/" + it.id + "/resume", "{}", tok);
      if (std::chrono::steady_clock::now() > deadline) {
        m.problem("item " + it.id + " is still " + s + " after the final wait: neither finished nor resumed");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return true;
}

boost::json::object verify_store(const std::string& data_dir, model& m) {
  int code = 0;
  const auto out = run_capture(std::string(pwtest::binary_path()) + " verify --json --data-dir " + data_dir + " 2>&1", code);
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec || !v.is_object()) {
    m.problem("pipewright verify could not check the store (exit " + std::to_string(code) + "): " + out);
    return {};
  }
  auto report = v.as_object();
  for (const auto& p : report.at("problems").as_array()) m.problem("verify: " + std::string(p.as_string()));
  if (code != 0 && report.at("problems").as_array().empty())
    m.problem("pipewright verify exited " + std::to_string(code) + " without naming a problem");
  return report;
}

void check_full_replay(std::uint16_t port, model& m, const event_watch& w) {
  for (int u = 0; u < users; ++u) {
    const auto last = w.last_seq(u);
    pwtest::ws_client s(port, token_of(u), pwtest::ws_options{.since = 0});
    if (!s.connected()) {
      m.problem("replay socket of " + user_name(u) + " did not connect");
      continue;
    }
    const bool got = s.wait_for(
        [&](const auto& frames) {
          std::uint64_t n = 0;
          for (const auto& f : frames)
            if (f.contains("seq")) ++n;
          return n >= last;
        },
        std::chrono::seconds(60));
    std::uint64_t expect = 1;
    for (const auto& f : s.frames()) {
      if (!f.contains("seq")) continue;
      const auto seq = f.at("seq").to_number<std::uint64_t>();
      if (seq != expect) {
        m.problem(user_name(u) + ": the replay from 0 has seq " + std::to_string(seq) + " where " + std::to_string(expect) +
                  " belongs");
        break;
      }
      ++expect;
    }
    if (!got) m.problem(user_name(u) + ": the replay from 0 stopped before seq " + std::to_string(last));
  }
}

bool wait_ready_or_dead(pwtest::server_process& srv, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pwtest::http c(srv.port());
  while (std::chrono::steady_clock::now() < deadline) {
    if (c.get("/readyz").status == 200) return true;
    if (srv.wait_exit(std::chrono::milliseconds(5))) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  return false;
}

std::string kill_point_hit(const std::string& log, std::size_t from) {
  static const std::string tag = "event=kill_point.hit name=";
  auto at = log.find(tag, from);
  if (at == std::string::npos) return {};
  at += tag.size();
  return log.substr(at, log.find(' ', at) - at);
}

void event_watch::connect(int view, std::uint16_t port) {
  auto& v = views_[view];
  pwtest::ws_options o;
  if (view == admin_view) o.extra_query = "&admins_since=" + std::to_string(v.last);
  else o.since = v.last;
  v.socket = std::make_unique<pwtest::ws_client>(port, view == admin_view ? admin_token() : token_of(view), o);
  v.consumed = 0;
  if (!v.socket->connected() && node_alive_())
    model_.problem("socket of " + (view == admin_view ? std::string("root") : user_name(view)) + " did not connect (HTTP " +
                   std::to_string(v.socket->handshake_status()) + ")");
}

void event_watch::connect_all(std::uint16_t port, const std::function<bool()>& node_alive) {
  node_alive_ = node_alive;
  for (int v = 0; v <= users; ++v) connect(v, port);
}

void event_watch::absorb() {
  for (int i = 0; i <= users; ++i) {
    auto& v = views_[i];
    if (!v.socket) continue;
    const auto frames = v.socket->frames();
    for (std::size_t k = v.consumed; k < frames.size(); ++k) {
      const auto& f = frames[k];
      const auto* type = f.if_contains("type");
      if (type && type->is_string() && type->as_string() == "replay.truncated") {
        model_.problem("socket " + std::to_string(i) + ": replay.truncated although nothing is trimmed");
        continue;
      }
      if (!f.contains("seq")) continue;  // pong
      const bool admins = f.contains("room") && f.at("room") == "admins";
      if (admins != (i == admin_view)) continue;  // root's own room: no items, no events
      const auto seq = f.at("seq").to_number<std::uint64_t>();
      if (seq != v.last + 1)
        model_.problem((i == admin_view ? std::string("admins room") : user_name(i)) + ": seq " + std::to_string(seq) +
                       " after " + std::to_string(v.last) + (seq <= v.last ? " (a repeat)" : " (a gap)"));
      v.last = std::max(v.last, seq);
      ++v.frames;
    }
    v.consumed = frames.size();
  }
}

void event_watch::replay_one(std::uint16_t port, std::mt19937_64& rng) {
  const int i = static_cast<int>(rng() % (users + 1));
  absorb();
  views_[i].socket->drop();
  views_[i].socket.reset();
  connect(i, port);
}

void event_watch::close_all() {
  absorb();
  for (auto& v : views_) v.socket.reset();
}

std::uint64_t event_watch::total_frames() const {
  std::uint64_t n = 0;
  for (const auto& v : views_) n += v.frames;
  return n;
}

}  // namespace pwcrash
