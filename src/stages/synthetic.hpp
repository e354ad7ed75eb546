// The `synthetic` backend: the seven feedback stages of the BullMQ anchor
// (../shared/anchors/bullmq/README.md, "Stage spec"), ported exactly, so the
// two systems do the same work in benchmarks and tests have golden values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stages/stage.hpp"

namespace pw::stages::synthetic {

// FNV-1a 32-bit over the low byte of each UTF-16 code unit of `utf8`, as the
// anchor's JavaScript does.
std::uint32_t fnv1a(std::string_view utf8, std::uint32_t seed = 0x811c9dc5u) noexcept;
// Lower-cased tokens of [a-z0-9]+, as `text.toLowerCase().split(/[^a-z0-9]+/)`.
std::vector<std::string> tokenize(std::string_view utf8);
// JavaScript's Math.round(x * 1e4) / 1e4.
double round4(double x) noexcept;

inline constexpr std::string_view kinds[] = {"embed", "classify", "sentiment", "urgency", "duplicate", "theme", "priority"};

// `kind` is one of `kinds`; anything else is nullptr.
std::shared_ptr<stage_backend> make(std::string_view kind);

}  // namespace pw::stages::synthetic
