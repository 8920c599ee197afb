// The pickle virtual machine, reduced to building data: a value stack, a stack
// of MARK positions (a MARK fences off the values above it), and the memo.
// Opcodes are those of Python's pickletools; each is documented where handled.
#include "io/pickle_reader.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "common/error.h"
#include "io/mapped_file.h"

namespace llamafast {

namespace {

using Kind = PickleValue::Kind;

// Text from the file, quoted and escaped unless it is plain printable ASCII.
std::string readable(std::string_view s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
  return plain ? std::string(s) : fmt::format("{:?}", s);
}

class Machine {
 public:
  Machine(std::span<const std::byte> bytes, const std::set<std::string, std::less<>>& allowed, const std::string& file,
          const PickleLimits& limits)
      : in_(bytes, file), allowed_(allowed), file_(file), limits_(limits) {}

  Pickle run() {
    while (true) {
      op_offset_ = in_.offset();
      const auto op = in_.read<uint8_t>("pickle opcode");
      if (op == '.') break;  // STOP: the value on top is the result
      step(op);
    }
    out_.root = pop("STOP");
    return std::move(out_);
  }

 private:
  void step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO n
        const auto proto = in_.read<uint8_t>("pickle protocol");
        if (proto > 5) bad("protocol {} is newer than any Python writes", proto);
        return;
      }
      case 0x95: in_.skip(8, "pickle frame length"); return;  // FRAME: framing is transparent here
      case '(': {  // MARK
        if (marks_.size() >= limits_.max_marks) bad("nests more than {} MARKs", limits_.max_marks);
        marks_.push_back(stack_.size());
        return;
      }
      case 'N': push(make(Kind::none)); return;
      case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
        PickleValue* v = make(Kind::boolean);
        v->integer = op == 0x88;
        push(v);
        return;
      }
      case 'K': push_int(in_.read<uint8_t>("BININT1")); return;
      case 'M': push_int(in_.read<uint16_t>("BININT2")); return;
      case 'J': push_int(in_.read<int32_t>("BININT")); return;
      case 0x8a: push_int(read_long1()); return;  // LONG1
      case 'G': {  // BINFLOAT: big-endian IEEE double
        auto raw = in_.read<std::array<uint8_t, 8>>("BINFLOAT");
        std::reverse(raw.begin(), raw.end());
        PickleValue* v = make(Kind::floating);
        std::memcpy(&v->floating, raw.data(), 8);
        push(v);
        return;
      }
      case 0x8c: push_string(in_.read<uint8_t>("SHORT_BINUNICODE length")); return;
      case 'X': push_string(in_.read<uint32_t>("BINUNICODE length")); return;
      case 0x8d: push_string(in_.read<uint64_t>("BINUNICODE8 length")); return;
      case ')': push(make(Kind::tuple)); return;  // EMPTY_TUPLE
      case ']': push(make(Kind::list)); return;   // EMPTY_LIST
      case '}': push(make(Kind::dict)); return;   // EMPTY_DICT
      case 't': {  // TUPLE: everything above the last MARK
        PickleValue* v = make(Kind::tuple);
        for (PickleValue* item : pop_to_mark("TUPLE")) v->items.push_back(item);
        push(v);
        return;
      }
      case 0x85: case 0x86: case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
        PickleValue* v = make(Kind::tuple);
        v->items.resize(op - 0x84);
        for (size_t i = v->items.size(); i-- > 0;) v->items[i] = pop("TUPLEn");
        push(v);
        return;
      }
      case 'a': {  // APPEND
        const PickleValue* item = pop("APPEND");
        container(Kind::list, "APPEND")->items.push_back(item);
        return;
      }
      case 'e': {  // APPENDS
        const std::vector<PickleValue*> items = pop_to_mark("APPENDS");
        PickleValue* list = container(Kind::list, "APPENDS");
        list->items.insert(list->items.end(), items.begin(), items.end());
        return;
      }
      case 's': {  // SETITEM
        const PickleValue* value = pop("SETITEM");
        const PickleValue* key = pop("SETITEM");
        container(Kind::dict, "SETITEM")->entries.emplace_back(key, value);
        return;
      }
      case 'u': {  // SETITEMS: key, value pairs above the last MARK
        const std::vector<PickleValue*> kv = pop_to_mark("SETITEMS");
        if (kv.size() % 2 != 0) bad("SETITEMS has an odd number of values ({})", kv.size());
        PickleValue* dict = container(Kind::dict, "SETITEMS");
        for (size_t i = 0; i < kv.size(); i += 2) dict->entries.emplace_back(kv[i], kv[i + 1]);
        return;
      }
      case 'q': put(in_.read<uint8_t>("BINPUT index")); return;
      case 'r': put(in_.read<uint32_t>("LONG_BINPUT index")); return;
      case 0x94: put(uint32_t(memo_.size())); return;  // MEMOIZE
      case 'h': get(in_.read<uint8_t>("BINGET index")); return;
      case 'j': get(in_.read<uint32_t>("LONG_BINGET index")); return;
      case 'c': {  // GLOBAL "module\nname\n"
        const std::string module = read_line("GLOBAL module");
        const std::string name = read_line("GLOBAL name");
        push_global(module, name);
        return;
      }
      case 0x93: {  // STACK_GLOBAL: module and name strings from the stack
        const PickleValue* name = pop("STACK_GLOBAL");
        const PickleValue* module = pop("STACK_GLOBAL");
        if (!module->is(Kind::string) || !name->is(Kind::string)) bad("STACK_GLOBAL needs two strings");
        push_global(module->text, name->text);
        return;
      }
      case 'R': {  // REDUCE: callable(*args), recorded, never called
        const PickleValue* args = pop("REDUCE");
        const PickleValue* callable = pop("REDUCE");
        if (!callable->is(Kind::global)) bad("REDUCE calls {}, not a global", pickle_kind_name(callable->kind));
        if (!args->is(Kind::tuple)) bad("REDUCE arguments are {}, not a tuple", pickle_kind_name(args->kind));
        if (callable->is_global("collections.OrderedDict") && args->items.empty()) {
          push(make(Kind::dict));
          return;
        }
        PickleValue* v = make(Kind::call);
        v->callable = callable;
        v->args = args;
        push(v);
        return;
      }
      case 'Q': {  // BINPERSID: the writer's persistent id for an object stored elsewhere
        PickleValue* v = make(Kind::persistent_id);
        v->args = pop("BINPERSID");
        push(v);
        return;
      }
      case 'b': {  // BUILD: set the state of the object on top
        const PickleValue* state = pop("BUILD");
        PickleValue* target = top("BUILD");
        if (!target->is(Kind::dict) && !target->is(Kind::call))
          bad("BUILD sets the state of {}", pickle_kind_name(target->kind));
        target->state = state;
        return;
      }
      default:
        bad("opcode 0x{:02x}{} is not supported (torch.save state dicts use protocol 2)", op,
            op >= 0x20 && op < 0x7f ? fmt::format(" ('{}')", char(op)) : std::string());
    }
  }

  template <class... Args>
  [[noreturn]] void bad(fmt::format_string<Args...> format, Args&&... args) {
    fail("{}: pickle: {} (at offset {})", file_, fmt::format(format, std::forward<Args>(args)...), op_offset_);
  }

  PickleValue* make(Kind kind) {
    PickleValue& v = out_.values.emplace_back();
    v.kind = kind;
    return &v;
  }

  void push(PickleValue* v) {
    if (stack_.size() >= limits_.max_stack) bad("stack grows past {} values", limits_.max_stack);
    stack_.push_back(v);
  }

  // Values below the last MARK are out of reach until that MARK is consumed.
  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }

  PickleValue* pop(const char* op) {
    if (stack_.size() <= fence()) bad("{} needs a value but the stack is empty", op);
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }

  PickleValue* top(const char* op) {
    if (stack_.size() <= fence()) bad("{} needs a value but the stack is empty", op);
    return stack_.back();
  }

  std::vector<PickleValue*> pop_to_mark(const char* op) {
    if (marks_.empty()) bad("{} without a MARK", op);
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + std::ptrdiff_t(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }

  PickleValue* container(Kind kind, const char* op) {
    PickleValue* c = top(op);
    if (!c->is(kind)) bad("{} on {}, not {}", op, pickle_kind_name(c->kind), pickle_kind_name(kind));
    return c;
  }

  void push_int(int64_t i) {
    PickleValue* v = make(Kind::integer);
    v->integer = i;
    push(v);
  }

  // LONG1: n bytes of little-endian two's complement.
  int64_t read_long1() {
    const auto n = in_.read<uint8_t>("LONG1 length");
    if (n > 8) bad("LONG1 integer of {} bytes does not fit in 64 bits", n);
    const std::string_view b = in_.take(n, "LONG1 value");
    uint64_t u = 0;
    for (size_t i = 0; i < n; ++i) u |= uint64_t(uint8_t(b[i])) << (8 * i);
    if (n > 0 && n < 8 && (uint8_t(b[n - 1]) & 0x80)) u |= ~uint64_t(0) << (8 * n);  // sign-extend
    return int64_t(u);
  }

  void push_string(uint64_t length) {
    if (length > limits_.max_string) bad("string of {} bytes is longer than the limit ({})", length, limits_.max_string);
    PickleValue* v = make(Kind::string);
    v->text = in_.take(size_t(length), "pickle string");
    push(v);
  }

  std::string read_line(const char* what) {
    constexpr size_t kMaxLine = 256;
    std::string line;
    while (true) {
      const char c = char(in_.read<uint8_t>(what));
      if (c == '\n') return line;
      if (line.size() >= kMaxLine) bad("{} is longer than {} bytes", what, kMaxLine);
      line += c;
    }
  }

  void push_global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!allowed_.count(full))
      fail("{}: pickle uses disallowed global {} (at offset {})", file_, readable(full), op_offset_);
    PickleValue* v = make(Kind::global);
    v->text = full;
    push(v);
  }

  void put(uint32_t index) {
    if (index >= limits_.max_memo) bad("memo index {} is past the limit ({})", index, limits_.max_memo);
    if (memo_.size() >= limits_.max_memo && !memo_.count(index)) bad("memo holds more than {} values", limits_.max_memo);
    memo_[index] = top("BINPUT");
  }

  void get(uint32_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) bad("BINGET of memo slot {}, which was never set", index);
    push(it->second);
  }

  ByteReader in_;
  const std::set<std::string, std::less<>>& allowed_;
  const std::string& file_;
  const PickleLimits& limits_;
  Pickle out_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, PickleValue*> memo_;
  size_t op_offset_ = 0;
};

}  // namespace

std::string_view pickle_kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case Kind::none: return "None";
    case Kind::boolean: return "a bool";
    case Kind::integer: return "an integer";
    case Kind::floating: return "a float";
    case Kind::string: return "a string";
    case Kind::tuple: return "a tuple";
    case Kind::list: return "a list";
    case Kind::dict: return "a dict";
    case Kind::global: return "a global";
    case Kind::call: return "a call";
    case Kind::persistent_id: return "a persistent id";
  }
  return "?";
}

Pickle read_pickle(std::span<const std::byte> bytes, const std::set<std::string, std::less<>>& allowed_globals,
                   const std::string& file, const PickleLimits& limits) {
  if (bytes.size() > limits.max_bytes)
    fail("{}: pickle of {} bytes is larger than the limit ({})", file, bytes.size(), limits.max_bytes);
  return Machine(bytes, allowed_globals, file, limits).run();
}

}  // namespace llamafast
