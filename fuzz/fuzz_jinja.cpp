// Fuzzes the Jinja chat-template engine: any template text must render or
// fail with an Error, never crash, hang or exhaust memory. The limits are
// tighter than the defaults so that each input stays fast.
#include <cstdint>
#include <ctime>
#include <string_view>

#include "common/error.h"
#include "generate/jinja.h"

namespace {

const llamafast::jinja::Dict& variables() {
  static const llamafast::jinja::Dict vars =
      llamafast::jinja::from_json(R"({
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi \u00e9!"},
                     {"role": "assistant", "content": "Hello", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
                     {"role": "user", "content": ""}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"a": [1, 2.5, null, true]}}}],
        "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>", "n": null})")
          .as_dict();
  return vars;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  llamafast::jinja::RenderOptions options;
  options.limits.max_output_bytes = 1 << 20;
  options.limits.max_loop_iterations = 10000;
  options.limits.max_work = 200000;
  options.now = std::tm{};
  try {
    const llamafast::jinja::Template t(source, "fuzz");
    t.render(variables(), options);
  } catch (const llamafast::Error&) {
  }
  return 0;
}
