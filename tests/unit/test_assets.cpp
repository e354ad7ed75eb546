// The plain-C++ parts of the asset pipeline: the OCR-aware matcher, the
// brand dictionary, pixel analysis, the asset lifecycle, signed URLs, the
// streaming multipart parser and the Socket.IO wire format.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "core/asset.hpp"
#include "net/multipart.hpp"
#include "net/sio_protocol.hpp"
#include "stages/asset/dictionary.hpp"
#include "stages/asset/image.hpp"
#include "stages/asset/matcher.hpp"
#include "stages/asset/pixels.hpp"
#include "stages/asset/signed_url.hpp"

namespace pw::embedded_assets {
std::string_view brands_toml();
}

using namespace pw;
using stages::asset::text_line;

namespace {

const stages::asset::dictionary& brands() {
  static auto d = stages::asset::dictionary::parse(embedded_assets::brands_toml(), "brands.toml");
  return d.value();
}

stages::asset::extraction read(const std::string& category, std::vector<std::string> lines) {
  std::vector<text_line> in;
  for (auto& l : lines) in.push_back(text_line{l, 0.9, 0.8, "ocr"});
  return stages::asset::extract(*brands().category(category), in, std::nullopt);
}

}  // namespace

TEST_CASE("the built-in dictionary: five categories, at least 40 brands, each with models") {
  const auto& d = brands();
  CHECK(d.category_names() == std::vector<std::string>{"action_figure", "sneaker", "trading_card", "vinyl_record", "watch"});
  CHECK(d.brand_count() >= 40);
  for (const auto& name : d.category_names())
    for (const auto& b : d.category(name)->brands) CHECK(!b.models.empty());
}

TEST_CASE("dictionary errors name the key") {
  using stages::asset::dictionary;
  CHECK(dictionary::parse("[Watch.\"X\"]\nmodels = [\"a\"]\n", "f").err().message.find("Watch: category names") != std::string::npos);
  CHECK(dictionary::parse("[watch.\"Rolex\"]\n", "f").err().message.find("watch.\"Rolex\".models: missing") != std::string::npos);
  CHECK(dictionary::parse("[watch.\"Rolex\"]\nmodels = []\n", "f").err().message.find("at least one") != std::string::npos);
  CHECK(dictionary::parse("[watch.\"Rolex\"]\nmodels = [\"a\"]\ncolour = 1\n", "f").err().message.find("colour: unknown key") !=
        std::string::npos);
  CHECK(dictionary::parse("[watch\n", "f").err().message.find("line 1") != std::string::npos);
}

TEST_CASE("brand and model survive OCR's confusions, and each field has a confidence") {
  auto x = read("watch", {"R0LEX", "Subrnariner", "SWISS MADE"});  // 0 for O, rn for m
  REQUIRE(x.brand);
  REQUIRE(x.model);
  CHECK(x.brand->value == "Rolex");
  CHECK(x.model->value == "Submariner");
  CHECK(x.brand->confidence > 0.5);
  CHECK(x.brand->confidence < 0.99);  // a misread letter costs confidence
  auto clean = read("watch", {"ROLEX", "Submariner"});
  CHECK(clean.brand->confidence > x.brand->confidence);
  // Split across words, and run together.
  CHECK(read("watch", {"TAG HEU ER", "Car rera"}).model->value == "Carrera");
  CHECK(read("watch", {"ROLEXSUBMARINER"}).brand->value == "Rolex");
  // Spellings: an alias, diacritics.
  CHECK(read("trading_card", {"Pokémon", "Pikachu"}).brand->value == "Pokemon");
  CHECK(read("trading_card", {"MTG", "Black Lotus"}).brand->value == "Magic: The Gathering");
  // Longer models win a tie: "Royal Oak Offshore" over "Royal Oak".
  CHECK(read("watch", {"AUDEMARS PIGUET", "ROYAL OAK OFFSHORE"}).model->value == "Royal Oak Offshore");
  CHECK(read("watch", {"AUDEMARS PIGUET", "ROYAL OAK"}).model->value == "Royal Oak");
}

