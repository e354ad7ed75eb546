// The parsers of issue 19 take input from outside (a CSV upload, a
// provider's answer, a Batch API output file): good input is read exactly,
// however it is split into pieces, and bad input is reported, never trusted,
// never a crash.
#include <catch2/catch.hpp>

#include <random>

#include "core/csv.hpp"
#include "stages/providers/answers.hpp"
#include "stages/providers/batch_lines.hpp"

using namespace pw;

namespace {

struct csv_outcome {
  std::vector<core::csv_row> rows;
  std::vector<core::csv_problem> problems;
};

// Feeds `text` in pieces of `piece` bytes (0: whole).
csv_outcome read_csv(std::string_view text, std::size_t piece = 0, core::csv_options o = {}) {
  csv_outcome out;
  core::csv_reader r(
      o, [&](core::csv_row&& row) { out.rows.push_back(std::move(row)); },
      [&](core::csv_problem&& p) { out.problems.push_back(std::move(p)); });
  if (piece == 0) piece = text.size() + 1;
  for (std::size_t i = 0; i < text.size(); i += piece) r.feed(text.substr(i, piece));
  r.finish();
  return out;
}

std::vector<std::string> fields(std::initializer_list<const char*> f) { return {f.begin(), f.end()}; }

}  // namespace

TEST_CASE("csv: quoted fields, doubled quotes, line breaks inside quotes, CRLF, BOM, blank lines") {
  const std::string text =
      "\xEF\xBB\xBFid,text\r\n"
      "1,\"a, b\"\r\n"
      "\r\n"
      "2,\"say \"\"hi\"\"\"\n"
      "3,\"two\nlines\"\n"
      "4,last without a break";
  // Every split of the input reads the same: pieces of 1, 2, 3 ... bytes.
  for (std::size_t piece : {0, 1, 2, 3, 5, 7, 64}) {
    INFO("piece " << piece);
    auto r = read_csv(text, piece);
    REQUIRE(r.problems.empty());
    REQUIRE(r.rows.size() == 5);
    CHECK(r.rows[0].fields == fields({"id", "text"}));
    CHECK(r.rows[1].fields == fields({"1", "a, b"}));
    CHECK(r.rows[2].fields == fields({"2", "say \"hi\""}));
    CHECK(r.rows[2].line == 4);
    CHECK(r.rows[3].fields == fields({"3", "two\nlines"}));
    CHECK(r.rows[3].line == 5);
    CHECK(r.rows[4].fields == fields({"4", "last without a break"}));
    CHECK(r.rows[4].line == 7);
  }
}

TEST_CASE("csv: a byte order mark cut short is text, and empty fields are kept") {
  auto r = read_csv("\xEF\xBBx,,y\n", 1);
  REQUIRE(r.rows.size() == 1);
  CHECK(r.rows[0].fields == fields({"\xEF\xBBx", "", "y"}));
  CHECK(read_csv("").rows.empty());
  CHECK(read_csv("\xEF\xBB\xBF").rows.empty());
}

TEST_CASE("csv: malformed rows are reported by the line they start on and reading goes on") {
  const std::string text =
      "a,b\n"
      "x,un\"quoted\n"        // 2: a quote inside an unquoted field
      "\"closed\"after,z\n"   // 3: text after a closing quote
      "ok,row\n"              // 4
      "\"open,never\nclosed";  // 5: open to the end
  for (std::size_t piece : {0, 1, 4}) {
    auto r = read_csv(text, piece);
    REQUIRE(r.rows.size() == 2);
    CHECK(r.rows[1].fields == fields({"ok", "row"}));
    CHECK(r.rows[1].line == 4);
    REQUIRE(r.problems.size() == 3);
    CHECK(r.problems[0].line == 2);
    CHECK(r.problems[0].message.find("quote inside unquoted field 2") != std::string::npos);
    CHECK(r.problems[1].line == 3);
    CHECK(r.problems[1].message.find("after a closing quote") != std::string::npos);
    CHECK(r.problems[2].line == 5);
    CHECK(r.problems[2].message == "a quoted field is never closed");
  }
}

TEST_CASE("csv: fields and rows over the limits are refused, not held") {
  core::csv_options o;
  o.max_field_bytes = 16;
  o.max_fields = 3;
  auto r = read_csv("a,b\n" + std::string(100, 'x') + ",y\n1,2,3,4\nok,fine\n", 0, o);
  REQUIRE(r.problems.size() == 2);
  CHECK(r.problems[0].line == 2);
  CHECK(r.problems[0].message.find("longer than 16 bytes") != std::string::npos);
  CHECK(r.problems[1].line == 3);
  CHECK(r.problems[1].message.find("more than 3 fields") != std::string::npos);
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[1].fields == fields({"ok", "fine"}));
}

TEST_CASE("csv: random bytes never crash the reader, and every row it returns is within the limits") {
  std::mt19937 rng(19);
  const std::string alphabet = "ab,\"\r\n\xEF\xBB\xBF ";
  core::csv_options o;
  o.max_field_bytes = 64;
  o.max_fields = 8;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const auto n = rng() % 300;
    for (std::size_t i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    auto r = read_csv(text, 1 + rng() % 17, o);
    for (const auto& row : r.rows) {
      CHECK(row.fields.size() <= o.max_fields);
      for (const auto& f : row.fields) CHECK(f.size() <= o.max_field_bytes);
    }
  }
}

