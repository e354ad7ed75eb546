#include "stages/asset/pixels.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

namespace pw::stages::asset {

namespace {

// Box-filtered resize of a grey raster to w x h (area averaging).
std::vector<double> shrink(const raster& g, int w, int h) {
  std::vector<double> out(static_cast<std::size_t>(w * h), 0.0);
  std::vector<double> count(out.size(), 0.0);
  for (int y = 0; y < g.height; ++y) {
    const int ty = std::min(h - 1, y * h / g.height);
    for (int x = 0; x < g.width; ++x) {
      const int tx = std::min(w - 1, x * w / g.width);
      out[static_cast<std::size_t>(ty * w + tx)] += g.at(x, y);
      count[static_cast<std::size_t>(ty * w + tx)] += 1.0;
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = count[i] > 0 ? out[i] / count[i] : 0.0;
  return out;
}

// Otsu's threshold of a histogram.
int otsu(const std::array<std::size_t, 256>& hist, std::size_t total) {
  double sum = 0;
  for (int i = 0; i < 256; ++i) sum += i * static_cast<double>(hist[static_cast<std::size_t>(i)]);
  double sum_b = 0, best = -1;
  std::size_t w_b = 0;
  int threshold = 128;
  for (int t = 0; t < 256; ++t) {
    w_b += hist[static_cast<std::size_t>(t)];
    if (w_b == 0) continue;
    const std::size_t w_f = total - w_b;
    if (w_f == 0) break;
    sum_b += t * static_cast<double>(hist[static_cast<std::size_t>(t)]);
    const double m_b = sum_b / static_cast<double>(w_b), m_f = (sum - sum_b) / static_cast<double>(w_f);
    const double between = static_cast<double>(w_b) * static_cast<double>(w_f) * (m_b - m_f) * (m_b - m_f);
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
}

// How peaked the projection of `points` onto the axis at `degrees` is: the
// sum of squared bin counts, high when the points line up in rows.
double profile_score(const std::vector<std::pair<float, float>>& points, double degrees) {
  const double r = degrees * M_PI / 180.0;
  const double s = std::sin(r), c = std::cos(r);
  std::vector<std::uint32_t> bins(4096, 0);
  for (const auto& [x, y] : points) {
    const double v = -x * s + y * c + 2048.0;
    const auto b = static_cast<long>(v);
    if (b >= 0 && b < 4096) ++bins[static_cast<std::size_t>(b)];
  }
  double score = 0;
  for (auto n : bins) score += static_cast<double>(n) * static_cast<double>(n);
  return score;
}

}  // namespace

std::uint64_t perceptual_hash(const raster& grey) {
  constexpr int n = 32;
  if (grey.width <= 0 || grey.height <= 0) return 0;
  const auto px = shrink(grey, n, n);
  // 2-D DCT-II, only the 8x8 lowest frequencies are needed.
  std::array<double, 64> coef{};
  std::array<std::array<double, n>, 8> basis{};
  for (int u = 0; u < 8; ++u)
    for (int x = 0; x < n; ++x) basis[static_cast<std::size_t>(u)][static_cast<std::size_t>(x)] = std::cos((2 * x + 1) * u * M_PI / (2 * n));
  for (int u = 0; u < 8; ++u)
    for (int v = 0; v < 8; ++v) {
      double sum = 0;
      for (int y = 0; y < n; ++y) {
        double row = 0;
        for (int x = 0; x < n; ++x) row += px[static_cast<std::size_t>(y * n + x)] * basis[static_cast<std::size_t>(u)][static_cast<std::size_t>(x)];
        sum += row * basis[static_cast<std::size_t>(v)][static_cast<std::size_t>(y)];
      }
      coef[static_cast<std::size_t>(v * 8 + u)] = sum;
    }
  auto sorted = coef;
  std::nth_element(sorted.begin(), sorted.begin() + 32, sorted.end());
  const double median = sorted[32];
  std::uint64_t h = 0;
  for (std::size_t i = 0; i < 64; ++i)
    if (coef[i] > median) h |= std::uint64_t{1} << i;
  return h;
}

int hamming(std::uint64_t a, std::uint64_t b) noexcept { return std::popcount(a ^ b); }

std::string hash_hex(std::uint64_t h) { return fmt::format("{:016x}", h); }

bool parse_hash_hex(const std::string& text, std::uint64_t& out) noexcept {
  if (text.size() != 16) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

std::string colour_share::hex() const { return fmt::format("#{:02x}{:02x}{:02x}", r, g, b); }

std::vector<colour_share> dominant_colours(const raster& rgb, int k) {
  std::vector<std::array<std::uint8_t, 3>> px;
  if (rgb.bands < 3 || rgb.width <= 0 || rgb.height <= 0) return {};
  px.reserve(static_cast<std::size_t>(rgb.width * rgb.height));
  for (int y = 0; y < rgb.height; ++y)
    for (int x = 0; x < rgb.width; ++x) px.push_back({rgb.at(x, y, 0), rgb.at(x, y, 1), rgb.at(x, y, 2)});
  const auto pixels = px;  // median cut reorders px
  // Median cut into up to 16 boxes (split the box with the widest channel
  // range at its median) gives candidate colours; every pixel then counts
  // for its nearest candidate, and candidates closer than a just-noticeable
  // step merge, so a share is the part of the picture in that colour.
  struct box {
    std::size_t begin, end;
  };
  std::vector<box> boxes{{0, px.size()}};
  auto range_of = [&](const box& b, int& channel) {
    std::array<int, 3> lo{255, 255, 255}, hi{0, 0, 0};
    for (std::size_t i = b.begin; i < b.end; ++i)
      for (std::size_t c = 0; c < 3; ++c) {
        lo[c] = std::min<int>(lo[c], px[i][c]);
        hi[c] = std::max<int>(hi[c], px[i][c]);
      }
    int best = -1;
    for (int c = 0; c < 3; ++c)
      if (hi[static_cast<std::size_t>(c)] - lo[static_cast<std::size_t>(c)] > best) {
        best = hi[static_cast<std::size_t>(c)] - lo[static_cast<std::size_t>(c)];
        channel = c;
      }
    return best;
  };
  while (boxes.size() < 16) {
    int split = -1, channel = 0, widest = 8;  // boxes narrower than this are one colour
    for (std::size_t i = 0; i < boxes.size(); ++i) {
      int c = 0;
      const int r = boxes[i].end - boxes[i].begin > 1 ? range_of(boxes[i], c) : 0;
      if (r > widest) {
        widest = r;
        split = static_cast<int>(i);
        channel = c;
      }
    }
    if (split < 0) break;
    auto b = boxes[static_cast<std::size_t>(split)];
    const auto mid = b.begin + (b.end - b.begin) / 2;
    const auto ch = static_cast<std::size_t>(channel);
    std::nth_element(px.begin() + static_cast<std::ptrdiff_t>(b.begin), px.begin() + static_cast<std::ptrdiff_t>(mid),
                     px.begin() + static_cast<std::ptrdiff_t>(b.end), [ch](const auto& a, const auto& c) { return a[ch] < c[ch]; });
    boxes[static_cast<std::size_t>(split)] = {b.begin, mid};
    boxes.push_back({mid, b.end});
  }
  struct candidate {
    std::array<double, 3> sum{};
    double n = 0;
    std::array<double, 3> colour() const { return {sum[0] / n, sum[1] / n, sum[2] / n}; }
  };
  std::vector<std::array<double, 3>> centres;
  for (const auto& b : boxes) {
    if (b.end == b.begin) continue;
    std::array<double, 3> s{};
    for (std::size_t i = b.begin; i < b.end; ++i)
      for (std::size_t c = 0; c < 3; ++c) s[c] += px[i][c];
    const double n = static_cast<double>(b.end - b.begin);
    centres.push_back({s[0] / n, s[1] / n, s[2] / n});
  }
  auto dist2 = [](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]);
  };
  std::vector<candidate> cands(centres.size());
  for (const auto& p : pixels) {
    std::array<double, 3> v{static_cast<double>(p[0]), static_cast<double>(p[1]), static_cast<double>(p[2])};
    std::size_t best = 0;
    for (std::size_t i = 1; i < centres.size(); ++i)
      if (dist2(v, centres[i]) < dist2(v, centres[best])) best = i;
    for (std::size_t c = 0; c < 3; ++c) cands[best].sum[c] += v[c];
    cands[best].n += 1;
  }
  std::erase_if(cands, [](const candidate& c) { return c.n == 0; });
  std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.n > b.n; });
  constexpr double merge_below = 28.0 * 28.0;
  std::vector<candidate> merged;
  for (const auto& c : cands) {
    auto near = std::find_if(merged.begin(), merged.end(), [&](const candidate& m) { return dist2(m.colour(), c.colour()) < merge_below; });
    if (near == merged.end()) {
      merged.push_back(c);
      continue;
    }
    for (std::size_t i = 0; i < 3; ++i) near->sum[i] += c.sum[i];
    near->n += c.n;
  }
  std::sort(merged.begin(), merged.end(), [](const auto& a, const auto& b) { return a.n > b.n; });
  std::vector<colour_share> out;
  for (const auto& m : merged) {
    if (static_cast<int>(out.size()) == k) break;
    auto c = m.colour();
    out.push_back({static_cast<std::uint8_t>(std::lround(c[0])), static_cast<std::uint8_t>(std::lround(c[1])),
                   static_cast<std::uint8_t>(std::lround(c[2])),
                   std::round(m.n / static_cast<double>(pixels.size()) * 1000) / 1000});
  }
  return out;
}

double sharpness(const raster& g) {
  if (g.width < 3 || g.height < 3) return 0;
  double sum = 0, sum2 = 0;
  std::size_t n = 0;
  for (int y = 1; y + 1 < g.height; ++y)
    for (int x = 1; x + 1 < g.width; ++x) {
      const double l = 4.0 * g.at(x, y) - g.at(x - 1, y) - g.at(x + 1, y) - g.at(x, y - 1) - g.at(x, y + 1);
      sum += l;
      sum2 += l * l;
      ++n;
    }
  const double mean = sum / static_cast<double>(n);
  return sum2 / static_cast<double>(n) - mean * mean;
}

double contrast(const raster& g) {
  if (g.pixels.empty()) return 0;
  double sum = 0, sum2 = 0;
  for (auto p : g.pixels) {
    sum += p;
    sum2 += static_cast<double>(p) * p;
  }
  const double n = static_cast<double>(g.pixels.size());
  const double var = sum2 / n - (sum / n) * (sum / n);
  return std::min(1.0, std::sqrt(std::max(0.0, var)) / 128.0);
}

double text_angle(const raster& g) {
  if (g.width < 16 || g.height < 16) return 0;
  // Edge points (the strongest tenth of the gradient): letters and the
  // straight edges of labels and boxes. A tilted photo tilts them all; a
  // smooth background has none.
  std::vector<std::pair<float, std::pair<float, float>>> edges;  // (magnitude, point)
  const float cx = static_cast<float>(g.width) / 2, cy = static_cast<float>(g.height) / 2;
  for (int y = 1; y + 1 < g.height; ++y)
    for (int x = 1; x + 1 < g.width; ++x) {
      const int gx = g.at(x + 1, y - 1) + 2 * g.at(x + 1, y) + g.at(x + 1, y + 1) - g.at(x - 1, y - 1) - 2 * g.at(x - 1, y) -
                     g.at(x - 1, y + 1);
      const int gy = g.at(x - 1, y + 1) + 2 * g.at(x, y + 1) + g.at(x + 1, y + 1) - g.at(x - 1, y - 1) - 2 * g.at(x, y - 1) -
                     g.at(x + 1, y - 1);
      const float m = static_cast<float>(std::abs(gx) + std::abs(gy));
      if (m >= 60) edges.push_back({m, {static_cast<float>(x) - cx, static_cast<float>(y) - cy}});
    }
  if (edges.size() < 50) return 0;
  const std::size_t keep = std::max<std::size_t>(50, static_cast<std::size_t>(g.width) * static_cast<std::size_t>(g.height) / 10);
  if (edges.size() > keep) {
    std::nth_element(edges.begin(), edges.begin() + static_cast<std::ptrdiff_t>(keep), edges.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    edges.resize(keep);
  }
  std::vector<std::pair<float, float>> points;
  points.reserve(edges.size());
  for (const auto& e : edges) points.push_back(e.second);
  const double level = profile_score(points, 0.0);
  double best_angle = 0, best = level;
  for (double base : {0.0, 90.0})
    for (double a = -20; a <= 20; a += 1.0) {
      const double angle = base + a;
      if (angle == 0.0) continue;
      const double s = profile_score(points, angle);
      if (s > best) {
        best = s;
        best_angle = angle;
      }
    }
  const double coarse = best_angle;
  for (double d = -0.75; d <= 0.75; d += 0.25) {
    const double s = profile_score(points, coarse + d);
    if (s > best) {
      best = s;
      best_angle = coarse + d;
    }
  }
  // A profile barely better than the level one is no evidence of tilt.
  if (best < level * 1.05) return 0;
  return best_angle;
}

}  // namespace pw::stages::asset