TEST_CASE("short names need a whole, nearly exact word, and a name inside another word is not read") {
  CHECK(!read("sneaker", {"OPERATOR"}).model);         // Vans' "Era"
  CHECK(read("sneaker", {"VANS", "Era"}).model->value == "Era");
  CHECK(read("sneaker", {"NEW BALANCE", "S50"}).model->value == "550");  // 5 read as S
  auto magician = read("trading_card", {"Dark Magician"});  // "MAGIC" starts "MAGICIAN"
  CHECK((magician.brand ? magician.brand->value : "") != "Magic: The Gathering");
  CHECK(!read("watch", {"WATER RESISTANT 100M"}).brand);
}

TEST_CASE("a model of one brand names the brand, a model several brands share names none") {
  auto x = read("trading_card", {"Dark Magician"});
  REQUIRE(x.brand);
  CHECK(x.brand->value == "Yu-Gi-Oh!");
  CHECK(x.brand->source == "model");
  CHECK(x.brand->confidence < x.model->confidence);
  auto shared = read("action_figure", {"Teenage Mutant Ninja Turtles"});
  CHECK(shared.model);
  CHECK(!shared.brand);  // NECA or Playmates
}

TEST_CASE("the worker's answer is mapped onto the dictionary and combined with what was read") {
  const auto& cat = *brands().category("watch");
  stages::asset::external_guess g{"OMEGA", "speedmaster", 0.8, 0.7};
  auto only_worker = stages::asset::extract(cat, {}, g);
  CHECK(only_worker.brand->value == "Omega");
  CHECK(only_worker.brand->source == "worker");
  auto agree = stages::asset::extract(cat, {{"OMEGA", 0.9, 1.0, "ocr"}}, g);
  CHECK(agree.brand->source == "ocr+worker");
  CHECK(agree.brand->confidence > 0.8);
  stages::asset::external_guess unknown{"Acme Timepieces", "", 0.95, 0};
  CHECK(stages::asset::extract(cat, {}, unknown).brand->value == "Acme Timepieces");  // a brand the dictionary lacks
}

TEST_CASE("similarity weighs OCR confusions less than other edits") {
  using stages::asset::similarity;
  CHECK(similarity("ROLEX", "ROLEX") == 1.0);
  CHECK(similarity("R0LEX", "ROLEX") > similarity("RALEX", "ROLEX"));
  CHECK(similarity("SUBRNARINER", "SUBMARINER") > 0.9);
  CHECK(similarity("", "ROLEX") == 0.0);
  CHECK(stages::asset::compact("Yu-Gi-Oh!") == "YUGIOH");
  CHECK(stages::asset::compact("Pokémon") == "POKEMON");
}

TEST_CASE("perceptual hashes: near copies are close, different pictures far, and colours and quality") {
  using namespace stages::asset;
  // A product photo of the image set, the same brighter and with speckles,
  // the same at 60 % of its size, and another product.
  init_image_library();
  auto read_file = [](const std::string& name) {
    std::ifstream in(std::string(PW_TEST_DATA_DIR) + "/images/" + name, std::ios::binary);
    std::stringstream b;
    b << in.rdbuf();
    return b.str();
  };
  const auto photo = decode(read_file("watch/01-rolex-oyster-perpetual-clean.jpg"), {});
  const auto another = decode(read_file("sneaker/01-hoka-mach-5-clean.jpg"), {});
  REQUIRE(photo);
  REQUIRE(another);
  const raster& a = photo->grey;
  const raster& other = another->grey;
  raster brighter = a;
  for (std::size_t i = 0; i < a.pixels.size(); ++i)
    brighter.pixels[i] = static_cast<std::uint8_t>(std::clamp(a.pixels[i] * 1.05 + 8 + static_cast<double>(i * 7 % 5), 0.0, 255.0));
  const raster smaller = crop(a, 0, 0, a.width, a.height, 0.6);
  CHECK(hamming(perceptual_hash(a), perceptual_hash(smaller)) <= 8);  // under assets.duplicate_distance (10)
  CHECK(hamming(perceptual_hash(a), perceptual_hash(brighter)) <= 4);
  CHECK(hamming(perceptual_hash(a), perceptual_hash(other)) > 16);
  std::uint64_t h = 0;
  CHECK(parse_hash_hex(hash_hex(0x0123456789abcdefULL), h));
  CHECK(h == 0x0123456789abcdefULL);
  CHECK(!parse_hash_hex("xyz", h));

  raster rgb{10, 10, 3, {}};
  for (int i = 0; i < 100; ++i) {
    const bool red = i < 70;
    rgb.pixels.insert(rgb.pixels.end(), {static_cast<std::uint8_t>(red ? 250 : 10), 10, static_cast<std::uint8_t>(red ? 10 : 240)});
  }
  auto colours = dominant_colours(rgb, 5);
  REQUIRE(colours.size() == 2);
  CHECK(colours[0].hex() == "#fa0a0a");
  CHECK(colours[0].share == Approx(0.7));
  CHECK(contrast(a) > contrast(photo->grey) - 0.001);
  raster flat = a;
  for (auto& p : flat.pixels) p = static_cast<std::uint8_t>(100 + p / 8);
  CHECK(contrast(flat) < contrast(a));
  CHECK(sharpness(a) > 0);
}

