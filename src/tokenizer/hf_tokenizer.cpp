#include "tokenizer/hf_tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "io/mapped_file.h"
#include "tokenizer/bpe_merge.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/utf8.h"

namespace llamafast {

using json = nlohmann::json;

namespace {

// GPT-2's split pattern, used by ByteLevel pre-tokenizers with use_regex.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct NormalizerStep {
  enum class Kind { prepend, replace_literal, replace_regex } kind;
  std::string text;     // prepended text, or the literal to replace
  std::string content;  // replacement
  std::optional<Regex> regex;
};

struct PreTokenizerStep {
  enum class Kind { regex_split, literal_split, prefix_space, metaspace } kind = Kind::regex_split;
  std::optional<Regex> regex;
  std::string literal;  // literal_split's delimiter; metaspace's replacement
  SplitBehavior behavior = SplitBehavior::isolated;
  bool invert = false;
  enum class Prepend { always, first, never } prepend = Prepend::always;  // metaspace
  bool split = true;                                                      // metaspace

  static PreTokenizerStep of(Kind k) {
    PreTokenizerStep s;
    s.kind = k;
    return s;
  }
};

// Text cut into pre-tokens: spans of one buffer.
struct Pieces {
  std::string buf;
  std::vector<Span> spans;
};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  if (pos == 0) return;
  out.append(s, pos);
  s = std::move(out);
}

// Byte-level text to bytes; characters outside the alphabet are kept as they are.
std::string byte_level_decode_lossy(std::string_view text) {
  if (auto bytes = byte_level_decode(text)) return *std::move(bytes);
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_char_length(text, i);
    auto b = byte_level_decode(text.substr(i, n));
    out += b ? *b : std::string(text.substr(i, n));
    i += n;
  }
  return out;
}

// "<0xNN>" -> NN
std::optional<uint8_t> byte_fallback_value(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(piece[3]), lo = hex(piece[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return uint8_t(hi * 16 + lo);
}

// A token string in tokenizer_config.json: "text" or {"content": "text", ...}.
std::optional<std::string> config_token(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return std::nullopt;
}

}  // namespace

struct HfTokenizer::Pipeline {
  std::vector<NormalizerStep> normalizers;
  std::vector<PreTokenizerStep> pre_tokenizers;
};

HfTokenizer::HfTokenizer() : pipeline_(std::make_unique<Pipeline>()) {}
HfTokenizer::~HfTokenizer() = default;

bool HfTokenizer::sniff(std::string_view head) {
  for (char c : head) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '{';
  }
  return false;
}

namespace {

// Reads one file into memory; "" when it does not exist.
std::string read_optional_file(const std::filesystem::path& p) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return {};
  const MappedFile f = MappedFile::open(p.string());
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

class Loader {
 public:
  explicit Loader(std::string_view name) : name_(name) {}

  [[noreturn]] void bad(std::string_view what) const { fail("{}: {}", name_, what); }

  const json& need(const json& obj, const char* key, std::string_view where) const {
    if (!obj.is_object()) fail("{}: {} is not a JSON object", name_, where);
    auto it = obj.find(key);
    if (it == obj.end()) fail("{}: {} has no \"{}\"", name_, where, key);
    return *it;
  }
  std::string str(const json& obj, const char* key, std::string_view where) const {
    const json& v = need(obj, key, where);
    if (!v.is_string()) fail("{}: {}.{} is not a string", name_, where, key);
    return v.get<std::string>();
  }
  bool flag(const json& obj, const char* key, bool fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail("{}: \"{}\" is not true or false", name_, key);
    return it->get<bool>();
  }

  // Split / Replace patterns: {"String": "..."} or {"Regex": "..."}.
  std::pair<bool, std::string> pattern(const json& step, std::string_view where) const {
    const json& p = need(step, "pattern", where);
    if (p.is_object() && p.contains("String") && p["String"].is_string())
      return {false, p["String"].get<std::string>()};
    if (p.is_object() && p.contains("Regex") && p["Regex"].is_string()) return {true, p["Regex"].get<std::string>()};
    fail("{}: {} pattern is neither {{\"String\": ...}} nor {{\"Regex\": ...}}", name_, where);
  }

