#include "generate/jinja_eval.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "common/error.h"
#include "generate/jinja_text.h"

namespace llamafast::jinja {

namespace {

// Macro calls nest at most this deep (each level may hold a full-depth
// expression, so this bounds the evaluator's stack).
constexpr int kMaxCallDepth = 8;

// The cost of building v, counting only its top level (its parts already exist).
uint64_t build_cost(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::string:
      return 1 + v.as_string().size() / 32;
    case Value::Kind::list:
    case Value::Kind::tuple:
      return 1 + v.as_list().size();
    case Value::Kind::dict:
      return 1 + v.as_dict().size();
    default:
      return 1;
  }
}

// Python's slice bounds for a sequence of n items.
std::vector<size_t> slice_indices(int64_t n, const Value& start_v, const Value& stop_v, const Value& step_v) {
  auto as_index = [](const Value& v, std::string_view what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (!v.is_int() && !v.is_bool()) eval_error("slice {} must be an integer or None, not '{}'", what, type_name(v));
    return v.as_int();
  };
  const int64_t step = as_index(step_v, "step").value_or(1);
  if (step == 0) eval_error("slice step cannot be zero");
  auto clamp = [&](std::optional<int64_t> given, int64_t fallback) {
    if (!given) return fallback;
    int64_t i = *given;
    if (i < 0) i = std::max<int64_t>(i + n, step < 0 ? -1 : 0);
    if (i >= n) i = step < 0 ? n - 1 : n;
    return i;
  };
  const int64_t start = clamp(as_index(start_v, "start"), step < 0 ? n - 1 : 0);
  const int64_t stop = clamp(as_index(stop_v, "stop"), step < 0 ? -1 : n);
  std::vector<size_t> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(size_t(i));
  return out;
}

class Renderer {
 public:
  Renderer(std::string_view name, const Dict& variables, const RenderOptions& options)
      : name_(name), options_(options) {
    frames_.push_back({make_globals(options.now), kNoParent});
    frames_.push_back({variables, 0});
  }

  std::string run(const Body& body) {
    std::string out;
    out_ = &out;
    exec_body(body);
    return out;
  }

 private:
  enum class Flow { normal, break_loop, continue_loop };
  static constexpr size_t kNoParent = size_t(-1);
  static constexpr size_t kTemplateFrame = 1;

  struct Frame {
    Dict vars;
    size_t parent;
  };

  // A scope for one loop iteration or macro call, removed on exit.
  class ScopeGuard {
   public:
    ScopeGuard(Renderer& r, size_t parent) : r_(r) { r_.frames_.push_back({Dict{}, parent}); }
    ~ScopeGuard() { r_.frames_.pop_back(); }

   private:
    Renderer& r_;
  };

  [[noreturn]] void located_error(SourcePos pos, std::string_view message) const {
    fail("{}:{}:{}: {}", name_, pos.line, pos.column, message);
  }

  void charge(uint64_t units) {
    work_ += units;
    if (work_ > options_.limits.max_work) {
      eval_error("template exceeded its work limit ({} units); it loops or builds too much", options_.limits.max_work);
    }
  }

  void write(std::string_view s) {
    charge(1 + s.size() / 32);
    if (out_->size() + s.size() > options_.limits.max_output_bytes) {
      eval_error("output longer than the {}-byte limit", options_.limits.max_output_bytes);
    }
    out_->append(s);
  }

  // ---- scopes -------------------------------------------------------------------

  const Value* lookup(std::string_view name) const {
    for (size_t f = frames_.size() - 1; f != kNoParent; f = frames_[f].parent) {
      if (const Value* v = frames_[f].vars.find(name)) return v;
    }
    return nullptr;
  }

  void assign(const std::string& name, Value v) { frames_.back().vars.set(name, std::move(v)); }