TEST_CASE("provider answers: a valid structured output is read, anything else is a bad answer with a reason") {
  using stages::providers::parse_answer;
  using stages::providers::stage_kind;
  auto chat = [](std::string content) {
    std::string escaped;
    for (char c : content) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    return "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"" + escaped +
           "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5}}";
  };
  auto ok = parse_answer(stage_kind::sentiment, chat(R"({"label":"negative","score":-0.5})"), "m");
  REQUIRE(std::holds_alternative<stages::providers::answer>(ok));
  const auto& a = std::get<stages::providers::answer>(ok);
  CHECK(a.output.at("label").as_string() == "negative");
  CHECK(a.usage.prompt == 12);
  CHECK(a.usage.completion == 5);

  auto bad = [&](stage_kind k, const std::string& body) {
    auto r = parse_answer(k, body, "m");
    INFO(body);
    REQUIRE(std::holds_alternative<stages::providers::bad_answer>(r));
    return std::get<stages::providers::bad_answer>(r).message;
  };
  CHECK(bad(stage_kind::sentiment, chat(R"({"label":"angry","score":-0.5})")).find("'label' must be one of") !=
        std::string::npos);
  CHECK(bad(stage_kind::sentiment, chat(R"({"label":"negative","score":3})")).find("'score'") != std::string::npos);
  CHECK(bad(stage_kind::urgency, chat("not json")).find("invalid answer") != std::string::npos);
  CHECK(bad(stage_kind::classify, "{\"choices\":[]}").find("no choices") != std::string::npos);
  CHECK(bad(stage_kind::classify, "").find("invalid answer") != std::string::npos);
  CHECK(bad(stage_kind::classify, "[1,2").find("invalid answer") != std::string::npos);
  CHECK(bad(stage_kind::theme, chat(R"({"label":""})")).find("'label'") != std::string::npos);
  CHECK(bad(stage_kind::embed, R"({"data":[{"embedding":[0,0,0]}]})").find("all zeros") != std::string::npos);
  CHECK(bad(stage_kind::embed, R"({"data":[{"embedding":["x"]}]})").find("finite numbers") != std::string::npos);
  CHECK(bad(stage_kind::embed, R"({"data":[{"embedding":[1e300]}]})").find("finite numbers") != std::string::npos);
  // Deep nesting is refused by the JSON reader, not by the stack.
  CHECK(!bad(stage_kind::classify, std::string(100000, '[')).empty());

  // Random bytes and random cuts of a good answer never crash.
  std::mt19937 rng(7);
  const auto good = chat(R"({"label":"bug","confidence":0.9})");
  for (int i = 0; i < 2000; ++i) {
    std::string s = good.substr(0, rng() % (good.size() + 1));
    if (i % 2 && !s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
    (void)parse_answer(stage_kind::classify, s, "m");
  }
}

TEST_CASE("batch output files: responses and errors by custom_id, unreadable lines reported by number") {
  using namespace stages::providers;
  const std::string file =
      R"({"id":"r1","custom_id":"a","response":{"status_code":200,"request_id":"x","body":{"ok":1}},"error":null})" "\n"
      R"({"id":"r2","custom_id":"b","response":{"status_code":400,"body":{"error":{"message":"bad model"}}},"error":null})" "\r\n"
      "\n"
      R"({"id":"r3","custom_id":"c","response":null,"error":{"code":"batch_expired","message":"expired"}})" "\n"
      "not json\n"
      R"({"custom_id":"","response":null,"error":{"message":"x"}})" "\n"
      R"({"custom_id":"d","response":{"status_code":1e9}})" "\n"
      R"({"custom_id":"e","response":null,"error":null})" "\n"
      R"([1,2,3])";
  std::vector<output_line> lines;
  std::vector<line_problem> problems;
  read_output_file(file, [&](output_line&& l) { lines.push_back(std::move(l)); },
                   [&](line_problem&& p) { problems.push_back(std::move(p)); });
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].custom_id == "a");
  CHECK(lines[0].status_code == 200);
  CHECK(lines[0].body == R"({"ok":1})");
  CHECK(lines[1].status_code == 400);
  CHECK(lines[1].error == "bad model");
  CHECK(lines[2].status_code == 0);
  CHECK(lines[2].error_code == "batch_expired");
  REQUIRE(problems.size() == 5);
  CHECK(problems[0].line == 5);
  CHECK(problems[1].line == 6);
  CHECK(problems[1].message == "no custom_id");
  CHECK(problems[2].line == 7);
  CHECK(problems[3].message == "neither a response nor an error");
  CHECK(problems[4].line == 9);
  CHECK(transient_status(429));
  CHECK(transient_status(503));
  CHECK(!transient_status(400));
  CHECK(!transient_status(404));

  // The input side: our request id is the custom_id, one line per request.
  CHECK(input_line("req-1", "/v1/embeddings", R"({"model":"m"})") ==
        "{\"custom_id\":\"req-1\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"m\"}}\n");

  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string s = file.substr(rng() % file.size());
    if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
    read_output_file(s, [](output_line&&) {}, [](line_problem&&) {});
  }
}
