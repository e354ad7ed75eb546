// Writes the binary seed corpora (store records) with the store's own
// encoders: fuzz_seeds <corpus dir>. Deterministic, so re-running changes
// nothing; the text corpora come from make_seeds.py.
#include <filesystem>
#include <fstream>
#include <string>

#include "core/pipeline.hpp"
#include "store/codec.hpp"
#include "store/counters.hpp"
#include "store/event_chunk.hpp"
#include "store/record.hpp"

namespace {

using namespace pw;
std::filesystem::path root;

void put(const std::string& target, const std::string& name, const std::string& mode, const std::string& bytes) {
  auto dir = root / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << mode << bytes;
}

store::item_record sample_record() {
  store::item_record r;
  r.item.id = "01J0000000000000000000000B";
  r.item.owner = "alice";
  r.item.workspace = "acme";
  r.item.pipeline = "feedback";
  r.item.title = "checkout";
  r.item.text = "Checkout fails with a 500";
  r.item.metadata_json = "{\"plan\":\"pro\"}";
  r.item.created_at_ms = 1'700'000'000'000;
  r.header = {core::item_status::partial, r.item.created_at_ms + 3, r.item.created_at_ms + 900, 9};
  const char* names[] = {"embed", "classify", "theme", "priority"};
  for (auto n : names) r.stages.push_back({n, {}});
  auto& embed = r.stages[0].state;
  embed.status = core::stage_status::completed;
  embed.attempts = 2;
  embed.started_at_ms = r.item.created_at_ms + 3;
  embed.finished_at_ms = r.item.created_at_ms + 60;
  embed.log = {{1, r.item.created_at_ms + 3, r.item.created_at_ms + 20, core::attempt_outcome::transient_error, "503"},
               {2, r.item.created_at_ms + 40, r.item.created_at_ms + 60, core::attempt_outcome::completed, ""}};
  auto& theme = r.stages[2].state;
  theme.status = core::stage_status::failed;
  theme.attempts = 1;
  theme.error = "no themes";
  theme.letter_open = true;
  theme.log = {{1, r.item.created_at_ms + 70, r.item.created_at_ms + 80, core::attempt_outcome::permanent_error, "no themes"}};
  r.stages[1].state.status = core::stage_status::retrying;
  r.stages[1].state.next_due_ms = r.item.created_at_ms + 5000;
  r.stages[3].state.status = core::stage_status::skipped;
  r.results = {{"embed", "{\"dim\":4,\"vector\":[0.1,0.2]}"}};
  r.history = {{r.item.created_at_ms, "", "", "queued", 0, "accepted"},
               {r.item.created_at_ms + 3, "embed", "pending", "processing", 1, "started"},
               {r.item.created_at_ms + 60, "embed", "processing", "completed", 2, "attempt 2 succeeded"},
               {r.item.created_at_ms + 80, "theme", "processing", "failed", 1, "permanent error: no themes"},
               {r.item.created_at_ms + 900, "", "processing", "partial", 0, "some stages did not complete"}};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  root = argv[1];
  const auto rec = sample_record();

  // record: mode 0 = a whole record, 1 = a delta, 2 = merge (existing + operands).
  put("record", "record", std::string(1, '\0'), store::encode_record(rec));
  store::item_record fresh = rec;
  fresh.results.clear();
  fresh.history.resize(1);
  put("record", "record_fresh", std::string(1, '\0'), store::encode_record(fresh));
  store::record_delta d;
  d.header = store::state_header{core::item_status::completed, rec.header.started_at_ms, rec.header.completed_at_ms + 5, 11};
  d.stages.push_back(rec.stages[1]);
  d.results_set = {{"classify", "{\"category\":\"bug\"}"}};
  d.results_erased = {"theme"};
  d.history = {{rec.item.created_at_ms + 905, "classify", "retrying", "processing", 2, "retry"},
               {rec.item.created_at_ms + 906, "classify", "processing", "completed", 2, "attempt 2 succeeded"}};
  const auto delta = store::encode_delta(d, rec.item.created_at_ms);
  put("record", "delta", std::string(1, '\1'), delta);
  store::record_delta h;
  h.history = {{rec.item.created_at_ms + 7, "", "processing", "paused", 0, "pause requested"}};
  put("record", "delta_history", std::string(1, '\1'), store::encode_delta(h, rec.item.created_at_ms));
  put("record", "merge_base", std::string("\2\0", 2), delta + '\xff' + store::encode_delta(h, rec.item.created_at_ms));
  put("record", "merge_orphan", std::string("\2\2", 2), delta);

  // codec (format 2): mode 0 item, 1 state, 2 idempotency, 3 history.
  put("codec", "item", std::string(1, '\0'), store::encode_item(rec.item));
  std::vector<core::stage_spec> specs(4);
  for (std::size_t i = 0; i < 4; ++i) {
    specs[i].name = rec.stages[i].name;
    specs[i].backend = "synthetic";
  }
  auto pipe = core::build_pipeline("feedback", std::move(specs), "p").value();
  core::item_state s = rec.state_for(pipe);
  put("codec", "state", std::string(1, '\1'), store::encode_state(pipe, s));
  put("codec", "idempotency", std::string(1, '\2'),
      store::encode_idempotency({"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 201,
                                 "{\"id\":\"01J0000000000000000000000B\",\"status\":\"queued\"}", 1'700'000'000'000}));
  std::string chunk;
  for (const auto& e : rec.history) store::append_history(chunk, e);
  put("codec", "history", std::string(1, '\3'), chunk);

  // counters: mode 0 a record, 1 a counter name.
  store::counter_pack p;
  for (auto [field, value] : std::initializer_list<std::pair<const char*, std::int64_t>>{
           {"queued", 3}, {"completed", 1200}, {"failed", -1}, {"delayed", 2}, {"dlq", 5}, {"duration/count", 1201},
           {"duration/sum", 99999}, {"duration/le_50", 800}, {"custom", 7}})
    p.set(field, value);
  put("counters", "pack", std::string(1, '\0'), store::encode_counter_pack(p));
  put("counters", "name_ws", std::string(1, '\1'), store::status_counter("acme", core::item_status::failed));
  put("counters", "name_all", std::string(1, '\1'), store::duration_counter("", "le_100"));

  // event_chunk: 8 bytes of first seq, then the chunk.
  std::string seq8("\0\0\0\0\0\0\0\x2a", 8);
  store::event_chunk_writer w(1'700'000'000'123);
  w.add("\"type\":\"stage.updated\",\"item_id\":\"01J0000000000000000000000B\",\"stage\":\"embed\",\"status\":\"processing\"");
  w.add("\"type\":\"item.completed\",\"item_id\":\"01J0000000000000000000000B\",\"status\":\"completed\"");
  put("event_chunk", "chunk", seq8, w.bytes());
  put("event_chunk", "legacy_frames", seq8,
      "{\"seq\":42,\"at\":\"2026-11-25T00:00:00.000Z\",\"type\":\"x\"}\n{\"seq\":43,\"at\":\"2026-11-25T00:00:01.000Z\",\"type\":\"y\"}");
  return 0;
}