TEST_CASE("the asset lifecycle: draft -> processing -> active | failed, from the item's status") {
  using core::asset_status;
  CHECK(core::asset_status_of(core::item_status::queued) == asset_status::processing);
  CHECK(core::asset_status_of(core::item_status::paused) == asset_status::processing);
  CHECK(core::asset_status_of(core::item_status::completed) == asset_status::active);
  CHECK(core::asset_status_of(core::item_status::partial) == asset_status::failed);
  CHECK(core::asset_status_of(core::item_status::cancelled) == asset_status::failed);
  CHECK(core::transition_allowed(std::nullopt, asset_status::draft));
  CHECK(core::transition_allowed(asset_status::draft, asset_status::processing));
  CHECK(core::transition_allowed(asset_status::failed, asset_status::processing));
  CHECK(!core::transition_allowed(asset_status::active, asset_status::failed));
  CHECK(!core::transition_allowed(std::nullopt, asset_status::active));
  auto e = core::asset_transition(asset_status::draft, asset_status::processing, 5, "queued");
  REQUIRE(e);
  CHECK(e->from == "asset:draft");
  CHECK(e->to == "asset:processing");
  CHECK(e->stage.empty());
  CHECK(core::asset_transition(asset_status::active, asset_status::draft, 5, "x").err().code == core::errc::invalid_transition);
}

TEST_CASE("signed image URLs: for one asset, until they expire, not forgeable") {
  stages::asset::url_signer signer("pipewright-test-secret-0123456789", std::chrono::milliseconds(60000));
  signer.set_base("http://127.0.0.1:9000/");
  const auto url = signer.image_url("01AAAAAAAAAAAAAAAAAAAAAAAA", 1000);
  CHECK(url.rfind("http://127.0.0.1:9000/api/v1/assets/01AAAAAAAAAAAAAAAAAAAAAAAA/image?expires=61000&sig=", 0) == 0);
  const auto sig = url.substr(url.find("sig=") + 4);
  CHECK(signer.verify("01AAAAAAAAAAAAAAAAAAAAAAAA", "61000", sig, 2000));
  CHECK(!signer.verify("01AAAAAAAAAAAAAAAAAAAAAAAA", "61000", sig, 61001));  // expired
  CHECK(!signer.verify("01BBBBBBBBBBBBBBBBBBBBBBBB", "61000", sig, 2000));  // another asset
  CHECK(!signer.verify("01AAAAAAAAAAAAAAAAAAAAAAAA", "99000", sig, 2000));  // a later expiry
  stages::asset::url_signer other("another-secret-0123456789abcdef", std::chrono::milliseconds(60000));
  CHECK(!other.verify("01AAAAAAAAAAAAAAAAAAAAAAAA", "61000", sig, 2000));
}