  void normalizer(const json& n, std::vector<NormalizerStep>& out) const {
    if (n.is_null()) return;
    const std::string type = str(n, "type", "normalizer");
    if (type == "Sequence") {
      const json& list = need(n, "normalizers", "normalizer Sequence");
      if (!list.is_array()) bad("normalizer Sequence: \"normalizers\" is not a list");
      for (const json& s : list) normalizer(s, out);
    } else if (type == "Prepend") {
      out.push_back({NormalizerStep::Kind::prepend, str(n, "prepend", "Prepend normalizer"), {}, {}});
    } else if (type == "Replace") {
      auto [is_regex, p] = pattern(n, "Replace normalizer");
      NormalizerStep step{is_regex ? NormalizerStep::Kind::replace_regex : NormalizerStep::Kind::replace_literal,
                          p,
                          str(n, "content", "Replace normalizer"),
                          {}};
      if (is_regex) step.regex.emplace(p, name_);
      out.push_back(std::move(step));
    } else {
      fail("{}: unsupported normalizer type \"{}\"", name_, type);
    }
  }

  // Appends steps; sets `byte_level` when a ByteLevel pre-tokenizer is met.
  void pre_tokenizer(const json& p, std::vector<PreTokenizerStep>& out, bool& byte_level) const {
    if (p.is_null()) return;
    const std::string type = str(p, "type", "pre_tokenizer");
    if (byte_level && type != "Sequence") fail("{}: unsupported pre_tokenizer: \"{}\" after ByteLevel", name_, type);
    if (type == "Sequence") {
      const json& list = need(p, "pretokenizers", "pre_tokenizer Sequence");
      if (!list.is_array()) bad("pre_tokenizer Sequence: \"pretokenizers\" is not a list");
      for (const json& s : list) pre_tokenizer(s, out, byte_level);
    } else if (type == "Split") {
      auto [is_regex, pat] = pattern(p, "Split pre_tokenizer");
      PreTokenizerStep step;
      step.behavior = behavior(str(p, "behavior", "Split pre_tokenizer"));
      step.invert = flag(p, "invert", false);
      if (is_regex) {
        step.kind = PreTokenizerStep::Kind::regex_split;
        step.regex.emplace(pat, name_);
      } else {
        if (pat.empty()) bad("Split pre_tokenizer: empty pattern");
        step.kind = PreTokenizerStep::Kind::literal_split;
        step.literal = pat;
      }
      out.push_back(std::move(step));
    } else if (type == "ByteLevel") {
      byte_level = true;
      if (flag(p, "add_prefix_space", true)) out.push_back(PreTokenizerStep::of(PreTokenizerStep::Kind::prefix_space));
      if (flag(p, "use_regex", true)) {
        auto step = PreTokenizerStep::of(PreTokenizerStep::Kind::regex_split);
        step.regex.emplace(kGpt2Pattern, name_);
        out.push_back(std::move(step));
      }
    } else if (type == "Metaspace") {
      auto step = PreTokenizerStep::of(PreTokenizerStep::Kind::metaspace);
      step.literal = p.contains("replacement") ? str(p, "replacement", "Metaspace") : "\u2581";
      if (step.literal.empty()) bad("Metaspace pre_tokenizer: empty replacement");
      step.prepend = prepend_scheme(p);
      step.split = flag(p, "split", true);
      out.push_back(std::move(step));
    } else if (type == "Digits") {
      auto step = PreTokenizerStep::of(PreTokenizerStep::Kind::regex_split);
      step.regex.emplace(flag(p, "individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)", name_);
      out.push_back(std::move(step));
    } else if (type == "Whitespace") {
      auto step = PreTokenizerStep::of(PreTokenizerStep::Kind::regex_split);
      step.regex.emplace(R"(\w+|[^\w\s]+)", name_);
      step.behavior = SplitBehavior::removed;
      step.invert = true;
      out.push_back(std::move(step));
    } else if (type == "WhitespaceSplit") {
      auto step = PreTokenizerStep::of(PreTokenizerStep::Kind::regex_split);
      step.regex.emplace(R"(\s+)", name_);
      step.behavior = SplitBehavior::removed;
      out.push_back(std::move(step));
    } else {
      fail("{}: unsupported pre_tokenizer type \"{}\"", name_, type);
    }
  }

  PreTokenizerStep::Prepend prepend_scheme(const json& p) const {
    if (p.contains("prepend_scheme") && !p["prepend_scheme"].is_null()) {
      const std::string s = str(p, "prepend_scheme", "Metaspace");
      if (s == "always") return PreTokenizerStep::Prepend::always;
      if (s == "first") return PreTokenizerStep::Prepend::first;
      if (s == "never") return PreTokenizerStep::Prepend::never;
      fail("{}: Metaspace: unknown prepend_scheme \"{}\"", name_, s);
    }
    return flag(p, "add_prefix_space", true) ? PreTokenizerStep::Prepend::always : PreTokenizerStep::Prepend::never;
  }

  SplitBehavior behavior(const std::string& b) const {
    if (b == "Removed") return SplitBehavior::removed;
    if (b == "Isolated") return SplitBehavior::isolated;
    if (b == "MergedWithPrevious") return SplitBehavior::merged_with_previous;
    if (b == "MergedWithNext") return SplitBehavior::merged_with_next;
    if (b == "Contiguous") return SplitBehavior::contiguous;
    fail("{}: unknown Split behavior \"{}\"", name_, b);
  }

  std::string_view name() const { return name_; }

 private:
  std::string_view name_;
};

// One decoder step, applied to each token's text.
struct DecodeStep {
  enum class Kind { replace, byte_fallback, byte_level, fuse, strip, metaspace } kind = Kind::fuse;
  std::string from, to;  // replace; strip's content; metaspace's replacement
  int start = 0, stop = 0;
  bool strip_first = false;  // metaspace: drop the first token's leading space

