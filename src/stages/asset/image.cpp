#include "stages/asset/image.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <vips/vips.h>

namespace pw::stages::asset {

namespace {

using core::errc;

// Owns one VipsImage reference.
class vimage {
 public:
  vimage() = default;
  explicit vimage(VipsImage* p) : p_(p) {}
  ~vimage() { reset(); }
  vimage(const vimage&) = delete;
  vimage& operator=(const vimage&) = delete;
  vimage(vimage&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  vimage& operator=(vimage&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = o.p_;
      o.p_ = nullptr;
    }
    return *this;
  }
  VipsImage* get() const noexcept { return p_; }
  VipsImage** out() noexcept {
    reset();
    return &p_;
  }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  void reset() {
    if (p_) g_object_unref(p_);
    p_ = nullptr;
  }
  VipsImage* p_ = nullptr;
};

// libvips keeps its error text per thread.
std::string take_vips_error() {
  std::string e = vips_error_buffer();
  vips_error_clear();
  while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
  if (auto nl = e.find('\n'); nl != std::string::npos) e = e.substr(0, nl);
  return e;
}

// A libvips failure in words a person can act on.
core::error decode_error(std::string_view what) {
  std::string e = take_vips_error();
  std::string lower = e;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view cue : {"premature end", "truncated", "not enough", "unexpected end", "out of data", "read error",
                               "short read", "incomplete", "end of file", "eof"})
    if (lower.find(cue) != std::string::npos)
      return core::make_error(errc::validation_failed,
                              fmt::format("the {} data is truncated: the file ends before the picture does "
                                          "(was the upload cut short?)",
                                          what));
  return core::make_error(errc::validation_failed,
                          fmt::format("the {} cannot be decoded: it is corrupt ({})", what, e.empty() ? "no detail" : e));
}

void* mem(std::string_view bytes) { return const_cast<char*>(bytes.data()); }

// sRGB (3 bands) or grey (1 band), 8 bits, alpha flattened on white.
core::result<vimage> normalised(vimage in, bool grey) {
  vimage cur = std::move(in);
  if (vips_image_hasalpha(cur.get())) {
    vimage flat;
    double white[] = {255, 255, 255, 255};
    VipsArrayDouble* bg = vips_array_double_new(white, 3);
    int rc = vips_flatten(cur.get(), flat.out(), "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    if (rc) return decode_error("image");
    cur = std::move(flat);
  }
  vimage col;
  if (vips_colourspace(cur.get(), col.out(), grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL))
    return decode_error("image");
  cur = std::move(col);
  const int want = grey ? 1 : 3;
  if (cur.get()->Bands > want) {
    vimage first;
    if (vips_extract_band(cur.get(), first.out(), 0, "n", want, NULL)) return decode_error("image");
    cur = std::move(first);
  }
  vimage u8;
  if (vips_cast_uchar(cur.get(), u8.out(), NULL)) return decode_error("image");
  return u8;
}

core::result<raster> to_raster(const vimage& img, std::string_view what) {
  size_t len = 0;
  void* data = vips_image_write_to_memory(img.get(), &len);  // decodes: errors surface here
  if (!data) return decode_error(what);
  raster r;
  r.width = img.get()->Xsize;
  r.height = img.get()->Ysize;
  r.bands = img.get()->Bands;
  r.pixels.assign(static_cast<const std::uint8_t*>(data), static_cast<const std::uint8_t*>(data) + len);
  g_free(data);
  return r;
}

// A thumbnail of the whole picture, orientation applied; failing on truncation.
core::result<vimage> thumbnail(std::string_view bytes, int side, bool enlarge) {
  vimage t;
  if (vips_thumbnail_buffer(mem(bytes), bytes.size(), t.out(), side, "height", side, "size",
                            enlarge ? VIPS_SIZE_BOTH : VIPS_SIZE_DOWN, "option_string", "fail_on=truncated", NULL))
    return decode_error("image");
  return t;
}

vimage from_raster(const raster& r) {
  VipsImage* img = vips_image_new_from_memory_copy(r.pixels.data(), r.pixels.size(), r.width, r.height, r.bands,
                                                   VIPS_FORMAT_UCHAR);
  return vimage(img);
}

std::uint8_t median_grey(const raster& g) {
  std::array<std::size_t, 256> hist{};
  for (auto p : g.pixels) ++hist[p];
  std::size_t seen = 0;
  for (int i = 0; i < 256; ++i) {
    seen += hist[static_cast<std::size_t>(i)];
    if (seen * 2 >= g.pixels.size()) return static_cast<std::uint8_t>(i);
  }
  return 255;
}

void stretch(raster& g) {
  if (g.pixels.empty()) return;
  std::array<std::size_t, 256> hist{};
  for (auto p : g.pixels) ++hist[p];
  const std::size_t n = g.pixels.size();
  int lo = 0, hi = 255;
  std::size_t seen = 0;
  for (int i = 0; i < 256; ++i) {
    seen += hist[static_cast<std::size_t>(i)];
    if (seen > n / 100) {
      lo = i;
      break;
    }
  }
  seen = 0;
  for (int i = 255; i >= 0; --i) {
    seen += hist[static_cast<std::size_t>(i)];
    if (seen > n / 100) {
      hi = i;
      break;
    }
  }
  if (hi - lo < 8 || (lo == 0 && hi == 255)) return;
  std::array<std::uint8_t, 256> map{};
  for (int i = 0; i < 256; ++i)
    map[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(std::clamp((i - lo) * 255 / (hi - lo), 0, 255));
  for (auto& p : g.pixels) p = map[p];
}

}  // namespace

void init_image_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("pipewright")) throw std::runtime_error("libvips failed to start: " + take_vips_error());
    // libvips also warns on stderr ("error in tile ..."); its errors reach
    // the stage's result, so the warnings go.
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
    vips_concurrency_set(1);  // our pool decides how many images are worked on at once
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
  });
}

