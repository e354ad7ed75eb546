// The runner's shared parts: users and tokens, the server's config, the
// model of what was accepted, and options.
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "runner.hpp"
#include "tokens.hpp"

namespace pwcrash {

std::string user_name(int u) { return "user" + std::to_string(u); }

const std::string& token_of(int u) {
  static const std::vector<std::string> tokens = [] {
    std::vector<std::string> t;
    for (int i = 0; i < users; ++i)
      t.push_back(pwtest::make_token(user_name(i), {"ws-a", "ws-b"}, "user", std::chrono::hours(48)));
    return t;
  }();
  return tokens.at(static_cast<std::size_t>(u));
}

const std::string& admin_token() {
  static const std::string t = pwtest::make_token("root", {"*"}, "admin", std::chrono::hours(48));
  return t;
}

// Built-in AI stages (the theme stage lists items by theme: one more index
// to keep consistent), each wrapped in chaos: transient errors, crashes
// (throw), hangs past a short timeout, permanent failures (dead letters),
// latency; backoffs long enough that retries are pending across kills.
std::string server_config(const std::string& extra_limits) {
  std::string c = "[auth]\njwt_secret = \"" + pwtest::test_secret + "\"\n\n";
  c += "[log]\nlevel = \"info\"\n\n[limits]\nsubmit_rate_per_user = 0\n" + extra_limits + "\n";
  c += "[store]\nevent_retention = 100000000\n\n[actors]\nmax_active = 48\nmax_active_per_workspace = 32\n\n";
  c += "[supervision]\nmax_attempts = 4\ninitial_backoff_ms = 40\nmultiplier = 4.0\nmax_backoff_ms = 2500\njitter = 0.3\n"
       "timeout_ms = 400\n\n";
  struct stage {
    const char* name;
    const char* after;
    const char* chaos;
  };
  const stage stages[] = {
      {"embed", "[]", "latency = \"uniform\"\nlatency_min_ms = 1\nlatency_max_ms = 15\ntransient_rate = 0.12\n"},
      {"classify", "[\"embed\"]", "latency = \"uniform\"\nlatency_min_ms = 1\nlatency_max_ms = 10\nthrow_rate = 0.05\n"
                                  "transient_rate = 0.05\n"},
      {"sentiment", "[\"embed\"]", "latency = \"uniform\"\nlatency_min_ms = 1\nlatency_max_ms = 10\nhang_rate = 0.03\n"},
      {"urgency", "[\"embed\"]", nullptr},
      {"duplicate", "[\"embed\"]", "latency = \"fixed\"\nlatency_min_ms = 2\n"},
      {"theme", "[\"embed\"]", "latency = \"uniform\"\nlatency_min_ms = 1\nlatency_max_ms = 20\npermanent_rate = 0.04\n"
                               "transient_rate = 0.1\n"},
      {"priority", "[\"sentiment\", \"urgency\", \"classify\", \"duplicate\"]",
       "latency = \"uniform\"\nlatency_min_ms = 1\nlatency_max_ms = 30\ntransient_rate = 0.05\n"},
  };
  for (const auto& s : stages) {
    c += std::string("[pipelines.feedback.stages.") + s.name + "]\nbackend = \"builtin\"\nafter = " + s.after + "\n\n";
    if (s.chaos) c += std::string("[pipelines.feedback.stages.") + s.name + ".chaos]\nseed = 11\n" + s.chaos + "\n";
  }
  return c;
}

void model::accepted(const std::string& id, int user, int round) {
  std::lock_guard lock(mu_);
  if (auto it = index_.find(id); it != index_.end()) {
    if (items_[it->second].user != user) problems_.push_back("item " + id + " was answered to two users");
    return;  // an idempotent replay answered the same id
  }
  index_.emplace(id, items_.size());
  items_.push_back(item{id, user, false, false, false, round});
}

std::optional<model::item> model::pick(std::mt19937_64& rng) {
  std::lock_guard lock(mu_);
  if (items_.empty()) return std::nullopt;
  // Half the time one of the newest 200 (still running), else any.
  std::size_t n = items_.size();
  std::size_t from = (rng() & 1) && n > 200 ? n - 200 : 0;
  return items_[from + rng() % (n - from)];
}

void model::deleted(const std::string& id, bool sure) {
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return;
  auto& i = items_[it->second];
  if (sure && !i.deleted) {
    i.deleted = true;
    ++deleted_count_;
  }
  if (!sure) i.delete_unsure = true;
}

bool model::maybe_deleted(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  return it != index_.end() && (items_[it->second].deleted || items_[it->second].delete_unsure);
}

std::optional<model::item> model::oldest_beyond(std::size_t keep) {
  std::lock_guard lock(mu_);
  if (items_.size() - deleted_count_ <= keep) return std::nullopt;
  while (oldest_ < items_.size() && items_[oldest_].deleted) ++oldest_;
  if (oldest_ == items_.size()) return std::nullopt;
  return items_[oldest_];
}

void model::touched(const std::string& id) {
  std::lock_guard lock(mu_);
  if (auto it = index_.find(id); it != index_.end()) items_[it->second].settled = false;
}

void model::settled(const std::string& id) {
  std::lock_guard lock(mu_);
  if (auto it = index_.find(id); it != index_.end()) items_[it->second].settled = true;
}

std::vector<model::item> model::snapshot() const {
  std::lock_guard lock(mu_);
  return items_;
}

std::size_t model::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

void model::problem(const std::string& what) {
  std::lock_guard lock(mu_);
  if (problems_.size() < 1000) problems_.push_back(what);
  std::cerr << "PROBLEM: " << what << "\n";
}

std::vector<std::string> model::problems() const {
  std::lock_guard lock(mu_);
  return problems_;
}

std::size_t model::problem_count() const {
  std::lock_guard lock(mu_);
  return problems_.size();
}

void model::remember_key(keyed k) {
  std::lock_guard lock(mu_);
  if (keys_.size() < 5000) keys_.push_back(std::move(k));
}

std::optional<model::keyed> model::random_key(std::mt19937_64& rng) const {
  std::lock_guard lock(mu_);
  if (keys_.empty()) return std::nullopt;
  return keys_[rng() % keys_.size()];
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--rounds") o.rounds = std::stoi(value());
    else if (a == "--seed") o.seed = std::stoull(value());
    else if (a == "--out") o.out = value();
    else if (a == "--soak") o.soak = true;
    else if (a == "--seconds") o.soak_seconds = std::stoi(value());
    else if (a == "--kill-every") o.kill_every_s = std::stoi(value());
    else if (a == "--sample-every") o.sample_every_s = std::stoi(value());
    else if (a == "--warmup") o.warmup_s = std::stoi(value());
    else if (a == "--steady-after") o.steady_after_s = std::stoi(value());
    else if (a == "--rate") o.rate = std::stod(value());
    else if (a == "--keep") o.keep = std::stoul(value());
    else if (a == "--max-drift") {
      const auto v = value();
      o.max_drift = v == "off" ? -1.0 : std::stod(v) / 100.0;
    }
    else
      throw std::runtime_error("unknown option " + a +
                               " (--rounds N --seed S --out DIR | --soak --seconds N --kill-every N "
                               "--sample-every N --warmup N --steady-after N --rate R --max-drift PERCENT|off --keep N)");
  }
  return o;
}

}  // namespace pwcrash