  static DecodeStep of(Kind k, std::string from = {}, std::string to = {}) {
    DecodeStep s;
    s.kind = k;
    s.from = std::move(from);
    s.to = std::move(to);
    return s;
  }
};

void decoder_steps(const Loader& L, const json& d, std::vector<DecodeStep>& out) {
  if (d.is_null()) return;
  const std::string type = L.str(d, "type", "decoder");
  if (type == "Sequence") {
    const json& list = L.need(d, "decoders", "decoder Sequence");
    if (!list.is_array()) L.bad("decoder Sequence: \"decoders\" is not a list");
    for (const json& s : list) decoder_steps(L, s, out);
  } else if (type == "Replace") {
    auto [is_regex, p] = L.pattern(d, "Replace decoder");
    if (is_regex) L.bad("unsupported decoder: Replace with a regex");
    out.push_back(DecodeStep::of(DecodeStep::Kind::replace, p, L.str(d, "content", "Replace decoder")));
  } else if (type == "ByteFallback") {
    out.push_back(DecodeStep::of(DecodeStep::Kind::byte_fallback));
  } else if (type == "ByteLevel") {
    out.push_back(DecodeStep::of(DecodeStep::Kind::byte_level));
  } else if (type == "Fuse") {
    out.push_back(DecodeStep::of(DecodeStep::Kind::fuse));
  } else if (type == "Strip") {
    DecodeStep s = DecodeStep::of(DecodeStep::Kind::strip, L.str(d, "content", "Strip decoder"));
    const json& start = L.need(d, "start", "Strip decoder");
    const json& stop = L.need(d, "stop", "Strip decoder");
    if (!start.is_number_unsigned() || !stop.is_number_unsigned() || start.get<uint64_t>() > 64 ||
        stop.get<uint64_t>() > 64)
      L.bad("Strip decoder: start/stop are not small non-negative integers");
    s.start = int(start.get<uint64_t>());
    s.stop = int(stop.get<uint64_t>());
    out.push_back(std::move(s));
  } else if (type == "Metaspace") {
    DecodeStep s = DecodeStep::of(DecodeStep::Kind::metaspace);
    s.from = d.contains("replacement") ? L.str(d, "replacement", "Metaspace decoder") : "\u2581";
    s.strip_first = L.prepend_scheme(d) != PreTokenizerStep::Prepend::never;
    out.push_back(std::move(s));
  } else {
    fail("{}: unsupported decoder type \"{}\"", L.name(), type);
  }
}

// model.vocab and model.merges, taken out of tokenizer.json while it is parsed:
// they are most of the file, and a DOM of them costs more than the rest of loading.
struct ModelTables {
  std::vector<std::pair<std::string, int64_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;
};

// Parses tokenizer.json into a DOM in which model.vocab and model.merges are left
// empty, their entries moved to `big` instead.
json parse_tokenizer_json(std::string_view text, std::string_view name, ModelTables& big) {
  struct Frame {
    bool array;
    std::string key;  // the member being read, in an object
  };
  std::vector<Frame> stack;
  // True inside the container at model.<member>, directly.
  auto directly_in = [&](std::string_view member) {
    return stack.size() == 3 && !stack[0].array && stack[0].key == "model" && !stack[1].array && stack[1].key == member;
  };
  // `depth` counts the containers around the event (the parser's own count, which
  // includes discarded containers, for whose ends it makes no callback).
  const json::parser_callback_t capture = [&](int depth, json::parse_event_t event, json& parsed) -> bool {
    if (depth < 0) return true;
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        stack.resize(size_t(depth));
        if (directly_in("vocab") && !stack[2].array)
          fail("{}: vocabulary entry '{}' has an invalid id (not a number)", name, stack[2].key);
        stack.push_back({event == json::parse_event_t::array_start, {}});
        return true;
      case json::parse_event_t::key:
        stack.resize(size_t(depth));
        if (stack.empty()) return true;
        stack.back().key = parsed.get<std::string>();
        return !directly_in("vocab");  // the DOM keeps no vocabulary keys
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.resize(size_t(depth));
        if (directly_in("merges") && stack[2].array) {  // one merge, written ["a", "b"]
          if (event != json::parse_event_t::array_end || parsed.size() != 2 || !parsed[0].is_string() ||
              !parsed[1].is_string())
            fail("{}: merge {} is neither \"a b\" nor [\"a\", \"b\"]", name, big.merges.size());
          big.merges.emplace_back(parsed[0].get<std::string>(), parsed[1].get<std::string>());
          return false;
        }
        return true;
      case json::parse_event_t::value:
        stack.resize(size_t(depth));
        if (directly_in("vocab") && !stack[2].array) {
          if (!parsed.is_number_integer())
            fail("{}: vocabulary entry '{}' has an invalid id {}", name, stack[2].key, parsed.dump());
          big.vocab.emplace_back(std::move(stack[2].key), parsed.get<int64_t>());
          return false;
        }
        if (directly_in("merges") && stack[2].array) {  // one merge, written "a b"
          if (!parsed.is_string()) fail("{}: merge {} is neither \"a b\" nor [\"a\", \"b\"]", name, big.merges.size());
          const std::string& m = parsed.get_ref<const std::string&>();
          const size_t space = m.find(' ');
          if (space == std::string::npos || m.find(' ', space + 1) != std::string::npos)
            fail("{}: merge {} '{}' is not two pieces separated by one space", name, big.merges.size(), m);
          big.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
          return false;
        }
        return true;
    }
    return true;
  };
  return json::parse(text.begin(), text.end(), capture);
}

// Strips up to `count` copies of `c` from the front (front == true) or back of `s`.
void strip_repeated(std::string& s, std::string_view c, int count, bool front) {
  if (c.empty()) return;
  for (int i = 0; i < count; ++i) {
    if (front && s.starts_with(c)) {
      s.erase(0, c.size());
    } else if (!front && s.ends_with(c)) {
      s.resize(s.size() - c.size());
    } else {
      break;
    }
  }
}

}  // namespace

