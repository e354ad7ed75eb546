// Mixed load for the crash test and the soak: submitters and an operator
// acting on random items, each on its own keep-alive connection. Every
// answer is checked against what the runner knows: a known item is never
// 404 unless it was deleted; nothing answers 500.
#include <chrono>

#include <boost/json/parse.hpp>

#include "api.hpp"
#include "http.hpp"
#include "runner.hpp"

namespace pwcrash {

namespace {

const char* const sentences[] = {
    "The app crashes when I open settings on Android",
    "Checkout fails with a 500 error after I enter my card",
    "Love the new dark mode, great work!",
    "Export to CSV is slow and times out for large workspaces",
    "Login with SSO loops back to the sign-in page",
    "Please add keyboard shortcuts to the editor",
    "The invoice PDF shows the wrong currency",
    "Search does not find items by their title",
    "Urgent: data loss after sync, all my notes are gone",
    "Notifications arrive twice on iOS",
};

std::string text_for(std::mt19937_64& rng) {
  std::string t = sentences[rng() % std::size(sentences)];
  if (rng() % 3 == 0) t += " (" + std::to_string(rng() % 1000) + ")";
  return t;
}

bool known_status(int s) { return s == 0 || s == 503 || s == 429 || (s >= 200 && s < 500); }

}  // namespace

load::load(std::uint16_t port, model& m, std::uint64_t seed, int round, double rate_per_s, std::size_t keep)
    : port_(port), model_(m), seed_(seed), round_(round), rate_(rate_per_s), keep_(keep) {
  for (int k = 0; k < 2; ++k) threads_.emplace_back([this, k] { submitter(k); });
  threads_.emplace_back([this] { operator_loop(); });
  if (keep_ > 0) threads_.emplace_back([this] { retention(); });
}

load::~load() { stop(); }

void load::stop() {
  stopping_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

void load::submitter(int k) {
  std::mt19937_64 rng(seed_ * 7919 + static_cast<std::uint64_t>(k));
  pwtest::http c(port_);
  const auto gap = rate_ > 0 ? std::chrono::duration<double>(2.0 / rate_) : std::chrono::duration<double>(0);
  auto next = std::chrono::steady_clock::now();
  int failures = 0;
  while (!stopping_) {
    if (rate_ > 0) {
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(gap);
      std::this_thread::sleep_until(next);
    }
    const int u = static_cast<int>(rng() % users);
    const auto body = pwtest::item_body(rng() % 2 ? "ws-a" : "ws-b", text_for(rng));
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token_of(u)}};
    // Some POSTs carry an Idempotency-Key; some repeat an earlier one, which
    // must answer the item it answered then, across restarts too.
    std::optional<model::keyed> again;
    std::string key;
    if (rng() % 10 == 0) again = model_.random_key(rng);
    else if (rng() % 7 == 0) key = "k-" + std::to_string(seed_) + "-" + std::to_string(rng());
    if (again) headers["Idempotency-Key"] = again->key;
    else if (!key.empty()) headers["Idempotency-Key"] = key;
    const auto r = again ? c.send("POST", "/api/v1/items", again->body, {{"Authorization", "Bearer " + token_of(again->user)},
                                                                          {"Idempotency-Key", again->key},
                                                                          {"Content-Type", "application/json"}})
                         : c.send("POST", "/api/v1/items", body, [&] {
                             headers["Content-Type"] = "application/json";
                             return headers;
                           }());
    if (r.status == 0) {
      if (++failures > 3) return;  // the node is gone
      continue;
    }
    failures = 0;
    if (r.status == 201 || r.status == 200) {
      boost::system::error_code ec;
      auto v = boost::json::parse(r.body, ec);
      if (ec || !v.is_object() || !v.as_object().contains("id")) {
        model_.problem("POST /items answered " + std::to_string(r.status) + " without an id: " + r.body);
        continue;
      }
      const std::string id(v.as_object().at("id").as_string());
      if (again) {
        if (id != again->id)
          model_.problem("Idempotency-Key " + again->key + " answered item " + id + ", it answered " + again->id + " before");
        continue;
      }
      model_.accepted(id, u, round_);
      ++accepted_;
      if (!key.empty()) model_.remember_key({key, body, id, u});
    } else if (!known_status(r.status) || r.status >= 500 && r.status != 503) {
      model_.problem("POST /items answered " + std::to_string(r.status) + ": " + r.body);
    }
  }
}

