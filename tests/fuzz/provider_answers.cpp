// What an external AI provider sends back (stages/providers): a 200 answer
// of each stage kind, and a Batch API output file. The provider is not ours:
// any body is an answer in the built-in shapes or a bad answer with a reason,
// never a crash; any file gives lines and problems, never a crash.
#include <algorithm>
#include <string>
#include <variant>

#include "fuzz_input.hpp"
#include "stages/providers/answers.hpp"
#include "stages/providers/batch_lines.hpp"

namespace providers = pw::stages::providers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pwfuzz::input in(data, size);
  const auto pick = in.byte();
  const auto body = in.rest();
  if (pick & 0x80) {
    std::size_t lines = 0, problems = 0;
    providers::read_output_file(
        body,
        [&](providers::output_line&&) { ++lines; },
        [&](providers::line_problem&& p) {
          ++problems;
          PWFUZZ_CHECK(p.line >= 1 && !p.message.empty());
        });
    PWFUZZ_CHECK(lines + problems <= static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n')) + 1);
    return 0;
  }
  constexpr providers::stage_kind kinds[] = {providers::stage_kind::embed, providers::stage_kind::classify,
                                             providers::stage_kind::sentiment, providers::stage_kind::urgency,
                                             providers::stage_kind::theme};
  const auto kind = kinds[pick % 5];
  auto r = providers::parse_answer(kind, body, "fuzz-model");
  if (auto* bad = std::get_if<providers::bad_answer>(&r)) {
    PWFUZZ_CHECK(!bad->message.empty());
  } else {
    const auto& a = std::get<providers::answer>(r);
    PWFUZZ_CHECK(a.usage.prompt >= 0 && a.usage.completion >= 0);
  }
  (void)providers::theme_slug(body.substr(0, 256));
  PWFUZZ_CHECK(providers::theme_slug(body.substr(0, 256)).size() <= 48);
  return 0;
}