TEST_CASE("multipart: parts are cut the same at any chunking, limits stop the body at once") {
  const std::string body =
      "preamble\r\n--b0und\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nwatch\r\n"
      "--b0und\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a b.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
      "\xFF\xD8\r\n--b0un not a boundary\r\n\xFF\xD9\r\n--b0und--\r\nepilogue";
  for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
    net::multipart_parser p("b0und", {});
    for (std::size_t at = 0; at < body.size(); at += chunk) REQUIRE(p.feed(std::string_view(body).substr(at, chunk)));
    REQUIRE(p.finish());
    auto form = p.take();
    REQUIRE(form.parts.size() == 2);
    CHECK(form.find("category")->data == "watch");
    CHECK(*form.find("image")->filename == "a b.jpg");
    CHECK(form.find("image")->content_type == "image/jpeg");
    CHECK(form.find("image")->data == "\xFF\xD8\r\n--b0un not a boundary\r\n\xFF\xD9");
  }
  CHECK(net::multipart_parser::boundary_of("multipart/form-data; boundary=\"abc def\"") == "abc def");
  CHECK(!net::multipart_parser::boundary_of("multipart/form-data"));
  CHECK(!net::multipart_parser::boundary_of("application/json; boundary=x"));

  auto refused = [](const std::string& b, net::form_limits limits = {}) {
    net::multipart_parser p("X", limits);
    if (!p.feed(b)) return p.error();
    if (!p.finish()) return p.error();
    return core::error{};
  };
  net::form_limits small;
  small.max_file_bytes = 10;
  CHECK(refused("--X\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\n0123456789ABCDEF\r\n--X--", small)
            .code == core::errc::payload_too_large);
  CHECK(refused("--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--X\r\nContent-Disposition: form-data; "
                "name=\"a\"\r\n\r\n2\r\n--X--")
            .message.find("'a' twice") != std::string::npos);
  CHECK(refused("--X\r\nContent-Type: text/plain\r\n\r\nx\r\n--X--").message.find("no Content-Disposition") != std::string::npos);
  CHECK(refused("--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunfinished").message.find("truncated") !=
        std::string::npos);
  CHECK(refused(std::string(10000, 'x')).message.find("does not start with the boundary") != std::string::npos);
  CHECK(refused("--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" + std::string(5000, 'y') + "\r\n--X--")
            .message.find("longer than") != std::string::npos);
}

TEST_CASE("Socket.IO and Engine.IO packets") {
  using namespace net::sio;
  CHECK(parse_eio("4hello")->type == eio::message);
  CHECK(parse_eio("2")->type == eio::ping);
  CHECK(!parse_eio("9x"));
  CHECK(!parse_eio(""));
  CHECK(split_payload("4a\x1e" "4b\x1e" "2") == std::vector<std::string_view>{"4a", "4b", "2"});
  CHECK(join_payload({"4a", "2"}) == "4a\x1e" "2");
  CHECK(open_packet("SID", true, 25000, 20000, 1000) ==
        R"(0{"sid":"SID","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000})");
  auto c = parse_sio(R"(0{"token":"abc"})");
  REQUIRE(c);
  CHECK(c->type == sio_type::connect);
  CHECK(c->nsp == "/");
  CHECK(c->json == R"({"token":"abc"})");
  auto admin = parse_sio(R"(0/admin,{"token":"x"})");
  CHECK(admin->nsp == "/admin");
  auto acked = parse_sio(R"(212["ping"])");
  CHECK(acked->type == sio_type::event);
  CHECK(acked->ack_id == 12u);
  CHECK(acked->json == R"(["ping"])");
  CHECK(parse_sio("51-[\"x\",{\"_placeholder\":true,\"num\":0}]")->type == sio_type::binary_event);
  CHECK(!parse_sio("5x"));
  // A payload must be a JSON object or array: "2/,/,x" is not an event with
  // the payload "/,x" (encoded back it would read as namespace "/,x").
  CHECK(!parse_sio("2/,/,a*inai"));
  CHECK(!parse_sio("2hello"));
  CHECK(!parse_sio(R"(2"just a string")"));
  CHECK(parse_sio("1")->json.empty());
  CHECK(event_message("asset_processed", R"({"seq":1})") == R"(42["asset_processed",{"seq":1}])");
  CHECK(encode_sio(sio_type::connect_error, R"({"message":"no"})") == R"(44{"message":"no"})");
  CHECK(encode_sio(sio_type::connect_error, "{}", "/x") == "44/x,{}");
  CHECK(new_sid().size() == 20);
  CHECK(new_sid() != new_sid());
}
