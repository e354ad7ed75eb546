// The node's part in handoffs (docs/cluster.md): slots moved to another
// node in rounds on a worker thread of their own, the copies a node no
// longer serves erased, and imports for slots that went elsewhere settled.
#include <future>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "actors/backends.hpp"
#include "cluster/node.hpp"
#include "cluster/wire.hpp"
#include "core/clock.hpp"
#include "store/handoff.hpp"

namespace pw::cluster {

void node::post_job(std::function<void()> job) {
  {
    std::lock_guard lock(jobs_mu_);
    jobs_.push_back(std::move(job));
  }
  jobs_cv_.notify_one();
}

void node::worker() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(jobs_mu_);
      jobs_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

bool node::start_handoff(const std::string& to, const std::vector<std::uint32_t>& slots) {
  if (!env_->links->up(to) || handing_off_.exchange(true)) return false;
  post_job([this, to, slots] {
    run_handoff(to, slots);
    handing_off_ = false;
    ctl_->poke();
  });
  return true;
}

namespace {

// Waits for a callback made on another thread, at most `timeout`.
template <class T>
std::optional<T> wait_for(std::future<T>& f, std::int64_t timeout_ms) {
  if (f.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) return std::nullopt;
  return f.get();
}

}  // namespace

// One round: the old node stops new work for the slots, streams their
// records to `to`, moves them in etcd (while it still holds their leases),
// then erases its copy. Requests meanwhile wait or get 503; none is lost.
void node::run_handoff(const std::string& to, std::vector<std::uint32_t> slots) {
  const auto& me = cfg_.cluster.node;
  const auto t0 = steady_ms();
  const auto id = (static_cast<std::uint64_t>(core::now_ms()) << 16) ^ std::hash<std::string>{}(me);
  std::vector<std::uint32_t> started;
  for (auto s : slots) {
    if (slots_.get(s) != slot_state::serving || !ctl_->begin_handoff(s, to)) continue;
    slots_.set(s, slot_state::leaving);
    started.push_back(s);
  }
  if (started.empty()) return;
  slots = started;
  spdlog::info("event=handoff.started node={} to={} handoff={} slots={}", me, to, id, slots.size());
  auto abort = [&](const std::string& why) {
    for (auto s : slots) {
      slots_.set(s, slot_state::serving);
      ctl_->end_handoff(s);
    }
    handoff_end(agent_, id, {});
    rt_->resume_slots(slots);
    spdlog::warn("event=handoff.aborted node={} to={} handoff={} reason=\"{}\"", me, to, id, why);
    wake();
  };
  // 1. No item of these slots runs any more, and every write of theirs is in.
  {
    auto p = std::make_shared<std::promise<bool>>();
    auto f = p->get_future();
    rt_->release_slots(slots, [p] { p->set_value(true); });
    if (!wait_for(f, cfg_.cluster.handoff_timeout_ms)) return abort("running items did not stop in time");
    auto b = std::make_shared<std::promise<bool>>();
    auto bf = b->get_future();
    rt_->writer().submit(store::write_set{}, [b](bool ok) { b->set_value(ok); });
    auto ok = wait_for(bf, cfg_.cluster.handoff_timeout_ms);
    if (!ok || !*ok) return abort("the store did not commit");
  }
  // 2. Stream the records, at most 4 chunks unacknowledged.
  struct window {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t sent = 0, acked = 0;
    bool failed = false;
  };
  auto w = std::make_shared<window>();
  auto h = std::make_shared<handoff_out>();
  h->id = id;
  h->to = to;
  h->slots = slots;
  h->ack = [w](bool ok, std::uint64_t) {
    std::lock_guard lock(w->mu);
    if (ok) ++w->acked;
    else w->failed = true;
    w->cv.notify_all();
  };
  handoff_begin(agent_, h);
  auto wait_window = [&](std::size_t max_open) {
    std::unique_lock lock(w->mu);
    return w->cv.wait_for(lock, std::chrono::milliseconds(cfg_.cluster.handoff_timeout_ms),
                          [&] { return w->failed || w->sent - w->acked <= max_open; }) &&
           !w->failed;
  };
  std::uint64_t seq = 0;
  bool stalled = false;
  auto scan = store::scan_slots(db_, cfg_.cluster.slots, {slots.begin(), slots.end()}, 256 * 1024,
                                [&](std::vector<store::handoff_record>&& chunk) {
                                  if (!wait_window(3)) return stalled = true, false;
                                  {
                                    std::lock_guard lock(w->mu);
                                    ++w->sent;
                                  }
                                  handoff_chunk(agent_, id, ++seq, std::move(chunk));
                                  return true;
                                });
  if (!scan) return abort(scan.err().message);
  if (stalled) return abort(fmt::format("{} stopped acknowledging", to));
  if (seq == 0) {  // nothing stored: one empty chunk tells the taker the slots
    {
      std::lock_guard lock(w->mu);
      ++w->sent;
    }
    handoff_chunk(agent_, id, ++seq, {});
  }
  if (!wait_window(0)) return abort(fmt::format("{} stopped acknowledging", to));
  // 3. Move them in etcd, each only while we still hold its lease.
  std::vector<std::uint32_t> moved, kept;
  for (auto s : slots) {
    auto r = ctl_->commit_handoff(s, to);
    (r ? moved : kept).push_back(s);
  }
  handoff_end(agent_, id, moved);
  for (auto s : kept) {
    slots_.set(s, slot_state::serving);
    ctl_->end_handoff(s);
  }
  if (!kept.empty()) rt_->resume_slots(kept);
  if (!moved.empty()) slots_lost(agent_, moved);
  wake();
  // 4. Our copy goes.
  if (!moved.empty()) purge(moved, true);
  spdlog::info("event=handoff.done node={} to={} handoff={} slots={} kept={} keys={} bytes={} elapsed_ms={}", me, to, id,
               moved.size(), kept.size(), scan->keys, scan->bytes, steady_ms() - t0);
}

// Slot by slot; a slot this node serves, receives or waits to take again
// (it came back meanwhile) is left alone: its records are the new ones.
void node::purge(const std::vector<std::uint32_t>& slots, bool forget) {
  store::handoff_scan seen;
  std::size_t keys = 0, skipped = 0;
  for (auto slot : slots) {
    auto mine_again = [&] {
      const auto unsettled = env_->arriving->unsettled();
      return slots_.get(slot) != slot_state::none || env_->arriving->arriving(slot) ||
             std::find(unsettled.begin(), unsettled.end(), slot) != unsettled.end();
    };
    bool skip = false;
    auto scan = store::scan_slots(db_, cfg_.cluster.slots, {slot}, 512 * 1024, [&](std::vector<store::handoff_record>&& chunk) {
      auto p = std::make_shared<std::promise<bool>>();
      auto f = p->get_future();
      {
        std::lock_guard lock(*env_->purge_mu);
        if (mine_again()) return skip = true, false;
        store::summarize(chunk, seen);
        rt_->writer().submit(store::erase_records(chunk), [p](bool ok) { p->set_value(ok); });
      }
      f.wait();
      return true;
    });
    if (!scan) {
      spdlog::error("event=cluster.purge_failed node={} slot={} error=\"{}\"", cfg_.cluster.node, slot, scan.err().message);
      continue;
    }
    if (skip) ++skipped;
    keys += scan->keys;
  }
  if (forget) actors::forget_workspaces(rt_->pipelines(), seen.workspaces);
  spdlog::info("event=cluster.purged node={} slots={} skipped={} keys={}", cfg_.cluster.node, slots.size(), skipped, keys);
}

// Records that arrived for slots the shard map then gave to another node
// (the giver was lost before or while it moved them) are erased here.
void node::settle_imports(const cluster_view& v) {
  std::vector<std::uint32_t> drop;
  for (auto s : env_->arriving->unsettled()) {
    if (s >= v.shard.size() || v.shard[s] == cfg_.cluster.node) continue;
    if (v.shard[s].empty()) continue;
    // A view read before the giver's commit reached us would still name the giver.
    if (!env_->arriving->may_settle(s, v.read_seq)) continue;
    env_->arriving->settle(s, cfg_.cluster.slots);
    slots_.set(s, slot_state::none);
    drop.push_back(s);
  }
  if (!drop.empty()) post_job([this, drop] { purge(drop, false); });
}

}  // namespace pw::cluster
