#include "report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <boost/json.hpp>

#include "run.hpp"

namespace pwlg {

namespace json = boost::json;

namespace {

json::value number_or_null(double v) { return std::isnan(v) ? json::value(nullptr) : json::value(v); }

double round_to(double v, double unit) { return std::round(v / unit) * unit; }

const json::value* field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string as_text(const json::value* v) {
  if (!v) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  return {};
}

}  // namespace

run_state::run_state(const options& opt)
    : opt_(opt),
      warmup_(opt.warmup),
      total_(opt.warmup + opt.n),
      sockets_per_user_(opt.sockets_per_user),
      origin_(std::chrono::steady_clock::now()) {
  for (int u = 0; u < opt.users; ++u) {
    users.push_back(opt.prefix + "u" + std::to_string(u + 1));
    if (opt.api == api_kind::pipewright) tokens.push_back(make_jwt(opt.secret, users.back(), 86400));
  }
  const auto texts = make_texts(total_);
  bodies.reserve(texts.size());
  for (long i = 0; i < total_; ++i) {
    owner.push_back(static_cast<int>(i % opt.users));
    json::object b;
    if (opt.api == api_kind::anchor) b["user"] = users[owner.back()];
    b["workspace"] = opt.prefix + "w" + std::to_string(i % opt.workspaces);
    b["text"] = texts[i];
    bodies.push_back(json::serialize(b));
  }
  sent.assign(total_, std::nan(""));
  post_lat_.assign(total_, std::nan(""));
  e2e_.assign(total_, std::nan(""));
  hits_.assign(static_cast<std::size_t>(total_) * sockets_per_user_, 0);
  id_to_item_.reserve(static_cast<std::size_t>(total_) * 2);
}

double run_state::now() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - origin_).count();
}

void run_state::deliver(long item, int user, int slot, double t) {
  if (owner[item] != user) {
    ++misdelivered_;
    return;
  }
  auto& h = hits_[static_cast<std::size_t>(item) * sockets_per_user_ + slot];
  if (++h != 1) return;  // a duplicate, counted at the end
  if (std::isnan(e2e_[item])) e2e_[item] = t - sent[item];
  for (int s = 0; s < sockets_per_user_; ++s)
    if (hits_[static_cast<std::size_t>(item) * sockets_per_user_ + s] == 0) return;
  if (item >= warmup_) {
    completion_times_.push_back(t);
    t_last_complete_ = t;
    ++fully_done;
  }
  if (item >= ph_from && item < ph_to) ++ph_done;
}

void run_state::on_message(int user, int slot, std::string_view data, double t) {
  boost::system::error_code ec;
  auto v = json::parse(data, ec);
  if (ec || !v.is_object()) {
    ++bad_messages_;
    return;
  }
  const auto& m = v.as_object();
  const auto type = as_text(field(m, "type"));
  if (type == "item.failed") {
    ++failed_events_;
    return;
  }
  if (type != "item.completed") return;
  const auto id = as_text(field(m, opt_.api == api_kind::anchor ? "id" : "item_id"));
  auto it = id_to_item_.find(id);
  if (it == id_to_item_.end()) {
    early_[id].push_back({user, slot, t});
    return;
  }
  deliver(it->second, user, slot, t);
}

void run_state::post_failed(const std::string& status_key, const std::string& message) {
  ++post_status_[status_key];
  ++post_errors_;
  ++ph_errors;
  if (post_errors_ < 5 && !opt_.quiet) std::fprintf(stderr, "[pw-loadgen] post error: %s\n", message.c_str());
}

void run_state::post_answered(long item, unsigned status, const std::string& body, double t) {
  ++post_status_[std::to_string(status)];
  if (status != 201) {
    --post_status_[std::to_string(status)];
    return post_failed(std::to_string(status), "HTTP " + std::to_string(status) + " " + body.substr(0, 200));
  }
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  const auto id = ec || !v.is_object() ? std::string() : as_text(field(v.as_object(), "id"));
  if (id.empty()) return post_failed("bad_body", "201 without an id: " + body.substr(0, 200));
  post_lat_[item] = t - sent[item];
  if (!id_to_item_.emplace(id, item).second) return post_failed("duplicate_id", "duplicate id from server " + id);
  ids_in_order_.push_back(id);
  if (auto e = early_.find(id); e != early_.end()) {
    auto events = std::move(e->second);
    early_.erase(e);
    for (const auto& ev : events) deliver(item, ev.user, ev.slot, ev.t);
  }
  if (item >= warmup_) t_last_post_ = now();
}

void run_state::begin_phase(long from, long to) {
  ph_from = ph_next = from;
  ph_to = to;
  ph_done = ph_errors = 0;
}

void run_state::start_measuring() {
  cpu0_ = take_cpu_snapshot(opt_.pids);
  own_cpu0_ = own_cpu_seconds();
  t_start_ = now();
}

void run_state::stop_measuring() {
  t_end_ = now();
  cpu1_ = take_cpu_snapshot(opt_.pids);
  own_cpu1_ = own_cpu_seconds();
}

std::vector<std::pair<std::string, long>> run_state::verify_sample(int m) const {
  std::vector<std::pair<std::string, long>> out;
  const auto count = std::min<std::size_t>(static_cast<std::size_t>(m), ids_in_order_.size());
  for (std::size_t k = 0; k < count; ++k) {
    const auto& id = ids_in_order_[k * ids_in_order_.size() / count];
    out.emplace_back(id, id_to_item_.at(id));
  }
  return out;
}

