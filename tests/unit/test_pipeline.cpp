#include <cmath>
#include <catch2/catch.hpp>

#include "core/pipeline.hpp"
#include "core/supervision.hpp"

using namespace pw::core;

namespace {

stage_spec st(std::string name, std::vector<std::string> after) {
  stage_spec s;
  s.name = std::move(name);
  s.after = std::move(after);
  s.backend = "synthetic";
  return s;
}

std::string error_of(std::vector<stage_spec> stages) {
  auto p = build_pipeline("feedback", std::move(stages), "pipelines.feedback.stages");
  return p ? std::string() : p.err().message;
}

}  // namespace

TEST_CASE("the feedback DAG orders stages by layer") {
  auto p = build_pipeline("feedback",
                          {st("priority", {"sentiment", "urgency"}), st("classify", {"embed"}), st("embed", {}),
                           st("sentiment", {"embed"}), st("urgency", {"embed"})},
                          "k");
  REQUIRE(p);
  std::vector<std::string> names;
  for (auto& s : p->stages()) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"embed", "classify", "sentiment", "urgency", "priority"});
  auto prio = p->index_of("priority");
  REQUIRE(prio);
  CHECK(p->stage(*prio).deps.size() == 2);
  CHECK(p->stage(0).dependents.size() == 3);
  auto down = p->downstream_of(*p->index_of("sentiment"));
  CHECK(down.size() == 2);  // sentiment, priority
}

TEST_CASE("DAG validation names the key and the problem") {
  CHECK(error_of({}) == "pipelines.feedback.stages: a pipeline needs at least one stage");
  CHECK(error_of({st("embed", {}), st("classify", {"embd"})}) ==
        "pipelines.feedback.stages.classify.after: unknown stage 'embd'");
  CHECK(error_of({st("embed", {"embed"})}) == "pipelines.feedback.stages.embed.after: a stage cannot depend on itself");
  CHECK(error_of({st("embed", {}), st("embed", {})}) == "pipelines.feedback.stages.embed: stage declared twice");
  CHECK(error_of({st("Embed", {})}) == "pipelines.feedback.stages.Embed: stage names are [a-z0-9_], 1-32 characters");
  CHECK(error_of({st("embed", {}), st("a", {"embed", "embed"})}) == "pipelines.feedback.stages.a.after: 'embed' listed twice");
  auto cycle = error_of({st("embed", {}), st("a", {"b"}), st("b", {"c"}), st("c", {"a"})});
  CHECK_THAT(cycle, Catch::Contains("pipelines.feedback.stages: dependency cycle"));
  CHECK_THAT(cycle, Catch::Contains("a -> b") || Catch::Contains("b -> c") || Catch::Contains("c -> a"));
}

TEST_CASE("backoff grows by the multiplier, is capped, and jitter stays within bounds") {
  retry_policy p;
  p.initial_backoff = millis(100);
  p.multiplier = 2.0;
  p.max_backoff = millis(1000);
  p.jitter = 0;
  CHECK(backoff_delay(p, 1, 0.7).count() == 100);
  CHECK(backoff_delay(p, 2, 0.7).count() == 200);
  CHECK(backoff_delay(p, 3, 0.7).count() == 400);
  CHECK(backoff_delay(p, 5, 0.7).count() == 1000);
  CHECK(backoff_delay(p, 50, 0.7).count() == 1000);

  p.jitter = 0.25;
  for (std::uint32_t attempt = 1; attempt <= 8; ++attempt) {
    const double base = std::min(1000.0, 100.0 * std::pow(2.0, attempt - 1));
    double lo = 1e9, hi = 0;
    for (int k = 0; k < 1000; ++k) {
      double u = k / 1000.0;
      auto d = static_cast<double>(backoff_delay(p, attempt, u).count());
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      REQUIRE(d >= std::floor(base * 0.75) - 1);
      REQUIRE(d <= std::min(1000.0, base * 1.25) + 1);
    }
    // The spread is really used: the extremes are near both bounds.
    CHECK(lo <= base * 0.76 + 1);
    CHECK(hi >= std::min(1000.0, base * 1.24) - 1);
  }
}
