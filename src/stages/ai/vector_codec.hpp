// Embeddings travel between stages as base64 of little-endian float32
// ("f32le-base64"): 256 dimensions are 1,368 characters instead of ~2,500
// for a JSON array, and the value is exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pw::stages::ai {

inline constexpr std::string_view vector_encoding = "f32le-base64";

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

std::string encode_vector(const std::vector<float>& v);
// nullopt when the text is not base64 of a whole number of floats.
std::optional<std::vector<float>> decode_vector(std::string_view text);

// Raw little-endian float32 bytes (for state values).
void append_floats(std::string& out, const float* v, std::size_t n);
bool read_floats(std::string_view bytes, float* v, std::size_t n);

float dot(const float* a, const float* b, std::size_t n) noexcept;
void normalize(std::vector<float>& v) noexcept;

}  // namespace pw::stages::ai
