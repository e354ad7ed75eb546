#include "cluster/view.hpp"

namespace pw::cluster {

std::vector<std::string> cluster_view::targets() const {
  std::vector<std::string> out;
  for (const auto& [node, m] : members)
    if (!drain.count(node)) out.push_back(node);
  return out;
}

}  // namespace pw::cluster
