// pw_ai_speed: how long the built-in feedback stages take.
//  1. Median microseconds of each of the seven stages, and of all seven for
//     one item, over N items of ~300 characters (each text different, run
//     through the stages as the server does, so the duplicate and theme
//     indexes grow to N items).
//  2. The duplicate stage's query (search + insert) at 100,000 random-ish
//     vectors in one workspace.
//  3. Loading the learned models (parsing the file carried in the binary),
//     the part of start-up they add.
//
//   pw_ai_speed [--items N] [--index N] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/json.hpp"
#include "stages/ai/analysis.hpp"
#include "stages/ai/duplicate.hpp"
#include "stages/ai/embed.hpp"
#include "stages/ai/pair_scorer.hpp"
#include "stages/ai/learned_features.hpp"
#include "stages/ai/predict.hpp"
#include "stages/ai/reading.hpp"
#include "stages/builtin.hpp"
#include "stages/builtin_models.hpp"

namespace json = boost::json;
using clk = std::chrono::steady_clock;

namespace {

const char* const fragments[] = {
    "The app crashes every time I open the settings page on my Pixel 7.",
    "Since the last update the export to CSV drops the date column.",
    "I was charged twice for my subscription this month, please refund one.",
    "Would love a dark mode, my eyes hurt at night.",
    "Support has not replied to my ticket for two weeks, this is unacceptable.",
    "Login with Google fails with error 500 after the redirect.",
    "Great app, the new sync is fast and reliable, thank you!",
    "How do I change the currency on my invoices?",
    "Notifications arrive hours late on Android 14.",
    "La aplicación se cierra cuando intento exportar mis datos, muy frustrante.",
    "Die App stürzt beim Start ab, seit dem Update geht nichts mehr.",
    "My package arrived damaged and the box was soaked.",
    "Search is really slow when the project has more than a thousand tasks.",
    "Someone else's invoices are visible in my account, this is a privacy problem.",
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string text_of(std::mt19937& rng) {
  std::string t;
  std::uniform_int_distribution<std::size_t> pick(0, std::size(fragments) - 1);
  while (t.size() < 300) {
    if (!t.empty()) t.push_back(' ');
    t += fragments[pick(rng)];
  }
  t.resize(300);
  while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0x80) t.pop_back();  // whole UTF-8
  if (!t.empty() && static_cast<unsigned char>(t.back()) >= 0xC0) t.pop_back();
  t += " #";
  t += std::to_string(rng() % 100000);  // every text differs
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t items = 3000, index_size = 100000;
  bool as_json = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--items" && i + 1 < argc) items = std::stoul(argv[++i]);
    else if (a == "--index" && i + 1 < argc) index_size = std::stoul(argv[++i]);
    else if (a == "--json") as_json = true;
  }
  std::mt19937 rng(42);
  const auto models = pw::stages::builtin::loaded_models();  // first use: parses the file
  pw::core::stage_spec spec;
  std::map<std::string, std::shared_ptr<pw::stages::stage_backend>> b;
  for (std::string_view k : pw::stages::builtin::kinds) {
    auto r = pw::stages::builtin::make(k, spec, "bench");
    if (!r) {
      std::fprintf(stderr, "%s\n", r.err().message.c_str());
      return 1;
    }
    b[std::string(k)] = r.value();
  }
  std::map<std::string, std::vector<double>> per_stage;
  std::vector<double> total;
  for (std::size_t n = 0; n < items; ++n) {
    pw::core::item it;
    it.id = std::string("item-") += std::to_string(n);
    it.workspace = std::string("ws-") += std::to_string(n % 4);
    it.text = text_of(rng);
    pw::stages::stage_results up;
    double sum = 0;
    for (std::string_view k : pw::stages::builtin::kinds) {
      auto t0 = clk::now();
      auto out = b[std::string(k)]->run(pw::stages::stage_input{it, up, 1});
      double us = std::chrono::duration<double, std::micro>(clk::now() - t0).count();
      per_stage[std::string(k)].push_back(us);
      sum += us;
      up.set(std::string(k), std::make_shared<json::object>(std::get<pw::stages::stage_success>(out).output));
    }
    total.push_back(sum);
  }