  void assign_targets(const std::vector<std::string>& targets, Value v) {
    if (targets.size() == 1) {
      assign(targets[0], std::move(v));
      return;
    }
    const List items = iterate(v);
    if (items.size() != targets.size()) {
      eval_error("cannot unpack {} values into {} names", items.size(), targets.size());
    }
    for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], items[i]);
  }

  // ---- statements ---------------------------------------------------------------

  Flow exec_body(const Body& body) {
    for (const auto& stmt : body) {
      const Flow flow = exec(*stmt);
      if (flow != Flow::normal) return flow;
    }
    return Flow::normal;
  }

  Flow exec(const Stmt& stmt) {
    try {
      charge(1);
      return std::visit([&](const auto& node) { return exec_node(node); }, stmt.node);
    } catch (const EvalError& e) {
      located_error(stmt.pos, e.what());
    }
  }

  Flow exec_node(const TextStmt& s) {
    write(s.text);
    return Flow::normal;
  }

  Flow exec_node(const OutputStmt& s) {
    const Value v = eval(*s.value);
    if (v.is_string()) {
      write(v.as_string());
    } else {
      charge(v.footprint());
      write(to_str(v));
    }
    return Flow::normal;
  }

  Flow exec_node(const IfStmt& s) {
    for (const auto& [condition, body] : s.branches) {
      if (truthy(eval(*condition))) return exec_body(body);
    }
    return exec_body(s.otherwise);
  }

  Flow exec_node(const ForStmt& s) {
    const Value iterable = eval(*s.iterable);
    List items = iterate(iterable);
    charge(items.size());
    if (s.condition) {
      List kept;
      for (Value& item : items) {
        ScopeGuard scope(*this, frames_.size() - 1);
        assign_targets(s.targets, item);
        if (truthy(eval(*s.condition))) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) return exec_body(s.otherwise);
    const int64_t n = int64_t(items.size());
    for (int64_t i = 0; i < n; ++i) {
      if (++iterations_ > options_.limits.max_loop_iterations) {
        eval_error("more than {} loop iterations", options_.limits.max_loop_iterations);
      }
      charge(1);
      ScopeGuard scope(*this, frames_.size() - 1);
      assign_targets(s.targets, items[size_t(i)]);
      assign("loop", loop_object(items, i));
      const Flow flow = exec_body(s.body);
      if (flow == Flow::break_loop) break;
    }
    return Flow::normal;
  }

  static Value loop_object(const List& items, int64_t i) {
    const int64_t n = int64_t(items.size());
    Dict loop;
    loop.entries.reserve(12);
    loop.set("index", Value(i + 1));
    loop.set("index0", Value(i));
    loop.set("revindex", Value(n - i));
    loop.set("revindex0", Value(n - i - 1));
    loop.set("first", Value(i == 0));
    loop.set("last", Value(i == n - 1));
    loop.set("length", Value(n));
    loop.set("depth", Value(1));
    loop.set("depth0", Value(0));
    if (i > 0) loop.set("previtem", items[size_t(i - 1)]);
    if (i + 1 < n) loop.set("nextitem", items[size_t(i + 1)]);
    loop.set("cycle", Value::callable("loop.cycle", [i](const CallArgs& args) {
      if (args.positional.empty()) eval_error("loop.cycle() needs at least one value");
      return args.positional[size_t(i) % args.positional.size()];
    }));
    return Value::dict(std::move(loop));
  }

  Flow exec_node(const SetStmt& s) {
    Value v = eval(*s.value);
    if (s.attribute.empty()) {
      assign_targets(s.targets, std::move(v));
      return Flow::normal;
    }
    const Value* target = lookup(s.targets[0]);
    if (!target || !target->is_namespace()) {
      eval_error("cannot assign attribute on non-namespace object '{}'", s.targets[0]);
    }
    if (v.holds_namespace()) eval_error("a namespace cannot hold another namespace");
    target->namespace_attrs().set(s.attribute, std::move(v));
    return Flow::normal;
  }

  Flow exec_node(const SetBlockStmt& s) {
    assign(s.target, Value(capture(s.body)));
    return Flow::normal;
  }

  // Renders body into a string of its own instead of the output.
  std::string capture(const Body& body) {
    std::string buffer;
    std::string* saved = out_;
    out_ = &buffer;
    exec_body(body);
    out_ = saved;
    return buffer;
  }

  Flow exec_node(const MacroStmt& s) {
    const MacroStmt* macro = &s;
    assign(s.name, Value::callable(s.name, [this, macro](const CallArgs& args) { return call_macro(*macro, args); }));
    return Flow::normal;
  }

  // The keyword argument `name`, or nullptr.
  static const Value* keyword_argument(const CallArgs& args, std::string_view name) {
    for (const auto& [key, value] : args.keyword) {
      if (key == name) return &value;
    }
    return nullptr;
  }

  Value call_macro(const MacroStmt& m, const CallArgs& args) {
    if (call_depth_ >= kMaxCallDepth) eval_error("macro calls nest more than {} deep", kMaxCallDepth);
    if (args.positional.size() > m.params.size()) {
      eval_error("macro '{}' takes {} arguments, {} given", m.name, m.params.size(), args.positional.size());
    }
    for (const auto& keyword : args.keyword) {
      const auto it = std::find_if(m.params.begin(), m.params.end(), [&](const auto& p) { return p.first == keyword.first; });
      if (it == m.params.end()) eval_error("macro '{}' has no parameter '{}'", m.name, keyword.first);
    }
    ++call_depth_;
    ScopeGuard scope(*this, kTemplateFrame);
    for (size_t i = 0; i < m.params.size(); ++i) {
      const auto& [param, fallback] = m.params[i];
      Value v;
      if (i < args.positional.size()) {
        v = args.positional[i];
      } else if (const Value* given = keyword_argument(args, param)) {
        v = *given;
      } else if (fallback) {
        v = eval(*fallback);
      } else {
        v = Value::undefined(param);
      }
      assign(param, std::move(v));
    }
    std::string text = capture(m.body);
    --call_depth_;
    return Value(std::move(text));
  }

  Flow exec_node(const LoopControlStmt& s) { return s.is_break ? Flow::break_loop : Flow::continue_loop; }

  Flow exec_node(const BlockStmt& s) { return exec_body(s.body); }

  // ---- expressions --------------------------------------------------------------

  Value eval(const Expr& e) {
    try {
      charge(1);
      return std::visit([&](const auto& node) { return eval_node(node); }, e.node);
    } catch (const EvalError& err) {
      located_error(e.pos, err.what());
    }
  }

  // Charges for a value an operation just built, and passes it on.
  Value built(Value v) {
    charge(build_cost(v));
    return v;
  }

  Value eval_node(const LiteralExpr& e) { return e.value; }

  Value eval_node(const NameExpr& e) {
    const Value* v = lookup(e.name);
    return v ? *v : Value::undefined(e.name);
  }

  Value eval_node(const ListExpr& e) {
    List items;
    items.reserve(e.items.size());
    for (const ExprPtr& item : e.items) items.push_back(eval(*item));
    return built(e.tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items)));
  }

  Value eval_node(const DictExpr& e) {
    Dict d;
    for (const auto& [key_expr, value_expr] : e.items) {
      const Value key = eval(*key_expr);
      if (!key.is_string()) eval_error("dict keys must be strings here, not '{}'", type_name(key));
      d.set(key.as_string(), eval(*value_expr));
    }
    return built(Value::dict(std::move(d)));
  }

  // obj.name and obj['name'] alike: a dict's key, a namespace's attribute,
  // or a method of a str or dict (`attribute_first`: methods win, as for `.`).
  Value get_member(const Value& obj, const std::string& name, bool attribute_first) {
    if (attribute_first && has_method(obj, name)) return bound_method(obj, name);
    if (obj.is_dict()) {
      charge(obj.as_dict().size() / 8);
      if (const Value* v = obj.as_dict().find(name)) return *v;
    } else if (obj.is_namespace()) {
      if (const Value* v = obj.namespace_attrs().find(name)) return *v;
    }
    if (!attribute_first && has_method(obj, name)) return bound_method(obj, name);
    return Value::undefined(name);
  }

  static Value bound_method(const Value& obj, const std::string& name) {
    return Value::callable(name, [obj, name](const CallArgs& args) { return call_method(obj, name, args); });
  }

  Value eval_node(const AttributeExpr& e) {
    const Value obj = eval(*e.object);
    Value v = get_member(obj, e.name, true);
    // Name the whole path in messages about it ("'message.content' is undefined").
    if (v.is_undefined() && obj.is_undefined() && !obj.undefined_name().empty()) {
      return Value::undefined(obj.undefined_name() + "." + e.name);
    }
    return v;
  }

  Value eval_node(const IndexExpr& e) {
    const Value obj = eval(*e.object);
    const Value index = eval(*e.index);
    if (index.is_string()) return get_member(obj, index.as_string(), false);
    if (!index.is_int() && !index.is_bool()) return Value::undefined();
    int64_t i = index.as_int();
    if (obj.is_sequence()) {
      const List& items = obj.as_list();
      if (i < 0) i += int64_t(items.size());
      return i >= 0 && i < int64_t(items.size()) ? items[size_t(i)] : Value::undefined();
    }
    if (obj.is_string()) {
      charge(obj.footprint());
      const std::u32string cps = decode_utf8(obj.as_string());
      if (i < 0) i += int64_t(cps.size());
      if (i < 0 || i >= int64_t(cps.size())) return Value::undefined();
      std::string one;
      append_utf8(one, cps[size_t(i)]);
      return Value(std::move(one));
    }
    return Value::undefined();
  }

  Value eval_node(const SliceExpr& e) {
    const Value obj = eval(*e.object);
    const Value start = e.start ? eval(*e.start) : Value::none();
    const Value stop = e.stop ? eval(*e.stop) : Value::none();
    const Value step = e.step ? eval(*e.step) : Value::none();
    if (obj.is_sequence()) {
      const List& items = obj.as_list();
      List out;
      for (size_t i : slice_indices(int64_t(items.size()), start, stop, step)) out.push_back(items[i]);
      return built(obj.kind() == Value::Kind::tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out)));
    }
    if (obj.is_string()) {
      charge(obj.footprint());
      const std::u32string cps = decode_utf8(obj.as_string());
      std::u32string out;
      for (size_t i : slice_indices(int64_t(cps.size()), start, stop, step)) out.push_back(cps[i]);
      return built(Value(encode_utf8(out)));
    }
    return Value::undefined();
  }

  CallArgs eval_arguments(const Arguments& args) {
    CallArgs out;
    out.positional.reserve(args.positional.size());
    for (const ExprPtr& a : args.positional) out.positional.push_back(eval(*a));
    for (const auto& [name, a] : args.keyword) out.keyword.emplace_back(name, eval(*a));
    return out;
  }

  Value eval_node(const CallExpr& e) {
    // obj.method(...) calls the method directly.
    if (const auto* attr = std::get_if<AttributeExpr>(&e.callee->node)) {
      const Value obj = eval(*attr->object);
      if (has_method(obj, attr->name)) {
        const CallArgs args = eval_arguments(e.args);
        charge(obj.footprint());
        return built(call_method(obj, attr->name, args));
      }
      return call(get_member(obj, attr->name, true), eval_arguments(e.args));
    }
    const Value callee = eval(*e.callee);
    return call(callee, eval_arguments(e.args));
  }

  Value call(const Value& callee, const CallArgs& args) {
    if (callee.is_undefined()) {
      if (callee.undefined_name().empty()) eval_error("called an undefined value");
      eval_error("'{}' is undefined", callee.undefined_name());
    }
    if (!callee.is_callable()) eval_error("'{}' object is not callable", type_name(callee));
    for (const Value& a : args.positional) charge(a.footprint());
    return built(callee.as_callable().fn(args));
  }

  Value eval_node(const FilterExpr& e) {
    const Value input = eval(*e.input);
    const CallArgs args = eval_arguments(e.args);
    if (e.filter->cost == Cost::linear) charge(input.footprint());
    return built(e.filter->fn(input, args));
  }

  Value eval_node(const TestExpr& e) {
    const Value input = eval(*e.input);
    const CallArgs args = eval_arguments(e.args);
    const bool result = e.test->fn(input, args);
    return Value(result != e.negated);
  }

  Value eval_node(const UnaryExpr& e) {
    const Value v = eval(*e.operand);
    switch (e.op) {
      case UnaryOp::logical_not:
        return Value(!truthy(v));
      case UnaryOp::negate:
        return negate(v);
      case UnaryOp::plus:
        return unary_plus(v);
    }
    return v;
  }

  Value eval_node(const BinaryExpr& e) {
    const Value a = eval(*e.left);
    const Value b = eval(*e.right);
    if (e.op == BinaryOp::concat) charge(a.footprint() + b.footprint());
    return built(apply_binary(e.op, a, b));
  }

  Value eval_node(const LogicalExpr& e) {
    Value left = eval(*e.left);
    if (truthy(left) != e.is_and) return left;
    return eval(*e.right);
  }

  // What comparing a with b may cost: == and < walk both, `in` walks the container.
  static uint64_t compare_cost(CompareOp op, const Value& a, const Value& b) {
    if (op == CompareOp::in || op == CompareOp::not_in) return b.is_dict() ? b.as_dict().size() : b.footprint();
    return std::min(a.footprint(), b.footprint());
  }

  Value eval_node(const CompareExpr& e) {
    Value left = eval(*e.first);
    for (const auto& [op, right_expr] : e.rest) {
      Value right = eval(*right_expr);
      charge(compare_cost(op, left, right));
      if (!apply_compare(op, left, right)) return Value(false);
      left = std::move(right);
    }
    return Value(true);
  }

  Value eval_node(const ConditionalExpr& e) {
    if (truthy(eval(*e.condition))) return eval(*e.then);
    return e.otherwise ? eval(*e.otherwise) : Value::undefined();
  }

  std::string_view name_;
  const RenderOptions& options_;
  std::vector<Frame> frames_;
  std::string* out_ = nullptr;
  uint64_t work_ = 0;
  uint64_t iterations_ = 0;
  int call_depth_ = 0;
};

}  // namespace

std::string render_program(const Program& program, std::string_view template_name, const Dict& variables,
                           const RenderOptions& options) {
  try {
    return Renderer(template_name, variables, options).run(program.body);
  } catch (const EvalError& e) {
    fail("{}: {}", template_name, e.what());
  }
}

}  // namespace llamafast::jinja