std::optional<image_format> sniff(std::string_view b) noexcept {
  auto starts = [&](std::string_view magic, std::size_t at = 0) {
    return b.size() >= at + magic.size() && b.substr(at, magic.size()) == magic;
  };
  if (starts("\xFF\xD8\xFF")) return image_format::jpeg;
  if (starts("\x89PNG\r\n\x1A\n")) return image_format::png;
  if (starts("RIFF") && starts("WEBP", 8)) return image_format::webp;
  if (starts("GIF87a") || starts("GIF89a")) return image_format::gif;
  if (starts(std::string_view("II*\0", 4)) || starts(std::string_view("MM\0*", 4))) return image_format::tiff;
  return std::nullopt;
}

std::string_view format_name(image_format f) noexcept {
  switch (f) {
    case image_format::jpeg: return "jpeg";
    case image_format::png: return "png";
    case image_format::webp: return "webp";
    case image_format::gif: return "gif";
    case image_format::tiff: return "tiff";
  }
  return "jpeg";
}

std::string_view mime_type(image_format f) noexcept {
  switch (f) {
    case image_format::jpeg: return "image/jpeg";
    case image_format::png: return "image/png";
    case image_format::webp: return "image/webp";
    case image_format::gif: return "image/gif";
    case image_format::tiff: return "image/tiff";
  }
  return "application/octet-stream";
}

std::string_view accepted_formats() noexcept { return "JPEG, PNG, WebP, GIF, TIFF"; }

core::result<image_header> probe(std::string_view bytes, const image_limits& limits) {
  if (bytes.empty()) return core::make_error(errc::validation_failed, "the image is empty (0 bytes)");
  auto format = sniff(bytes);
  if (!format)
    return core::make_error(errc::unsupported_media_type,
                            fmt::format("the file is not an image this service reads ({}); its first bytes say so, "
                                        "whatever its name or declared type",
                                        accepted_formats()));
  vimage img(vips_image_new_from_buffer(mem(bytes), bytes.size(), "", "access", VIPS_ACCESS_SEQUENTIAL, NULL));
  if (!img) return decode_error(std::string(format_name(*format)) + " header");
  image_header h;
  h.format = *format;
  h.width = static_cast<std::uint32_t>(vips_image_get_width(img.get()));
  h.height = static_cast<std::uint32_t>(vips_image_get_height(img.get()));
  h.orientation = std::clamp(vips_image_get_orientation(img.get()), 1, 8);
  const auto pixels = static_cast<std::uint64_t>(h.width) * h.height;
  if (pixels > limits.max_pixels)
    return core::make_error(errc::payload_too_large,
                            fmt::format("the image is {} x {} pixels ({:.1f} megapixels); at most {:.1f} megapixels are "
                                        "accepted (assets.max_pixels)",
                                        h.width, h.height, static_cast<double>(pixels) / 1e6,
                                        static_cast<double>(limits.max_pixels) / 1e6),
                            fmt::format(R"({{"width":{},"height":{},"max_pixels":{}}})", h.width, h.height, limits.max_pixels));
  if (h.width < limits.min_side || h.height < limits.min_side)
    return core::make_error(errc::validation_failed,
                            fmt::format("the image is {} x {} pixels: too small to show anything; at least {} x {} "
                                        "pixels are needed",
                                        h.width, h.height, limits.min_side, limits.min_side),
                            fmt::format(R"({{"width":{},"height":{},"min_side":{}}})", h.width, h.height, limits.min_side));
  return h;
}