void run_state::verify_answer(const std::string& id, long item, int status, const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  bool ok = status == 200 && !ec && v.is_object();
  if (ok) {
    const auto& o = v.as_object();
    std::string who;
    if (opt_.api == api_kind::anchor) {
      const auto* r = field(o, "result");
      who = r && r->is_object() ? as_text(field(r->as_object(), "user")) : "";
    } else {
      who = as_text(field(o, "owner"));
    }
    ok = as_text(field(o, "id")) == id && as_text(field(o, "status")) == "completed" && who == users[owner[item]];
  }
  ++(ok ? verify_ok_ : verify_bad_);
}

json::object run_state::report() const {
  long lost = 0, dup = 0;
  for (long i = 0; i < total_; ++i) {
    if (std::isnan(post_lat_[i])) continue;  // POST failed: no id to expect
    for (int s = 0; s < sockets_per_user_; ++s) {
      const auto h = hits_[static_cast<std::size_t>(i) * sockets_per_user_ + s];
      if (h == 0) ++lost;
      else if (h > 1) dup += h - 1;
    }
  }
  long unmatched = 0;
  for (const auto& [id, events] : early_) unmatched += static_cast<long>(events.size());

  auto ct = completion_times_;
  std::sort(ct.begin(), ct.end());
  auto q = [&](double p) { return ct[std::min(ct.size() - 1, static_cast<std::size_t>(std::floor(p * ct.size())))]; };
  const double steady = ct.size() >= 10 ? 0.8 * ct.size() / ((q(0.9) - q(0.1)) / 1000.0) : std::nan("");
  json::array series;
  for (double t : ct) {
    const auto b = static_cast<std::size_t>(std::max(0.0, (t - t_start_) / 1000.0));
    while (series.size() <= b) series.push_back(0);
    series[b] = series[b].as_int64() + 1;
  }
  const std::vector<double> post(post_lat_.begin() + warmup_, post_lat_.end());
  const std::vector<double> e2e(e2e_.begin() + warmup_, e2e_.end());
  auto pcts = [](const std::vector<double>& v) {
    return json::object{{"p50", number_or_null(percentile(v, 50))}, {"p90", number_or_null(percentile(v, 90))},
                        {"p99", number_or_null(percentile(v, 99))}, {"max", number_or_null(percentile(v, 100))}};
  };
  json::object status;
  for (const auto& [k, n] : post_status_) status[k] = n;

  json::object r;
  r["label"] = opt_.label;
  r["api"] = opt_.api == api_kind::anchor ? "anchor" : "pipewright";
  r["outcome"] = outcome;
  r["params"] = {{"base", opt_.base}, {"ws", opt_.ws}, {"n", opt_.n}, {"warmup", opt_.warmup}, {"c", opt_.c},
                 {"users", opt_.users}, {"socketsPerUser", opt_.sockets_per_user}, {"rate", opt_.rate}};
  r["posted_ok"] = static_cast<std::int64_t>(ids_in_order_.size());
  r["post_errors"] = post_errors_;
  r["post_status"] = std::move(status);
  r["completed"] = fully_done;
  r["lost"] = lost;
  r["duplicates"] = dup;
  r["misdelivered"] = misdelivered_;
  r["unmatched_events"] = unmatched;
  r["failed_events"] = failed_events_;
  r["bad_messages"] = bad_messages_;
  r["verify_get"] = {{"ok", verify_ok_}, {"bad", verify_bad_}, {"not_found_status", not_found_status}};
  r["post_ms"] = pcts(post);
  r["e2e_ms"] = pcts(e2e);
  r["wall_s"] = round_to((t_end_ - t_start_) / 1000.0, 0.001);
  r["post_phase_s"] = round_to((t_last_post_ - t_start_) / 1000.0, 0.001);
  r["posts_per_s"] = round_to(static_cast<double>(opt_.n - (post_errors_)) / ((t_last_post_ - t_start_) / 1000.0), 0.1);
  r["completed_per_s"] = round_to(static_cast<double>(fully_done) / ((t_last_complete_ - t_start_) / 1000.0), 0.1);
  r["completed_per_s_steady_p10_p90"] = number_or_null(std::isnan(steady) ? steady : round_to(steady, 0.1));
  r["completions_per_second_series"] = std::move(series);
  r["loadgen_cpu_s"] = round_to(own_cpu1_ - own_cpu0_, 0.01);
  if (!opt_.pids.empty()) {
    json::object cpu{{"window_s", round_to((t_end_ - t_start_) / 1000.0, 0.001)},
                     {"loadgen", round_to(own_cpu1_ - own_cpu0_, 0.01)}};
    json::object rss;
    for (const auto& w : opt_.pids) {
      cpu[w.name] = number_or_null(round_to(cpu1_.processes.at(w.name) - cpu0_.processes.at(w.name), 0.01));
      rss[w.name] = round_to(peak_rss_mb(w.pid), 0.1);
    }
    cpu["system_busy"] = round_to(cpu1_.system_busy - cpu0_.system_busy, 0.01);
    cpu["system_capacity"] = round_to(cpu1_.system_total - cpu0_.system_total, 0.01);
    r["cpu_s"] = std::move(cpu);
    r["peak_rss_mb"] = std::move(rss);
  }
  if (opt_.post_only) {
    r["mode"] = "post-only";
    r["ok"] = outcome == "done" && post_errors_ == 0;
    return r;
  }
  r["ok"] = outcome == "done" && post_errors_ == 0 && lost == 0 && dup == 0 && misdelivered_ == 0 && unmatched == 0 &&
            verify_bad_ == 0 && not_found_status == 404;
  return r;
}

}  // namespace pwlg
