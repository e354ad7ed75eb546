// The item record codec of store format 3 (store/record.cpp) and the merge
// operator that folds deltas into records (store/merge.cpp). A corrupted
// record or delta must decode to an error, never to undefined behaviour; a
// record that decodes encodes back to bytes that decode to the same record;
// a delta that applies leaves a record that still encodes and decodes.
#include <rocksdb/merge_operator.h>

#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "fuzz_input.hpp"
#include "store/merge.hpp"
#include "store/record.hpp"

namespace {

using namespace pw;

// A valid record for deltas to land on.
store::item_record base_record() {
  store::item_record r;
  r.item.id = "01J0000000000000000000000A";
  r.item.owner = "alice";
  r.item.workspace = "acme";
  r.item.pipeline = "feedback";
  r.item.text = "the app crashes";
  r.item.created_at_ms = 1'700'000'000'000;
  r.header.status = core::item_status::processing;
  r.header.history_seq = 2;
  for (const char* name : {"embed", "classify", "theme"}) {
    store::named_stage s;
    s.name = name;
    r.stages.push_back(std::move(s));
  }
  r.stages[0].state.status = core::stage_status::completed;
  r.stages[0].state.attempts = 1;
  r.results.emplace_back("embed", "{\"dim\":4}");
  r.history.push_back(core::history_entry{r.item.created_at_ms, {}, {}, "queued", 0, "accepted"});
  r.history.push_back(core::history_entry{r.item.created_at_ms + 5, "embed", "pending", "processing", 1, "started"});
  return r;
}

bool same(const store::item_record& a, const store::item_record& b) { return store::encode_record(a) == store::encode_record(b); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The merge operator logs every operand it refuses (store.bad_delta), as
  // it should in a server; here that is every other input: 35 GB of log in
  // a 3-million-execution run, which filled the disk and held the target
  // to a tenth of its speed.
  static const bool quiet = (spdlog::set_level(spdlog::level::off), true);
  (void)quiet;
  static const store::item_record base = base_record();
  static const std::string base_bytes = store::encode_record(base);
  static const auto merge = store::make_record_merge();

  pwfuzz::input in(data, size);
  const auto mode = in.byte() % 3;
  const auto bytes = in.rest();

  if (mode == 0) {  // the input as a whole record
    auto status = store::decode_record_status(bytes);
    if (auto rec = store::decode_record(bytes)) {
      PWFUZZ_CHECK(status && *status == rec->header.status);
      auto again = store::decode_record(store::encode_record(*rec));
      PWFUZZ_CHECK(again && same(*again, *rec));
    }
    return 0;
  }
  if (mode == 1) {  // the input as one delta on a valid record
    auto rec = base;
    if (store::apply_delta(rec, bytes)) {
      auto again = store::decode_record(store::encode_record(rec));
      PWFUZZ_CHECK(again && same(*again, rec));
    } else {
      PWFUZZ_CHECK(same(rec, base));  // a delta that cannot be read changes nothing
    }
    return 0;
  }
  // The merge operator as RocksDB calls it: an existing value (the base
  // record, the input's first part, or none) and '\xff'-separated operands.
  const auto which = in.byte() % 3;
  std::string existing = which == 0 ? base_bytes : std::string(which == 1 ? in.until('\xff') : std::string_view());
  std::vector<std::string> operands;
  while (!in.empty()) operands.emplace_back(in.until('\xff'));
  std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  rocksdb::Slice existing_slice(existing);
  rocksdb::Slice key("01J0000000000000000000000A");
  rocksdb::MergeOperator::MergeOperationInput op_in(key, which == 2 ? nullptr : &existing_slice, slices, nullptr);
  std::string new_value;
  rocksdb::Slice existing_operand;
  rocksdb::MergeOperator::MergeOperationOutput op_out(new_value, existing_operand);
  PWFUZZ_CHECK(merge->FullMergeV2(op_in, &op_out));  // a merge never fails (that would stop the store)
  // An operator that keeps an operand as the result points existing_operand
  // at it; ours always writes new_value (an empty Slice still has a data()).
  const std::string_view result = existing_operand.size() ? std::string_view(existing_operand.data(), existing_operand.size())
                                                          : std::string_view(new_value);
  if (which == 2) PWFUZZ_CHECK(result == store::orphan_record);
  if (which == 0) PWFUZZ_CHECK(store::decode_record(result).has_value());  // deltas never break a good record
  return 0;
}
