// A reader for the subset of Python's pickle format that torch.save writes for
// a state dict (protocol 2; the few protocol 3-4 opcodes of the same kind are
// accepted too). It is a data reader, not an unpickler: nothing is imported or
// called. Globals must be on the caller's allowlist and are returned as names;
// `callable(args)` (REDUCE) and persistent ids come back as plain records for
// the caller to interpret. Anything else is an error naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llamafast {

struct PickleValue {
  enum class Kind {
    none,
    boolean,
    integer,
    floating,
    string,         // `text`: a str (UTF-8 bytes as stored)
    tuple,          // `items`
    list,           // `items`
    dict,           // `entries`, in insertion order (duplicate keys kept: the last wins in Python)
    global,         // `text`: "module.name", one of the allowed globals
    call,           // REDUCE: `callable` (a global) applied to `args` (a tuple); `state` from BUILD, or null
    persistent_id,  // BINPERSID: `args` is the id the pickler's persistent_id() returned
  };
  Kind kind = Kind::none;
  int64_t integer = 0;  // integer, boolean (0 or 1)
  double floating = 0;
  std::string text;
  std::vector<const PickleValue*> items;
  std::vector<std::pair<const PickleValue*, const PickleValue*>> entries;
  const PickleValue* callable = nullptr;
  const PickleValue* args = nullptr;
  const PickleValue* state = nullptr;

  bool is(Kind k) const { return kind == k; }
  bool is_global(std::string_view name) const { return kind == Kind::global && text == name; }
};

// The values of one pickle. Values point at each other (the memo lets one value
// appear in several places, and can even make a container contain itself), so
// they all live here and are freed together; walk them with a depth limit.
struct Pickle {
  std::deque<PickleValue> values;  // stable addresses
  const PickleValue* root = nullptr;
};

struct PickleLimits {
  size_t max_bytes = size_t(256) << 20;   // the pickle stream itself
  size_t max_stack = size_t(1) << 20;     // values on the stack at once
  size_t max_marks = 256;                 // nesting of MARK ... TUPLE/SETITEMS/APPENDS
  size_t max_memo = size_t(1) << 20;      // memo slots
  size_t max_string = size_t(1) << 20;    // bytes in one string
};

// "a tuple", "a dict", ... for error messages.
std::string_view pickle_kind_name(PickleValue::Kind kind);

// Runs the pickle in `bytes` up to its STOP opcode. `allowed_globals` lists the
// "module.name" globals it may reference; `collections.OrderedDict` called with
// no arguments is read as an empty dict. `file` names the pickle in errors.
Pickle read_pickle(std::span<const std::byte> bytes, const std::set<std::string, std::less<>>& allowed_globals,
                   const std::string& file, const PickleLimits& limits = {});

}  // namespace llamafast