  // The duplicate index at scale: clustered random vectors (topics plus
  // noise), each item with a real profile (of one of 64 texts), scored by
  // the learned pair scorer as the server does.
  namespace ai = pw::stages::ai;
  ai::duplicate_options dup_opt;
  dup_opt.scorer = ai::pair_scorer::from(pw::stages::builtin::models());
  ai::duplicate_index index(dup_opt);
  std::vector<ai::pair_profile> profiles;
  for (int k = 0; k < 64; ++k) {
    auto r = ai::reading::of(text_of(rng), pw::stages::builtin::models());
    profiles.push_back(ai::make_profile(*r->text, r->probabilities));
  }
  const std::size_t dim = 256;
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<std::vector<float>> topics(500, std::vector<float>(dim));
  for (auto& t : topics)
    for (auto& x : t) x = gauss(rng);
  auto vec = [&] {
    std::vector<float> v(dim);
    const auto& t = topics[rng() % topics.size()];
    for (std::size_t i = 0; i < dim; ++i) v[i] = t[i] + 1.2f * gauss(rng);
    float n = 0;
    for (float x : v) n += x * x;
    n = std::sqrt(n);
    for (auto& x : v) x /= n;
    return v;
  };
  auto b0 = clk::now();
  for (std::size_t n = 0; n < index_size; ++n) index.add("big", std::string("v") += std::to_string(n), vec(), profiles[n % profiles.size()]);
  double build_s = std::chrono::duration<double>(clk::now() - b0).count();
  std::vector<double> query;
  for (std::size_t n = 0; n < 2000; ++n) {
    auto v = vec();
    auto t0 = clk::now();
    index.add("big", std::string("q") += std::to_string(n), v, profiles[n % profiles.size()]);
    query.push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
  }

  // Where the first stage's time goes (the text analysis is shared).
  std::vector<double> t_tok, t_an, t_feat, t_lf, t_pred, t_prof;
  const auto& bundle = pw::stages::builtin::models();
  for (std::size_t n = 0; n < 2000; ++n) {
    std::string text = text_of(rng);
    auto t0 = clk::now();
    auto toks = pw::stages::ai::tokenize(text);
    auto t1 = clk::now();
    pw::stages::ai::analysis a(text);
    auto t2 = clk::now();
    auto f = pw::stages::ai::features(a);
    auto t3 = clk::now();
    auto lf = ai::text_features(a);
    auto t4 = clk::now();
    auto pr = ai::predict(bundle, lf);
    auto t5 = clk::now();
    auto prof = ai::make_profile(a, pr);
    auto t6 = clk::now();
    t_lf.push_back(std::chrono::duration<double, std::micro>(t4 - t3).count());
    t_pred.push_back(std::chrono::duration<double, std::micro>(t5 - t4).count());
    t_prof.push_back(std::chrono::duration<double, std::micro>(t6 - t5).count());
    t_tok.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    t_an.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    t_feat.push_back(std::chrono::duration<double, std::micro>(t3 - t2).count());
  }
  double seven = median(total);
  if (as_json) {
    json::object o, st;
    for (auto& [k, v] : per_stage) st[k] = median(v);
    o["items"] = static_cast<std::int64_t>(items);
    o["stage_median_us"] = std::move(st);
    o["seven_stages_median_us"] = seven;
    o["analysis_median_us"] = median(t_an);
    o["model_features_median_us"] = median(t_lf);
    o["models_median_us"] = median(t_pred);
    o["profile_median_us"] = median(t_prof);
    o["index_size"] = static_cast<std::int64_t>(index_size);
    o["index_build_s"] = build_s;
    o["duplicate_query_median_us"] = median(query);
    o["models_version"] = models.version;
    o["models_bytes"] = static_cast<std::int64_t>(models.bytes);
    o["models_load_ms"] = models.load_ms;
    std::cout << pw::core::to_json(o) << "\n";
    return 0;
  }
  std::printf("%zu items of ~300 characters, 4 workspaces (median microseconds)\n", items);
  for (std::string_view k : pw::stages::builtin::kinds) std::printf("  %-10s %8.1f\n", std::string(k).c_str(), median(per_stage[std::string(k)]));
  std::printf("  all seven  %8.1f\n", seven);
  std::printf("  (tokenize %.1f, whole text analysis %.1f, embedding features %.1f, model features %.1f, four models "
              "%.1f, duplicate profile %.1f)\n",
              median(t_tok), median(t_an), median(t_feat), median(t_lf), median(t_pred), median(t_prof));
  std::printf("models '%s': %zu bytes, %zu feature rows, parsed in %.1f ms\n", models.version.c_str(), models.bytes,
              models.rows, models.load_ms);
  std::printf("duplicate query at %zu vectors in one workspace: median %.1f us (index built in %.1f s)\n", index_size,
              median(query), build_s);
  return 0;
}
