#include "store/merge.hpp"

#include <spdlog/spdlog.h>

#include "store/record.hpp"

namespace pw::store {

namespace {

// Never fails a merge: a failed merge stops RocksDB's compactions and then
// its writes. A delta that cannot be read is skipped (and logged); deltas for
// an item that no longer exists leave the orphan marker, which reads as "no
// such item".
class record_merge final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& in, MergeOperationOutput* out) const override {
    if (!in.existing_value) {
      out->new_value.assign(orphan_record.data(), orphan_record.size());
      return true;
    }
    auto rec = decode_record(std::string_view(in.existing_value->data(), in.existing_value->size()));
    if (!rec) {
      out->new_value.assign(in.existing_value->data(), in.existing_value->size());
      return true;
    }
    for (const auto& operand : in.operand_list) {
      if (!apply_delta(*rec, std::string_view(operand.data(), operand.size())))
        spdlog::error("event=store.bad_delta item={} bytes={}", rec->item.id, operand.size());
    }
    out->new_value = encode_record(*rec);
    return true;
  }

  const char* Name() const override { return "pw.item_record.v3"; }
};

}  // namespace

std::shared_ptr<rocksdb::MergeOperator> make_record_merge() { return std::make_shared<record_merge>(); }

}  // namespace pw::store
