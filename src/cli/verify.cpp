// `pipewright verify`: checks a stopped node's store (store/verify.hpp) and
// prints what it found. Exit 0 consistent, 1 problems found, 2 could not
// check (no store, or a node still holds it).
#include <iostream>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "store/database.hpp"
#include "store/verify.hpp"

namespace pw::cli {

int verify(const verify_options& o) {
  auto cfg = load(o.config_file, std::nullopt, o.data_dir);
  if (!cfg) {
    std::cerr << "pipewright: " << cfg.err().message << "\n";
    return 2;
  }
  auto db = store::database::open_read_only(cfg->server.data_dir);
  if (!db) {
    std::cerr << "pipewright: " << db.err().message << "\n";
    return 2;
  }
  auto report = store::verify_store(*db.value());
  if (o.json) {
    std::cout << report.json() << "\n";
  } else {
    std::cout << "items " << report.items << " (unfinished " << report.unfinished << ", paused " << report.paused
              << ", finished " << report.finished << "), queue entries " << report.queue_entries << ", index entries "
              << report.index_entries << ", timers " << report.timers << ", dead letters " << report.dead_letters
              << ", workspaces " << report.workspaces << ", rooms " << report.rooms << ", events " << report.events << "\n";
    for (const auto& p : report.problems) std::cout << "problem: " << p << "\n";
    if (report.problem_count > report.problems.size())
      std::cout << "... and " << report.problem_count - report.problems.size() << " more\n";
    std::cout << (report.ok() ? "consistent" : "INCONSISTENT") << "\n";
  }
  return report.ok() ? 0 : 1;
}

}  // namespace pw::cli