std::unique_ptr<HfTokenizer> HfTokenizer::parse(std::string_view tokenizer_json, std::string_view config_json,
                                                std::string_view generation_json, std::string_view name) {
  std::unique_ptr<HfTokenizer> tok(new HfTokenizer());
  const Loader L(name);
  try {
    ModelTables big;
    const json root = parse_tokenizer_json(tokenizer_json, name, big);
    if (!root.is_object()) L.bad("not a tokenizer.json: the top level is not a JSON object");

    // --- pre-tokenization pipeline (first: it decides the model's alphabet)
    if (auto it = root.find("normalizer"); it != root.end()) L.normalizer(*it, tok->pipeline_->normalizers);
    if (auto it = root.find("pre_tokenizer"); it != root.end())
      L.pre_tokenizer(*it, tok->pipeline_->pre_tokenizers, tok->byte_level_);

    // --- model
    const json& model = L.need(root, "model", "tokenizer.json");
    if (model.contains("type") && L.str(model, "type", "model") != "BPE")
      fail("{}: unsupported model type \"{}\" (only BPE is)", name, model["type"].get<std::string>());
    const json& vocab = L.need(model, "vocab", "model");
    if (!vocab.is_object()) L.bad("model.vocab is not a JSON object");
    const json& merges = L.need(model, "merges", "model");
    if (!merges.is_array()) L.bad("model.merges is not a list");
    for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
      if (model.contains(key) && !model[key].is_null() &&
          !(model[key].is_string() && model[key].get<std::string>().empty()))
        fail("{}: unsupported BPE option \"{}\"", name, key);
    tok->ignore_merges_ = L.flag(model, "ignore_merges", false);
    tok->byte_fallback_ = L.flag(model, "byte_fallback", false);
    tok->fuse_unk_ = L.flag(model, "fuse_unk", false);

    // --- ids: vocabulary and added tokens
    const json* added_json = nullptr;
    if (auto it = root.find("added_tokens"); it != root.end() && !it->is_null()) {
      if (!it->is_array()) L.bad("added_tokens is not a list");
      added_json = &*it;
    }
    const size_t declared = big.vocab.size() + (added_json ? added_json->size() : 0);
    auto check_id = [&](int64_t id, std::string_view what) -> int {
      if (id < 0 || id >= int64_t(declared) + 65536) fail("{}: {} has an invalid id {}", name, what, id);
      return int(id);
    };
    int max_id = -1;
    for (const auto& [piece, id] : big.vocab)
      max_id = std::max(max_id, check_id(id, fmt::format("vocabulary entry '{}'", piece)));
    std::vector<AddedToken> added;
    if (added_json) {
      for (const json& a : *added_json) {
        AddedToken t;
        t.content = L.str(a, "content", "an added token");
        const json& id = L.need(a, "id", "an added token");
        if (!id.is_number_integer()) fail("{}: added token '{}' has an invalid id {}", name, t.content, id.dump());
        t.id = check_id(id.get<int64_t>(), fmt::format("added token '{}'", t.content));
        t.special = L.flag(a, "special", false);
        t.lstrip = L.flag(a, "lstrip", false);
        t.rstrip = L.flag(a, "rstrip", false);
        t.single_word = L.flag(a, "single_word", false);
        max_id = std::max(max_id, t.id);
        added.push_back(std::move(t));
      }
    }
    const size_t n = size_t(max_id + 1);
    tok->pieces_.assign(n, {});
    tok->control_.assign(n, false);
    std::vector<bool> in_vocab(n, false);
    tok->ids_.reserve(big.vocab.size());
    for (auto& [piece, id64] : big.vocab) {
      const size_t id = size_t(id64);
      if (in_vocab[id]) fail("{}: vocabulary id {} is used by both '{}' and '{}'", name, id, tok->pieces_[id], piece);
      in_vocab[id] = true;
      if (tok->byte_level_) {
        // Entries outside the byte alphabet can never be produced: leave them out of lookups.
        if (auto bytes = byte_level_decode(piece)) tok->ids_.insert(*bytes, int(id));
      } else if (!tok->ids_.insert(piece, int(id))) {
        fail("{}: vocabulary entry '{}' appears twice", name, piece);
      }
      tok->pieces_[id] = std::move(piece);
    }
    big.vocab.clear();
    for (const AddedToken& t : added) {
      if (!in_vocab[size_t(t.id)]) tok->pieces_[size_t(t.id)] = t.content;
      if (t.special) tok->control_[size_t(t.id)] = true;
    }

    // --- merges
    tok->merge_ranks_.reserve(big.merges.size());
    std::string key[2];
    for (size_t rank = 0; rank < big.merges.size(); ++rank) {
      const auto& [left, right] = big.merges[rank];
      for (int side = 0; side < 2; ++side) {
        const std::string& piece = side == 0 ? left : right;
        if (tok->byte_level_) {
          auto bytes = byte_level_decode(piece);
          if (!bytes) fail("{}: merge {}: '{}' is not in the vocabulary", name, rank, piece);
          key[side] = *std::move(bytes);
        } else {
          key[side] = piece;
        }
        if (tok->ids_.find(key[side]) < 0) fail("{}: merge {}: '{}' is not in the vocabulary", name, rank, piece);
      }
      if (!tok->merge_ranks_.insert(key[0], key[1], int(rank)) && tok->ids_.find(key[0] + key[1]) < 0)
        fail("{}: merge {}: '{}{}' is not in the vocabulary", name, rank, left, right);
    }
    big.merges.clear();
    big.merges.shrink_to_fit();

    // --- unknown characters
    if (auto it = model.find("unk_token"); it != model.end() && !it->is_null()) {
      if (!it->is_string()) L.bad("model.unk_token is not a string");
      const std::string unk = it->get<std::string>();
      for (const AddedToken& t : added)
        if (t.content == unk) tok->unk_ = t.id;
      if (tok->unk_ < 0) {
        std::string key = unk;
        if (tok->byte_level_) key = byte_level_decode(unk).value_or(std::string());
        tok->unk_ = tok->ids_.find(key);
      }
      if (tok->unk_ < 0) fail("{}: unk_token '{}' is not in the vocabulary", name, unk);
    }
    if (tok->byte_fallback_) {
      tok->byte_ids_.assign(256, -1);
      for (size_t id = 0; id < n; ++id)
        if (in_vocab[id])
          if (auto b = byte_fallback_value(tok->pieces_[id])) tok->byte_ids_[*b] = int(id);
    }
    tok->added_ = AddedTokenMatcher(std::move(added));

    // --- decoding
    std::vector<DecodeStep> steps;
    if (auto it = root.find("decoder"); it != root.end()) decoder_steps(L, *it, steps);
    tok->decoded_.assign(n, {});
    bool fused = false;
    for (const DecodeStep& s : steps) {
      if (s.kind == DecodeStep::Kind::fuse) fused = true;
      if (s.kind == DecodeStep::Kind::strip && fused) {
        tok->strip_char_ = s.from;
        tok->strip_count_ = s.start;
      }
      if (s.kind == DecodeStep::Kind::metaspace && s.strip_first) {
        tok->strip_char_ = " ";
        tok->strip_count_ = 1;
      }
    }
    std::vector<const AddedToken*> added_by_id(n, nullptr);
    for (const AddedToken& t : tok->added_.tokens()) added_by_id[size_t(t.id)] = &t;
    for (size_t id = 0; id < n; ++id) {
      std::string text = added_by_id[id] ? added_by_id[id]->content : tok->pieces_[id];
      if (!added_by_id[id]) {
        bool after_fuse = false;
        for (const DecodeStep& s : steps) {
          switch (s.kind) {
            case DecodeStep::Kind::replace:
              replace_all(text, s.from, s.to);
              break;
            case DecodeStep::Kind::byte_fallback:
              if (auto b = byte_fallback_value(text)) text = std::string(1, char(*b));
              break;
            case DecodeStep::Kind::byte_level:
              text = byte_level_decode_lossy(text);
              break;
            case DecodeStep::Kind::fuse:
              after_fuse = true;
              break;
            case DecodeStep::Kind::strip:
              if (!after_fuse) {
                strip_repeated(text, s.from, s.start, true);
                strip_repeated(text, s.from, s.stop, false);
              }
              break;
            case DecodeStep::Kind::metaspace:
              replace_all(text, s.from, " ");
              break;
          }
        }
      }
      tok->decoded_[id] = std::move(text);
    }

    // --- tokenizer_config.json / generation_config.json
    json config = json::object(), generation = json::object();
    auto parse_side_file = [&](std::string_view text, const char* file) {
      json j = json::object();
      if (text.empty()) return j;
      try {
        j = json::parse(text.begin(), text.end());
      } catch (const json::exception& e) {
        fail("{}: {} beside it: {}", name, file, e.what());
      }
      if (!j.is_object()) fail("{}: {} beside it is not a JSON object", name, file);
      return j;
    };
    config = parse_side_file(config_json, "tokenizer_config.json");
    generation = parse_side_file(generation_json, "generation_config.json");
    tok->add_bos_ = L.flag(config, "add_bos_token", true);
    if (auto it = config.find("chat_template"); it != config.end()) {
      if (it->is_string()) {
        tok->chat_template_ = it->get<std::string>();
      } else if (it->is_array()) {
        for (const json& t : *it)
          if (t.is_object() && t.contains("template") && t["template"].is_string() &&
              (tok->chat_template_.empty() || (t.contains("name") && t["name"] == "default")))
            tok->chat_template_ = t["template"].get<std::string>();
      }
    }
    if (auto bos = config_token(config, "bos_token")) {
      tok->bos_ = tok->token_id(*bos);
      if (tok->bos_ < 0) fail("{}: bos_token '{}' of tokenizer_config.json is not a token", name, *bos);
    } else {
      for (const char* known : {"<|begin_of_text|>", "<s>", "<bos>"})
        if (tok->bos_ < 0) tok->bos_ = tok->token_id(known);
    }
    auto add_eos = [&](int id) {
      if (id >= 0 && id < int(n) && std::find(tok->eos_.begin(), tok->eos_.end(), id) == tok->eos_.end())
        tok->eos_.push_back(id);
    };
    if (auto eos = config_token(config, "eos_token")) {
      const int id = tok->token_id(*eos);
      if (id < 0) fail("{}: eos_token '{}' of tokenizer_config.json is not a token", name, *eos);
      add_eos(id);
    }
    if (auto it = generation.find("eos_token_id"); it != generation.end()) {
      if (it->is_number_integer()) add_eos(it->get<int>());
      if (it->is_array())
        for (const json& e : *it)
          if (e.is_number_integer()) add_eos(e.get<int>());
    }
    // Llama 3 chat turns end with these, whatever the config names as EOS.
    for (const char* known : {"<|eot_id|>", "<|eom_id|>"}) add_eos(tok->token_id(known));
    if (tok->eos_.empty())
      for (const char* known : {"<|end_of_text|>", "</s>", "<eos>", "<|endoftext|>"}) add_eos(tok->token_id(known));
    for (int id : tok->eos_) tok->control_[size_t(id)] = true;
    if (tok->bos_ >= 0) tok->control_[size_t(tok->bos_)] = true;
  } catch (const json::exception& e) {
    fail("{}: {}", name, e.what());
  }
  return tok;
}

