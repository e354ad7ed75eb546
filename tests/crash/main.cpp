// pw-crashtest: crash rounds (default) or the soak (--soak); see runner.hpp.
//   pw-crashtest --rounds 200 [--seed S] [--out DIR]
//   pw-crashtest --soak --seconds 3600 --kill-every 600 --sample-every 60 --warmup 600 [--rate 40]
//                [--max-drift 5|off] [--keep N] [--out DIR]
// Exit 0 when every check held; 1 with the problems (and the seed) printed.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/json/serialize.hpp>

#include "core/kill_point.hpp"
#include "runner.hpp"

namespace pwcrash {

namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void write_report(const options& o, const std::string& name, const boost::json::object& report) {
  if (o.out.empty()) return;
  std::filesystem::create_directories(o.out);
  std::ofstream(std::filesystem::path(o.out) / name) << boost::json::serialize(report) << "\n";
}

}  // namespace

int run_rounds(const options& o) {
  const std::uint64_t seed = o.seed ? o.seed : static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) % 1000000007ull;
  std::cout << "pw-crashtest: " << o.rounds << " rounds, seed " << seed << " (replay: pw-crashtest --rounds " << o.rounds
            << " --seed " << seed << ")" << std::endl;
  pwtest::temp_dir dir;
  pwtest::server_process srv(dir, server_config());
  model m;
  event_watch w(m);
  boost::json::array rounds;
  std::map<std::string, int> hits;
  std::uint64_t actions = 0;
  const auto started = std::chrono::steady_clock::now();
  int failed_round = -1;

  for (int round = 0; round < o.rounds && failed_round < 0; ++round) {
    const auto round_seed = splitmix(seed + static_cast<std::uint64_t>(round)) % 1000000007ull;
    std::mt19937_64 rng(round_seed);
    // Three rounds in four die at a kill point (the probability per pass
    // from rare to likely), the rest at a random instant.
    std::string point;
    double probability = 0;
    if (rng() % 4 != 0) {
      point = std::string(pw::core::kill_points::names[rng() % std::size(pw::core::kill_points::names)]);
      const double odds[] = {0.002, 0.01, 0.05, 0.3};
      probability = odds[rng() % 4];
      ::setenv("PW_KILL_POINT", point.c_str(), 1);
      ::setenv("PW_KILL_PROBABILITY", std::to_string(probability).c_str(), 1);
      ::setenv("PW_KILL_SEED", std::to_string(round_seed).c_str(), 1);
    } else {
      ::unsetenv("PW_KILL_POINT");
    }
    const auto log_from = srv.log().size();
    const auto t0 = std::chrono::steady_clock::now();
    // A kill point may fire while the node starts (recovery writes before
    // it listens): that round's crash came early, which is no problem.
    bool started = true;
    try {
      srv.start();
    } catch (const std::runtime_error& e) {
      started = false;
      if (kill_point_hit(srv.log(), log_from).empty())
        m.problem("round " + std::to_string(round) + ": the node did not start: " + e.what());
    }
    const bool ready = started && wait_ready_or_dead(srv, std::chrono::seconds(60));
    std::uint64_t accepted = 0;
    std::size_t checked = 0;
    int duration_ms = 0;
    if (ready) {
      w.connect_all(srv.port(), [&srv] { return srv.running() && !srv.wait_exit(std::chrono::milliseconds(300)); });
      // The restart's checks: what the last rounds accepted is there, what
      // finished ran no completed stage twice (every 20 rounds: everything).
      checked = check_items(srv.port(), m, round % 20 == 19);
      duration_ms = 300 + static_cast<int>(rng() % 2700);
      load l(srv.port(), m, round_seed, round, 150);
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(duration_ms);
      while (std::chrono::steady_clock::now() < until && srv.running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        w.absorb();
        if (rng() % 20 == 0) w.replay_one(srv.port(), rng);
        if (srv.wait_exit(std::chrono::milliseconds(1))) break;
      }
      bool killed_here = false;
      if (srv.running()) {  // no kill point fired: a random instant
        srv.kill9();
        killed_here = true;
      }
      l.stop();
      if (!killed_here && kill_point_hit(srv.log(), log_from).empty()) {
        // Neither a kill point nor the runner stopped it: it died by itself
        // (a crash, a sanitizer's report).
        const auto log = srv.log().substr(log_from);
        m.problem("round " + std::to_string(round) + ": the node died by itself; its log:\n" +
                  log.substr(log.size() > 6000 ? log.size() - 6000 : 0));
      }
      accepted = l.accepted();
      actions += l.actions();
    } else if (srv.running()) {
      m.problem("round " + std::to_string(round) + ": the node was not ready within 60 s");
      srv.kill9();
    }
    w.close_all();
    const auto hit = kill_point_hit(srv.log(), log_from);
    if (!hit.empty()) ++hits[hit];
    auto report = verify_store(srv.data_dir(), m);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "round " << round << " seed " << round_seed << ": "
              << (point.empty() ? std::string("kill -9 at a random instant") : "kill point " + point + " p=" + std::to_string(probability))
              << (hit.empty() ? (point.empty() ? "" : " (not hit: killed at the end)") : " -> hit " + hit) << ", accepted "
              << accepted << ", checked " << checked << ", store: " << report["items"] << " items, " << report["unfinished"]
              << " unfinished, " << ms << " ms" << std::endl;
    rounds.push_back(boost::json::object{{"round", round},
                                         {"seed", round_seed},
                                         {"kill_point", point},
                                         {"probability", probability},
                                         {"hit", hit},
                                         {"load_ms", duration_ms},
                                         {"accepted", accepted},
                                         {"checked", checked},
                                         {"store_items", report["items"]},
                                         {"store_unfinished", report["unfinished"]}});
    if (m.problem_count() > 0) failed_round = round;
  }

  // The last start, without kill points: everything finishes, every item
  // and every event is checked, and a clean stop leaves a consistent store.
  ::unsetenv("PW_KILL_POINT");
  bool final_ok = failed_round < 0;
  if (final_ok) {
    srv.start();
    if (!wait_ready_or_dead(srv, std::chrono::seconds(120))) {
      m.problem("the final start did not become ready");
    } else {
      w.connect_all(srv.port(), [&srv] { return srv.running() && !srv.wait_exit(std::chrono::milliseconds(300)); });
      wait_all_finished(srv.port(), m, std::chrono::seconds(600));
      check_items(srv.port(), m, true);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      w.close_all();
      check_full_replay(srv.port(), m, w);
      if (auto code = srv.terminate(std::chrono::seconds(30)); code != 0)
        m.problem("SIGTERM: exit " + (code ? std::to_string(*code) : std::string("none within 30 s")));
      auto report = verify_store(srv.data_dir(), m);
      if (report.contains("unfinished") && report["unfinished"].as_int64() != 0)
        m.problem("after the final run " + boost::json::serialize(report["unfinished"]) + " items are still unfinished");
    }
  }
  const auto problems = m.problems();
  const auto total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::uint64_t deleted = 0;
  for (const auto& it : m.snapshot()) deleted += it.deleted;
  boost::json::object hit_counts;
  for (const auto& [k, v] : hits) hit_counts[k] = v;
  boost::json::array problem_list;
  for (const auto& p : problems) problem_list.push_back(boost::json::string(p));
  boost::json::object report{{"seed", seed},
                             {"rounds", o.rounds},
                             {"rounds_run", rounds.size()},
                             {"items_accepted", m.size()},
                             {"items_deleted", deleted},
                             {"operator_actions", actions},
                             {"event_frames_checked", w.total_frames()},
                             {"kill_points_hit", hit_counts},
                             {"seconds", total_s},
                             {"problems", problem_list},
                             {"rounds_detail", rounds}};
  write_report(o, "crashtest.json", report);
  std::cout << "pw-crashtest: " << rounds.size() << " rounds, " << m.size() << " items accepted, " << deleted
            << " deleted, " << actions << " operator actions, " << w.total_frames() << " event frames checked, "
            << hits.size() << " kill points hit, " << total_s << " s" << std::endl;
  if (problems.empty()) {
    std::cout << "pw-crashtest: OK" << std::endl;
    return 0;
  }
  std::cout << "pw-crashtest: FAILED" << (failed_round >= 0 ? " in round " + std::to_string(failed_round) : std::string())
            << " (seed " << seed << "; replay: pw-crashtest --rounds " << o.rounds << " --seed " << seed << ")\n";
  for (const auto& p : problems) std::cout << "  " << p << "\n";
  std::cout << "server log: " << srv.log().size() << " bytes; last lines:\n";
  auto log = srv.log();
  std::cout << log.substr(log.size() > 4000 ? log.size() - 4000 : 0) << std::endl;
  return 1;
}

}  // namespace pwcrash

int main(int argc, char** argv) {
  try {
    auto o = pwcrash::parse_options(argc, argv);
    return o.soak ? pwcrash::run_soak(o) : pwcrash::run_rounds(o);
  } catch (const std::exception& e) {
    std::cerr << "pw-crashtest: " << e.what() << "\n";
    return 2;
  }
}