// A client's retention policy: beyond `keep_` items, the oldest goes.
void load::retention() {
  pwtest::http c(port_);
  int failures = 0;
  while (!stopping_) {
    auto it = model_.oldest_beyond(keep_);
    if (!it) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    model_.deleted(it->id, false);  // in flight: the operator may meet it gone before the answer is back
    const auto r = c.send("DELETE", "/api/v1/items/" + it->id, "", {{"Authorization", "Bearer " + token_of(it->user)}});
    if (r.status == 0) {
      if (++failures > 3) return;  // the node is gone
      continue;
    }
    failures = 0;
    ++actions_;
    if ((r.status >= 200 && r.status < 300) || (r.status == 404 && (it->delete_unsure || model_.maybe_deleted(it->id)))) {
      model_.deleted(it->id, true);
    } else if (r.status == 404) {
      model_.problem("retention: delete " + it->id + " answered 404: an accepted item is gone (" + r.body + ")");
      model_.deleted(it->id, true);
    } else if (r.status >= 500 && r.status != 503) {
      model_.problem("retention: delete " + it->id + " answered " + std::to_string(r.status) + ": " + r.body);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // 429 or 503: later
    }
  }
}

void load::operator_loop() {
  std::mt19937_64 rng(seed_ * 104729 + 17);
  pwtest::http c(port_);
  int failures = 0;
  while (!stopping_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 20));
    auto it = model_.pick(rng);
    if (!it) continue;
    const auto& tok = token_of(it->user);
    const std::string base = "/api/v1/items/" + it->id;
    const auto dice = rng() % 100;
    std::string what;
    pwtest::response r;
    if (dice < 30) {
      what = "GET";
      r = c.get(base, tok);
    } else if (dice < 42) {
      what = "pause";
      r = c.post(base + "/pause", "{}", tok);
    } else if (dice < 58) {
      what = "resume";
      r = c.post(base + "/resume", "{}", tok);
    } else if (dice < 61) {
      what = "cancel";
      r = c.post(base + "/cancel", "{}", tok);
    } else if (dice < 71) {
      what = "rerun";
      r = c.post(base + "/retry", "", tok);
    } else if (dice < 79) {
      what = "retry theme";
      r = c.post(base + "/retry", "{\"stages\":[\"theme\"]}", tok);
    } else if (dice < 84) {
      what = "rollback";
      r = c.post(base + "/rollback", "{\"stage\":\"theme\"}", tok);
    } else if (dice < 87) {
      what = "delete";
      model_.deleted(it->id, false);  // in flight (the retention thread may ask the item meanwhile)
      r = c.send("DELETE", base, "", {{"Authorization", "Bearer " + tok}});
    } else if (dice < 92) {
      what = "dlq requeue";
      auto list = c.get("/api/v1/admin/dlq?limit=3", admin_token());
      if (list.status == 200) {
        std::string ids;
        const auto doc = list.json();  // kept: a range-for over a part of a temporary would dangle
        for (const auto& e : doc.as_object().at("items").as_array()) {
          const auto& o = e.as_object();
          if (!ids.empty()) ids += ',';
          ids += "\"" + std::string(o.at("item_id").as_string()) + ":" + std::string(o.at("stage").as_string()) + "\"";
        }
        if (!ids.empty()) r = c.post("/api/v1/admin/dlq/requeue", "{\"ids\":[" + ids + "]}", admin_token());
        else r.status = 200;
      } else {
        r = list;
      }
    } else if (dice < 93) {
      what = "retry-failed";
      r = c.post("/api/v1/workspaces/ws-a/ai/retry-failed", "{}", tok);
    } else {
      what = "history";
      r = c.get(base + "/history", tok);
    }
    if (r.status == 0) {
      if (what == "delete") model_.deleted(it->id, false);
      if (++failures > 3) return;
      continue;
    }
    failures = 0;
    ++actions_;
    if (what != "GET" && what != "history") model_.touched(it->id);
    if (what == "delete" && r.status >= 200 && r.status < 300) model_.deleted(it->id, true);
    if (r.status == 404 && !it->deleted && !it->delete_unsure && what != "dlq requeue" && what != "retry-failed" &&
        !model_.maybe_deleted(it->id))
      model_.problem(what + " " + it->id + " answered 404: an accepted item is gone (" + r.body + ")");
    if (r.status >= 500 && r.status != 503)
      model_.problem(what + " " + it->id + " answered " + std::to_string(r.status) + ": " + r.body);
  }
}

}  // namespace pwcrash