std::unique_ptr<HfTokenizer> HfTokenizer::load(const std::string& path) {
  const MappedFile file = MappedFile::open(path);
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  const std::string config = read_optional_file(dir / "tokenizer_config.json");
  const std::string generation = read_optional_file(dir / "generation_config.json");
  return parse(std::string_view(reinterpret_cast<const char*>(file.data()), file.size()), config, generation, path);
}

int HfTokenizer::token_id(std::string_view text) const {
  for (const AddedToken& t : added_.tokens())
    if (t.content == text) return t.id;
  for (size_t id = 0; id < pieces_.size(); ++id)
    if (pieces_[id] == text) return int(id);
  return -1;
}

bool HfTokenizer::is_control(int id) const { return id >= 0 && id < vocab_size() && control_[size_t(id)]; }

std::string HfTokenizer::piece(int id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return pieces_[size_t(id)];
}

std::string HfTokenizer::decode(int prev, int id) const {
  if (id < 0 || id >= vocab_size()) return {};
  std::string text = decoded_[size_t(id)];
  if (strip_count_ > 0 && (prev < 0 || (prev == bos_ && bos_ >= 0)) && id != bos_)
    strip_repeated(text, strip_char_, strip_count_, true);
  return text;
}

std::vector<int> HfTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int> out;
  out.reserve(text.size() / 3 + 2);
  if (options.add_bos && add_bos_ && bos_ >= 0) out.push_back(bos_);
  size_t pos = 0;
  while (auto m = added_.find(text, pos, options.parse_special, options.plain_spans)) {
    encode_segment(text.substr(pos, m->begin - pos), pos == 0, out);
    out.push_back(m->token->id);
    pos = m->end;
  }
  encode_segment(text.substr(pos), pos == 0, out);
  return out;
}

