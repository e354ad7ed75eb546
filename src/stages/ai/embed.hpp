// Hashed n-gram embeddings with per-workspace IDF learned from the stream.
//
// Features of a text: word unigrams (stopwords weighed down) and bigrams,
// concept names (language-independent: "@login" for "log in", "iniciar
// sesión", "anmelden"), and character 3- and 4-grams of content words (for
// typos and inflections). Each is hashed (64-bit FNV-1a) to a signed slot of
// `dim` floats; the vector is L2-normalised.
//
// IDF: word and concept features are weighed by idf = 1 + ln((1 + N) / (1 +
// df)) where N is the number of documents the workspace has embedded and df
// those that had the term. Each item's counts are added once (a re-run of
// the same item does not count again) and persisted as one state value per
// item: the sorted 32-bit hashes of its terms. restore() sums them again.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "stages/ai/analysis.hpp"

namespace pw::stages::ai {

struct feature {
  std::uint64_t hash;
  float weight;
};

// The word, bigram and concept features of a text (equal ones merged, a
// repeat adding 1 + ln(count) times the weight), and the hashes of its
// character n-grams (each weighs the same; repeats add up).
struct feature_set {
  std::vector<feature> terms;
  std::vector<std::uint64_t> chargrams;
};
feature_set features(const analysis& a);

struct embed_result {
  std::vector<float> vector;  // dim floats, L2-normalised (all zero for an empty text)
  std::string state;          // the item's term list to persist; empty when already counted
};

class embedder {
 public:
  explicit embedder(std::size_t dim = 256) : dim_(dim) {}
  std::size_t dim() const { return dim_; }

  // Thread-safe; locks only the item's workspace. `extra`: language-free
  // terms with their weights added as they are (no IDF): the learned
  // models' likeliest themes (predict.hpp, theme_terms), so a Spanish and an
  // English report of one problem land near each other.
  embed_result embed(const analysis& a, std::string_view workspace, std::string_view item_id,
                     const std::vector<std::pair<std::string, float>>& extra = {});
  // Replays one persisted term list (restore at start).
  void restore(std::string_view workspace, std::string_view item_id, std::string_view state);
  // The item was deleted: its terms leave the document frequencies (the
  // analysis of its text gives the same terms embed() counted).
  void remove(const analysis& a, std::string_view workspace, std::string_view item_id);
  // Documents counted in a workspace (0 when unknown).
  std::uint32_t documents(std::string_view workspace) const;
  // Drops a workspace's counts (it moved to another node); no embed of it may run meanwhile.
  void forget(std::string_view workspace);

 private:
  struct stats {
    std::mutex mu;
    std::uint32_t docs = 0;
    std::unordered_map<std::uint32_t, std::uint32_t> df;
    std::unordered_set<std::uint64_t> seen;  // hashes of counted item ids
  };
  stats& of(std::string_view workspace);
  const stats* find(std::string_view workspace) const;

  std::size_t dim_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<stats>> ws_;
};

}  // namespace pw::stages::ai