core::result<decoded_image> decode(std::string_view bytes, const image_limits& limits) {
  auto h = probe(bytes, limits);
  if (!h) return std::move(h).err();
  auto t = thumbnail(bytes, 256, false);
  if (!t) return std::move(t).err();
  auto rgb_img = normalised(std::move(t).value(), false);
  if (!rgb_img) return std::move(rgb_img).err();
  auto rgb = to_raster(rgb_img.value(), "image");
  if (!rgb) return std::move(rgb).err();
  decoded_image d;
  d.header = h.value();
  d.rgb = std::move(rgb).value();
  d.grey.width = d.rgb.width;
  d.grey.height = d.rgb.height;
  d.grey.bands = 1;
  d.grey.pixels.resize(static_cast<std::size_t>(d.rgb.width) * static_cast<std::size_t>(d.rgb.height));
  for (std::size_t i = 0; i < d.grey.pixels.size(); ++i) {
    const auto* p = &d.rgb.pixels[i * 3];
    d.grey.pixels[i] = static_cast<std::uint8_t>((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
  }
  return d;
}

core::result<raster> grey_for_reading(std::string_view bytes, int side, const image_limits& limits) {
  auto h = probe(bytes, limits);
  if (!h) return std::move(h).err();
  auto t = thumbnail(bytes, side, true);
  if (!t) return std::move(t).err();
  auto g = normalised(std::move(t).value(), true);
  if (!g) return std::move(g).err();
  auto r = to_raster(g.value(), "image");
  if (!r) return r;
  stretch(r.value());
  return r;
}

raster rotate(const raster& grey, double degrees) {
  double turn = std::fmod(degrees, 360.0);
  if (turn < 0) turn += 360.0;
  if (std::abs(turn) < 0.01 || grey.pixels.empty()) return grey;
  auto in = from_raster(grey);
  vimage out;
  int rc;
  if (std::abs(turn - 90) < 0.01) rc = vips_rot(in.get(), out.out(), VIPS_ANGLE_D90, NULL);
  else if (std::abs(turn - 180) < 0.01) rc = vips_rot(in.get(), out.out(), VIPS_ANGLE_D180, NULL);
  else if (std::abs(turn - 270) < 0.01) rc = vips_rot(in.get(), out.out(), VIPS_ANGLE_D270, NULL);
  else {
    double fill[] = {static_cast<double>(median_grey(grey))};
    VipsArrayDouble* bg = vips_array_double_new(fill, 1);
    rc = vips_rotate(in.get(), out.out(), turn, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
  }
  if (rc) {
    vips_error_clear();
    return grey;
  }
  vimage u8;
  if (vips_cast_uchar(out.get(), u8.out(), NULL)) {
    vips_error_clear();
    return grey;
  }
  auto r = to_raster(u8, "image");
  return r ? std::move(r).value() : grey;
}

raster denoise(const raster& grey) {
  if (grey.pixels.empty()) return grey;
  auto in = from_raster(grey);
  vimage out;
  if (vips_median(in.get(), out.out(), 3, NULL)) {
    vips_error_clear();
    return grey;
  }
  auto r = to_raster(out, "image");
  return r ? std::move(r).value() : grey;
}

raster crop(const raster& grey, int x, int y, int w, int h, double factor) {
  x = std::clamp(x, 0, std::max(0, grey.width - 1));
  y = std::clamp(y, 0, std::max(0, grey.height - 1));
  w = std::clamp(w, 1, grey.width - x);
  h = std::clamp(h, 1, grey.height - y);
  raster part;
  part.width = w;
  part.height = h;
  part.bands = 1;
  part.pixels.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (int row = 0; row < h; ++row)
    std::copy_n(&grey.pixels[static_cast<std::size_t>(y + row) * static_cast<std::size_t>(grey.width) + static_cast<std::size_t>(x)], w,
                &part.pixels[static_cast<std::size_t>(row) * static_cast<std::size_t>(w)]);
  if (std::abs(factor - 1.0) < 0.01) return part;
  auto in = from_raster(part);
  vimage out;
  if (vips_resize(in.get(), out.out(), factor, "kernel", VIPS_KERNEL_CUBIC, NULL)) {
    vips_error_clear();
    return part;
  }
  vimage u8;
  if (vips_cast_uchar(out.get(), u8.out(), NULL)) {
    vips_error_clear();
    return part;
  }
  auto r = to_raster(u8, "image");
  return r ? std::move(r).value() : part;
}

}  // namespace pw::stages::asset