void HfTokenizer::encode_segment(std::string_view text, bool at_start, std::vector<int>& out) const {
  if (text.empty()) return;
  Pieces p;
  p.buf = text;
  for (const NormalizerStep& n : pipeline_->normalizers) {
    switch (n.kind) {
      case NormalizerStep::Kind::prepend:
        if (!p.buf.empty()) p.buf.insert(0, n.text);
        break;
      case NormalizerStep::Kind::replace_literal:
        replace_all(p.buf, n.text, n.content);
        break;
      case NormalizerStep::Kind::replace_regex: {
        std::vector<Span> matches;
        n.regex->find_all(p.buf, matches);
        std::string rebuilt;
        uint32_t at = 0;
        for (const Span& m : matches) {
          rebuilt.append(p.buf, at, m.begin - at);
          rebuilt += n.content;
          at = m.end;
        }
        rebuilt.append(p.buf, at);
        p.buf = std::move(rebuilt);
        break;
      }
    }
  }
  if (p.buf.empty()) return;
  p.spans.push_back({0, uint32_t(p.buf.size())});

  std::vector<Span> next, matches;
  for (const PreTokenizerStep& step : pipeline_->pre_tokenizers) {
    next.clear();
    switch (step.kind) {
      case PreTokenizerStep::Kind::regex_split:
      case PreTokenizerStep::Kind::literal_split:
        for (const Span& s : p.spans) {
          const std::string_view piece = std::string_view(p.buf).substr(s.begin, s.end - s.begin);
          matches.clear();
          if (step.kind == PreTokenizerStep::Kind::regex_split) {
            step.regex->find_all(piece, matches);
          } else {
            for (size_t hit = piece.find(step.literal); hit != std::string_view::npos;
                 hit = piece.find(step.literal, hit + step.literal.size()))
              matches.push_back({uint32_t(hit), uint32_t(hit + step.literal.size())});
          }
          const size_t first = next.size();
          split_at_matches(piece.size(), matches, step.behavior, step.invert, next);
          for (size_t i = first; i < next.size(); ++i) {
            next[i].begin += s.begin;
            next[i].end += s.begin;
          }
        }
        p.spans.swap(next);
        break;
      case PreTokenizerStep::Kind::prefix_space:
      case PreTokenizerStep::Kind::metaspace: {
        // Rewrites each piece into a new buffer.
        std::string buf;
        buf.reserve(p.buf.size() + p.spans.size() * 3);
        for (size_t i = 0; i < p.spans.size(); ++i) {
          std::string piece = p.buf.substr(p.spans[i].begin, p.spans[i].end - p.spans[i].begin);
          if (step.kind == PreTokenizerStep::Kind::prefix_space) {
            if (!piece.starts_with(' ')) piece.insert(0, " ");
            next.push_back({uint32_t(buf.size()), uint32_t(buf.size() + piece.size())});
            buf += piece;
            continue;
          }
          replace_all(piece, " ", step.literal);
          const bool prepend = step.prepend == PreTokenizerStep::Prepend::always ||
                               (step.prepend == PreTokenizerStep::Prepend::first && at_start && i == 0);
          if (prepend && !piece.starts_with(step.literal)) piece.insert(0, step.literal);
          const uint32_t base = uint32_t(buf.size());
          buf += piece;
          if (!step.split) {
            next.push_back({base, uint32_t(buf.size())});
            continue;
          }
          matches.clear();
          for (size_t hit = piece.find(step.literal); hit != std::string::npos;
               hit = piece.find(step.literal, hit + step.literal.size()))
            matches.push_back({uint32_t(hit), uint32_t(hit + step.literal.size())});
          const size_t first = next.size();
          split_at_matches(piece.size(), matches, SplitBehavior::merged_with_next, false, next);
          for (size_t k = first; k < next.size(); ++k) {
            next[k].begin += base;
            next[k].end += base;
          }
        }
        p.buf = std::move(buf);
        p.spans.swap(next);
        break;
      }
    }
  }
  for (const Span& s : p.spans) encode_word(std::string_view(p.buf).substr(s.begin, s.end - s.begin), out);
}

