// Crash-test kill points, in the style of RocksDB's TEST_KILL_RANDOM for its
// db_crashtest: named places in the write and recovery paths where a test
// build may end the process with SIGKILL, to prove that a crash at exactly
// that place loses nothing (tests/crash/).
//
// They exist only in builds configured with -DPIPEWRIGHT_KILL_POINTS=ON
// (cmake/KillPoints.cmake); elsewhere PW_KILL_POINT(...) is nothing. In such
// a build they stay inert until the environment names them:
//   PW_KILL_POINT=writer.before_write   (a name from `names` below, or "*")
//   PW_KILL_PROBABILITY=0.01            (per pass; default 1)
//   PW_KILL_SEED=42                     (default 0)
// Whether a pass kills is a pure function of (seed, name, how many times
// that point was passed), so a run's choices replay with its seed. The hit is
// written to stderr ("event=kill_point.hit name=... pass=N") before the kill.
#pragma once

#include <string_view>

namespace pw::core::kill_points {

inline constexpr std::string_view writer_before_write = "writer.before_write";    // batch built, not written
inline constexpr std::string_view writer_after_write = "writer.after_write";      // committed, events not fanned out
inline constexpr std::string_view writer_after_publish = "writer.after_publish";  // events out, callers not answered
inline constexpr std::string_view recovery_batch = "recovery.batch";              // mid-recovery: a batch of the queue handed over
inline constexpr std::string_view recovery_load = "recovery.load";                // mid-recovery: an item loaded for its slot
inline constexpr std::string_view supervisor_result = "supervisor.result";        // a stage's result in hand, not yet in its record
inline constexpr std::string_view supervisor_resume = "supervisor.resume";        // a resumed item about to persist its restart
inline constexpr std::string_view supervisor_act = "supervisor.act";              // a step durable, its follow-up not acted on
inline constexpr std::string_view timer_fire = "timer.fire";                      // a timer due, its callback not run
inline constexpr std::string_view control_apply = "control.apply";                // an operator's action applied in memory, not written
inline constexpr std::string_view maintenance_sweep = "maintenance.sweep";        // a sweep of expired events and keys built
inline constexpr std::string_view store_close = "store.close";                    // a clean stop about to flush and close the store

inline constexpr std::string_view names[] = {writer_before_write, writer_after_write, writer_after_publish, recovery_batch,
                                             recovery_load,       supervisor_result,  supervisor_resume,    supervisor_act,
                                             timer_fire,          control_apply,      maintenance_sweep,    store_close};

// Called by PW_KILL_POINT; kills the process when the environment says so.
void pass(std::string_view name) noexcept;

}  // namespace pw::core::kill_points

#if defined(PW_KILL_POINTS)
#define PW_KILL_POINT(name) ::pw::core::kill_points::pass(::pw::core::kill_points::name)
#else
#define PW_KILL_POINT(name) ((void)0)
#endif
