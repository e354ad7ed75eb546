// Duplicate search: one index per workspace, so workspaces never mix: exact
// search over a flat array up to `flat_limit` items, then an HNSW graph
// (hnswlib, inner product over the L2-normalised embeddings).
//
// The index returns an item's `candidates` nearest earlier items of its
// workspace (cosine of the embeddings). With a pair scorer (the learned one
// of the model file, pair_scorer.hpp) each candidate is scored on the pair's
// features and the item duplicates the best-scoring one whose score reaches
// the scorer's threshold. Without one (or for items stored before profiles
// existed), the most similar candidate whose cosine reaches `threshold` and
// that the guard (dup_guard.hpp) does not keep apart is the duplicate.
// Items form groups (an item joins the group of the item it duplicates);
// `duplicates` is the number of other items in the group when it was added.
//
// Durability: every item's vector, profile and decision is one state value
// ("v/<workspace>/<item id>"); restore() re-adds them in key order (item ids
// are ULIDs, so in arrival order). A re-run of an item replaces its vector
// and only looks at items that arrived before it.
//
// Deleting an item removes it (remove()): it is never again a candidate, and
// its group counts one item less. A group keeps its first item's id as its
// name after that item is deleted; after a restart an item whose duplicate
// was deleted starts its own group. The removed vector's memory is reclaimed
// at the next start (hnswlib 0.6 only marks graph nodes deleted).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stages/ai/dup_guard.hpp"
#include "stages/ai/pair_scorer.hpp"

namespace pw::stages::ai {

struct duplicate_options {
  double threshold = 0.45;  // cosine similarity
  std::size_t candidates = 10;
  std::size_t ef = 40;
  std::size_t m = 12;
  std::size_t ef_construction = 40;
  std::size_t flat_limit = 256;   // items searched exactly before a workspace gets a graph
  pair_scorer scorer;             // disabled: cosine threshold and guard only
};

struct duplicate_result {
  std::optional<std::string> duplicate_of;
  double similarity = 0;       // cosine of the chosen item, or of the nearest one
  double score = 0;            // the pair scorer's P(duplicate) of the best candidate (0 without scorer)
  std::optional<std::string> nearest;  // the nearest earlier item (chosen or not)
  bool guarded = false;        // a close item was kept apart by the guard
  std::size_t duplicates = 0;  // other items in its group
  std::string group;           // the group's first item (itself when unique)
  std::string state;           // the value to persist
};

class duplicate_index {
 public:
  explicit duplicate_index(duplicate_options o = {});
  ~duplicate_index();
  duplicate_index(const duplicate_index&) = delete;
  duplicate_index& operator=(const duplicate_index&) = delete;

  // Finds the item's duplicate among earlier items of its workspace and adds
  // it. Thread-safe (one mutex per workspace). Throws std::invalid_argument
  // when the vector's size differs from the workspace's.
  duplicate_result add(std::string_view workspace, std::string_view item_id, const std::vector<float>& vec,
                       const pair_profile& profile);
  // Re-adds a persisted item; false when the value is malformed.
  bool restore(std::string_view workspace, std::string_view item_id, std::string_view state);
  // Removes a deleted item; false when the index does not hold it.
  bool remove(std::string_view workspace, std::string_view item_id);
  // Items held for a workspace (removed ones not counted).
  std::size_t size(std::string_view workspace) const;
  // Drops a workspace's index (it moved to another node); no add for it may run meanwhile.
  void forget(std::string_view workspace);
  const duplicate_options& options() const { return opt_; }

 private:
  struct space;
  struct impl;
  duplicate_options opt_;
  std::unique_ptr<impl> impl_;
};

}  // namespace pw::stages::ai