void HfTokenizer::encode_word(std::string_view word, std::vector<int>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const int id = ids_.find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  std::vector<uint32_t> starts;
  starts.reserve(word.size());
  for (size_t i = 0; i < word.size(); i += byte_level_ ? 1 : utf8_char_length(word, i)) starts.push_back(uint32_t(i));
  const PairScore score = [this](std::string_view left, std::string_view right) -> std::optional<float> {
    const int rank = merge_ranks_.find(left, right);
    if (rank < 0) return std::nullopt;
    return -float(rank);
  };
  bool last_was_unk = false;
  for (const Span& s : bpe_merge_pairs(word, starts, score)) {
    const std::string_view sym = word.substr(s.begin, s.end - s.begin);
    if (const int id = ids_.find(sym); id >= 0) {
      out.push_back(id);
      last_was_unk = false;
      continue;
    }
    // A character the vocabulary lacks.
    if (byte_fallback_ && std::all_of(sym.begin(), sym.end(), [&](char c) { return byte_ids_[uint8_t(c)] >= 0; })) {
      for (char c : sym) out.push_back(byte_ids_[uint8_t(c)]);
      last_was_unk = false;
    } else if (unk_ >= 0 && !(fuse_unk_ && last_was_unk)) {
      out.push_back(unk_);
      last_was_unk = true;
    }
  }
}

}  // namespace llamafast
