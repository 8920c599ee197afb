#include "generate/jinja_parser.h"

#include <algorithm>

#include <fmt/format.h>

namespace llamafast::jinja {

namespace {

int depth_of(const ExprPtr& e) { return e ? e->depth : 0; }

int depth_of(const Arguments& args) {
  int d = 0;
  for (const ExprPtr& e : args.positional) d = std::max(d, depth_of(e));
  for (const auto& [name, e] : args.keyword) d = std::max(d, depth_of(e));
  return d;
}

bool is_end_of_tag(const Token& t) { return t.kind == Token::Kind::block_close || t.kind == Token::Kind::print_close; }

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view name) : tokens_(std::move(tokens)), name_(name) {}

  Body parse() { return parse_body({}, nullptr, {}, {}); }

 private:
  // Counts nesting on the way down; too deep is a syntax error.
  class DepthGuard {
   public:
    DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxSyntaxDepth) p_.error(p_.peek(), fmt::format("template nests more than {} levels deep", kMaxSyntaxDepth));
    }
    ~DepthGuard() { --p_.depth_; }

   private:
    Parser& p_;
  };

  // ---- tokens -----------------------------------------------------------------

  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool is_op(std::string_view op, size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.kind == Token::Kind::op && t.text == op;
  }
  bool is_name(std::string_view name, size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.kind == Token::Kind::name && t.text == name;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::text:
        return "template text";
      case Token::Kind::print_open:
        return "'{{'";
      case Token::Kind::print_close:
        return "'}}'";
      case Token::Kind::block_open:
        return "'{%'";
      case Token::Kind::block_close:
        return "'%}'";
      case Token::Kind::name:
      case Token::Kind::op:
        return "'" + t.text + "'";
      case Token::Kind::string:
        return "a string";
      case Token::Kind::integer:
      case Token::Kind::floating:
        return "a number";
      case Token::Kind::end:
        return "the end of the template";
    }
    return "a token";
  }

  [[noreturn]] void error(const Token& t, std::string_view message) const { syntax_error(name_, t.pos, message); }

  void expect_op(std::string_view op, std::string_view where) {
    if (!skip_op(op)) error(peek(), fmt::format("expected '{}' {}, got {}", op, where, describe(peek())));
  }

  std::string expect_name(std::string_view what) {
    if (peek().kind != Token::Kind::name) error(peek(), fmt::format("expected {}, got {}", what, describe(peek())));
    return next().text;
  }

  void expect_block_close(std::string_view tag) {
    if (peek().kind != Token::Kind::block_close) {
      error(peek(), fmt::format("expected '%}}' to end the '{}' tag, got {}", tag, describe(peek())));
    }
    next();
  }

  ExprPtr make(SourcePos pos, int child_depth, Expr::Node node) {
    if (child_depth + 1 > kMaxSyntaxDepth) {
      syntax_error(name_, pos, fmt::format("expression nests more than {} levels deep", kMaxSyntaxDepth));
    }
    auto e = std::make_unique<Expr>();
    e->pos = pos;
    e->depth = child_depth + 1;
    e->node = std::move(node);
    return e;
  }

  // ---- statements ---------------------------------------------------------------

  // Statements up to one of the `stops` tags (consumed, its name stored in
  // *stopped_at) or, at the top level, the end of the template.
  Body parse_body(const std::vector<std::string_view>& stops, std::string* stopped_at, std::string_view open_tag,
                  SourcePos open_pos) {
    DepthGuard guard(*this);
    Body body;
    while (true) {
      const Token& t = peek();
      if (t.kind == Token::Kind::end) {
        if (!stops.empty()) {
          error(t, fmt::format("unexpected end of template: the '{}' block opened at line {} is never closed (expected {})",
                               open_tag, open_pos.line, quoted_list(stops)));
        }
        return body;
      }
      if (t.kind == Token::Kind::text) {
        body.push_back(std::make_unique<Stmt>(Stmt{t.pos, TextStmt{t.text}}));
        next();
      } else if (t.kind == Token::Kind::print_open) {
        const SourcePos pos = next().pos;
        ExprPtr value = parse_tuple(true);
        if (peek().kind != Token::Kind::print_close) error(peek(), fmt::format("expected '}}}}', got {}", describe(peek())));
        next();
        body.push_back(std::make_unique<Stmt>(Stmt{pos, OutputStmt{std::move(value)}}));
      } else if (t.kind == Token::Kind::block_open) {
        const Token& tag = peek(1);
        if (tag.kind != Token::Kind::name) error(tag, fmt::format("expected a tag name after '{{%', got {}", describe(tag)));
        if (std::find(stops.begin(), stops.end(), tag.text) != stops.end()) {
          next();
          *stopped_at = next().text;
          return body;
        }
        next();
        body.push_back(parse_statement(stops, open_tag, open_pos));
      } else {
        error(t, fmt::format("unexpected {}", describe(t)));
      }
    }
  }

  static std::string quoted_list(const std::vector<std::string_view>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
      if (i) out += i + 1 == names.size() ? " or " : ", ";
      out += '\'';
      out += names[i];
      out += '\'';
    }
    return out;
  }

  std::unique_ptr<Stmt> parse_statement(const std::vector<std::string_view>& stops, std::string_view open_tag,
                                        SourcePos open_pos) {
    const Token& tag = next();
    const SourcePos pos = tag.pos;
    const std::string name = tag.text;
    auto stmt = [&](Stmt::Node node) { return std::make_unique<Stmt>(Stmt{pos, std::move(node)}); };
    if (name == "if") return stmt(parse_if());
    if (name == "for") return stmt(parse_for(pos));
    if (name == "set") return parse_set(pos);
    if (name == "macro") return stmt(parse_macro(pos));
    if (name == "generation") {
      expect_block_close(name);
      std::string stopped;
      Body body = parse_body({"endgeneration"}, &stopped, name, pos);
      expect_block_close("endgeneration");
      return stmt(BlockStmt{std::move(body)});
    }
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) error(tag, fmt::format("'{}' outside of a for loop", name));
      expect_block_close(name);
      return stmt(LoopControlStmt{name == "break"});
    }
    static constexpr std::string_view kClosers[] = {"elif", "else", "endif", "endfor", "endset", "endmacro", "endgeneration",
                                                    "endraw", "endblock", "endfilter", "endcall", "endwith"};
    if (std::find(std::begin(kClosers), std::end(kClosers), name) != std::end(kClosers)) {
      if (open_tag.empty()) error(tag, fmt::format("unexpected '{}': no block is open", name));
      error(tag, fmt::format("unexpected '{}': the innermost open block is '{}' (line {}), which expects {}", name, open_tag,
                             open_pos.line, quoted_list(stops)));
    }
    static constexpr std::string_view kUnsupported[] = {"block", "extends", "include", "import", "from", "with",
                                                        "filter", "call", "autoescape", "do", "trans"};
    if (std::find(std::begin(kUnsupported), std::end(kUnsupported), name) != std::end(kUnsupported)) {
      error(tag, fmt::format("the '{}' tag is not supported", name));
    }
    error(tag, fmt::format("unknown tag '{}'", name));
  }

  IfStmt parse_if() {
    IfStmt node;
    std::string stopped = "if";
    while (true) {
      const SourcePos pos = peek().pos;
      ExprPtr condition = parse_tuple(false);
      expect_block_close(stopped);
      Body body = parse_body({"elif", "else", "endif"}, &stopped, "if", pos);
      node.branches.emplace_back(std::move(condition), std::move(body));
      if (stopped == "else") {
        expect_block_close("else");
        node.otherwise = parse_body({"endif"}, &stopped, "else", pos);
      }
      if (stopped == "endif") break;
    }
    expect_block_close("endif");
    return node;
  }

  std::vector<std::string> parse_targets(std::string_view tag) {
    std::vector<std::string> targets;
    const bool parenthesized = skip_op("(");
    do {
      targets.push_back(expect_name(fmt::format("a variable name in '{}'", tag)));
    } while (skip_op(","));
    if (parenthesized) expect_op(")", "after the loop variables");
    return targets;
  }

  ForStmt parse_for(SourcePos pos) {
    ForStmt node;
    node.targets = parse_targets("for");
    if (!skip_name("in")) error(peek(), fmt::format("expected 'in' in 'for', got {}", describe(peek())));
    node.iterable = parse_tuple(false, {"if", "recursive"});
    if (skip_name("if")) node.condition = parse_expression(false);
    if (is_name("recursive")) error(peek(), "recursive loops are not supported");
    expect_block_close("for");
    ++loop_depth_;
    std::string stopped;
    node.body = parse_body({"else", "endfor"}, &stopped, "for", pos);
    --loop_depth_;
    if (stopped == "else") {
      expect_block_close("else");
      node.otherwise = parse_body({"endfor"}, &stopped, "for", pos);
    }
    expect_block_close("endfor");
    return node;
  }

  std::unique_ptr<Stmt> parse_set(SourcePos pos) {
    SetStmt node;
    node.targets.push_back(expect_name("a variable name after 'set'"));
    if (skip_op(".")) {
      node.attribute = expect_name("an attribute name");
    } else {
      while (skip_op(",")) node.targets.push_back(expect_name("a variable name in 'set'"));
    }
    if (peek().kind == Token::Kind::block_close && node.targets.size() == 1 && node.attribute.empty()) {
      next();
      std::string stopped;
      Body body = parse_body({"endset"}, &stopped, "set", pos);
      expect_block_close("endset");
      return std::make_unique<Stmt>(Stmt{pos, SetBlockStmt{node.targets[0], std::move(body)}});
    }
    expect_op("=", "in 'set'");
    node.value = parse_tuple(true);
    expect_block_close("set");
    return std::make_unique<Stmt>(Stmt{pos, std::move(node)});
  }

  MacroStmt parse_macro(SourcePos pos) {
    MacroStmt node;
    node.name = expect_name("a macro name");
    expect_op("(", "after the macro name");
    while (!is_op(")")) {
      std::string param = expect_name("a parameter name");
      ExprPtr fallback;
      if (skip_op("=")) fallback = parse_expression(true);
      node.params.emplace_back(std::move(param), std::move(fallback));
      if (!skip_op(",")) break;
    }
    expect_op(")", "to end the macro parameters");
    expect_block_close("macro");
    const int saved_loops = loop_depth_;
    loop_depth_ = 0;
    std::string stopped;
    node.body = parse_body({"endmacro"}, &stopped, "macro", pos);
    loop_depth_ = saved_loops;
    expect_block_close("endmacro");
    return node;
  }

  // ---- expressions --------------------------------------------------------------

  // An expression, or several separated by commas (a tuple without parentheses).
  ExprPtr parse_tuple(bool with_conditional, std::initializer_list<std::string_view> end_names = {}) {
    const SourcePos pos = peek().pos;
    ExprPtr first = parse_expression(with_conditional);
    if (!is_op(",")) return first;
    ListExpr tuple{{}, true};
    int depth = first->depth;
    tuple.items.push_back(std::move(first));
    while (skip_op(",")) {
      const Token& t = peek();
      if (is_end_of_tag(t)) break;
      if (t.kind == Token::Kind::name && std::find(end_names.begin(), end_names.end(), t.text) != end_names.end()) break;
      tuple.items.push_back(parse_expression(with_conditional));
      depth = std::max(depth, tuple.items.back()->depth);
    }
    return make(pos, depth, std::move(tuple));
  }

  ExprPtr parse_expression(bool with_conditional) {
    return with_conditional ? parse_conditional() : parse_or();
  }

  ExprPtr parse_conditional() {
    DepthGuard guard(*this);
    ExprPtr then = parse_or();
    while (is_name("if")) {
      const SourcePos pos = next().pos;
      ExprPtr condition = parse_or();
      ExprPtr otherwise;
      if (skip_name("else")) otherwise = parse_conditional();
      const int depth = std::max({depth_of(then), depth_of(condition), depth_of(otherwise)});
      then = make(pos, depth, ConditionalExpr{std::move(condition), std::move(then), std::move(otherwise)});
    }
    return then;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const SourcePos pos = next().pos;
      ExprPtr right = parse_and();
      const int depth = std::max(left->depth, right->depth);
      left = make(pos, depth, LogicalExpr{false, std::move(left), std::move(right)});
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const SourcePos pos = next().pos;
      ExprPtr right = parse_not();
      const int depth = std::max(left->depth, right->depth);
      left = make(pos, depth, LogicalExpr{true, std::move(left), std::move(right)});
    }
    return left;
  }

  ExprPtr parse_not() {
    if (!is_name("not")) return parse_compare();
    DepthGuard guard(*this);
    const SourcePos pos = next().pos;
    ExprPtr operand = parse_not();
    const int depth = operand->depth;
    return make(pos, depth, UnaryExpr{UnaryOp::logical_not, std::move(operand)});
  }

  bool compare_op(CompareOp* op) {
    static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
        {"==", CompareOp::eq}, {"!=", CompareOp::ne}, {"<", CompareOp::lt},
        {"<=", CompareOp::le}, {">", CompareOp::gt},  {">=", CompareOp::ge}};
    for (const auto& [spelling, value] : kOps) {
      if (is_op(spelling)) {
        next();
        *op = value;
        return true;
      }
    }
    if (skip_name("in")) {
      *op = CompareOp::in;
      return true;
    }
    if (is_name("not") && is_name("in", 1)) {
      next();
      next();
      *op = CompareOp::not_in;
      return true;
    }
    return false;
  }

  ExprPtr parse_compare() {
    const SourcePos pos = peek().pos;
    ExprPtr first = parse_math1();
    CompareExpr node;
    int depth = first->depth;
    CompareOp op;
    while (compare_op(&op)) {
      node.rest.emplace_back(op, parse_math1());
      depth = std::max(depth, node.rest.back().second->depth);
    }
    if (node.rest.empty()) return first;
    node.first = std::move(first);
    return make(pos, depth + int(node.rest.size()) - 1, std::move(node));
  }

  template <class Next>
  ExprPtr parse_binary_level(std::initializer_list<std::pair<std::string_view, BinaryOp>> ops, Next next_level) {
    ExprPtr left = (this->*next_level)();
    while (true) {
      const auto it = std::find_if(ops.begin(), ops.end(), [&](const auto& o) { return is_op(o.first); });
      if (it == ops.end()) return left;
      const SourcePos pos = next().pos;
      ExprPtr right = (this->*next_level)();
      const int depth = std::max(left->depth, right->depth);
      left = make(pos, depth, BinaryExpr{it->second, std::move(left), std::move(right)});
    }
  }

  ExprPtr parse_math1() {
    return parse_binary_level({{"+", BinaryOp::add}, {"-", BinaryOp::subtract}}, &Parser::parse_concat);
  }
  ExprPtr parse_concat() { return parse_binary_level({{"~", BinaryOp::concat}}, &Parser::parse_math2); }
  ExprPtr parse_math2() {
    return parse_binary_level({{"*", BinaryOp::multiply},
                               {"/", BinaryOp::divide},
                               {"//", BinaryOp::floor_divide},
                               {"%", BinaryOp::modulo}},
                              &Parser::parse_pow);
  }
  ExprPtr parse_pow() { return parse_binary_level({{"**", BinaryOp::power}}, &Parser::parse_unary_filtered); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filters) {
    DepthGuard guard(*this);
    const SourcePos pos = peek().pos;
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      const UnaryOp op = next().text == "-" ? UnaryOp::negate : UnaryOp::plus;
      ExprPtr operand = parse_unary(false);
      const int depth = operand->depth;
      node = make(pos, depth, UnaryExpr{op, std::move(operand)});
    } else {
      node = parse_postfix(parse_primary());
    }
    return with_filters ? parse_filters_and_tests(std::move(node)) : std::move(node);
  }

  ExprPtr parse_primary() {
    const Token& t = peek();
    const SourcePos pos = t.pos;
    switch (t.kind) {
      case Token::Kind::name: {
        const std::string name = next().text;
        if (name == "true" || name == "True") return make(pos, 0, LiteralExpr{Value(true)});
        if (name == "false" || name == "False") return make(pos, 0, LiteralExpr{Value(false)});
        if (name == "none" || name == "None") return make(pos, 0, LiteralExpr{Value::none()});
        return make(pos, 0, NameExpr{name});
      }
      case Token::Kind::string: {
        std::string s = next().text;
        while (peek().kind == Token::Kind::string) s += next().text;
        return make(pos, 0, LiteralExpr{Value(std::move(s))});
      }
      case Token::Kind::integer:
        return make(pos, 0, LiteralExpr{Value(next().integer)});
      case Token::Kind::floating:
        return make(pos, 0, LiteralExpr{Value(next().floating)});
      default:
        break;
    }
    if (skip_op("(")) return parse_parenthesized(pos);
    if (skip_op("[")) {
      ListExpr list;
      int depth = 0;
      while (!is_op("]")) {
        list.items.push_back(parse_expression(true));
        depth = std::max(depth, list.items.back()->depth);
        if (!skip_op(",")) break;
      }
      expect_op("]", "to end the list");
      return make(pos, depth, std::move(list));
    }
    if (skip_op("{")) {
      DictExpr dict;
      int depth = 0;
      while (!is_op("}")) {
        ExprPtr key = parse_expression(true);
        expect_op(":", "after a dict key");
        ExprPtr value = parse_expression(true);
        depth = std::max({depth, key->depth, value->depth});
        dict.items.emplace_back(std::move(key), std::move(value));
        if (!skip_op(",")) break;
      }
      expect_op("}", "to end the dict");
      return make(pos, depth, std::move(dict));
    }
    error(t, fmt::format("expected an expression, got {}", describe(t)));
  }

  // After "(": a parenthesized expression or a tuple.
  ExprPtr parse_parenthesized(SourcePos pos) {
    if (skip_op(")")) return make(pos, 0, ListExpr{{}, true});
    ExprPtr first = parse_expression(true);
    if (skip_op(")")) return first;
    ListExpr tuple{{}, true};
    int depth = first->depth;
    tuple.items.push_back(std::move(first));
    while (skip_op(",") && !is_op(")")) {
      tuple.items.push_back(parse_expression(true));
      depth = std::max(depth, tuple.items.back()->depth);
    }
    expect_op(")", "to end the parenthesized expression");
    return make(pos, depth, std::move(tuple));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      const SourcePos pos = peek().pos;
      if (skip_op(".")) {
        const Token& t = peek();
        if (t.kind == Token::Kind::integer) {
          ExprPtr index = make(t.pos, 0, LiteralExpr{Value(next().integer)});
          const int depth = node->depth;
          node = make(pos, depth, IndexExpr{std::move(node), std::move(index)});
        } else {
          std::string name = expect_name("an attribute name after '.'");
          const int depth = node->depth;
          node = make(pos, depth, AttributeExpr{std::move(node), std::move(name)});
        }
      } else if (skip_op("[")) {
        node = parse_subscript(std::move(node), pos);
      } else if (skip_op("(")) {
        Arguments args = parse_call_arguments();
        const int depth = std::max(node->depth, depth_of(args));
        const SourcePos callee_pos = node->pos;  // errors point at what is called
        node = make(callee_pos, depth, CallExpr{std::move(node), std::move(args)});
      } else {
        return node;
      }
    }
  }

  // After "[": an index or a slice.
  ExprPtr parse_subscript(ExprPtr object, SourcePos pos) {
    ExprPtr parts[3];
    int part = 0;
    bool slice = false;
    while (true) {
      if (is_op(":")) {
        next();
        slice = true;
        if (++part > 2) error(peek(), "too many ':' in a slice");
      } else if (is_op("]")) {
        break;
      } else {
        if (parts[part]) error(peek(), fmt::format("expected ']' or ':', got {}", describe(peek())));
        parts[part] = parse_expression(true);
      }
    }
    expect_op("]", "to end the subscript");
    const int depth = std::max({object->depth, depth_of(parts[0]), depth_of(parts[1]), depth_of(parts[2])});
    if (!slice) {
      if (!parts[0]) error(peek(), "empty subscript '[]'");
      return make(pos, depth, IndexExpr{std::move(object), std::move(parts[0])});
    }
    return make(pos, depth, SliceExpr{std::move(object), std::move(parts[0]), std::move(parts[1]), std::move(parts[2])});
  }

  // After "(": arguments up to ")".
  Arguments parse_call_arguments() {
    Arguments args;
    while (!is_op(")")) {
      if (is_op("*") || is_op("**")) error(peek(), "'*args' and '**kwargs' in calls are not supported");
      if (peek().kind == Token::Kind::name && is_op("=", 1)) {
        std::string name = next().text;
        next();
        args.keyword.emplace_back(std::move(name), parse_expression(true));
      } else {
        if (!args.keyword.empty()) error(peek(), "positional argument after a keyword argument");
        args.positional.push_back(parse_expression(true));
      }
      if (!skip_op(",")) break;
    }
    expect_op(")", "to end the argument list");
    return args;
  }

  std::string dotted_name(std::string_view what) {
    std::string name = expect_name(what);
    while (is_op(".") && peek(1).kind == Token::Kind::name) {
      next();
      name += "." + next().text;
    }
    return name;
  }

  // Whether the token after `x is test` starts its one argument, as in
  // `x is divisibleby 3` or `x is sameas none`.
  bool starts_bare_test_argument(const Token& t) const {
    switch (t.kind) {
      case Token::Kind::name:
        return t.text != "else" && t.text != "or" && t.text != "and" && t.text != "if" && t.text != "in" &&
               t.text != "not" && t.text != "is";
      case Token::Kind::string:
      case Token::Kind::integer:
      case Token::Kind::floating:
        return true;
      case Token::Kind::op:
        return t.text == "[" || t.text == "{";
      default:
        return false;
    }
  }

  ExprPtr parse_filters_and_tests(ExprPtr node) {
    while (true) {
      const SourcePos pos = peek().pos;
      if (skip_op("|")) {
        const Token& name_token = peek();
        FilterExpr f;
        f.name = dotted_name("a filter name after '|'");
        f.filter = find_filter(f.name);
        if (!f.filter) error(name_token, fmt::format("unknown filter '{}'", f.name));
        if (skip_op("(")) f.args = parse_call_arguments();
        f.input = std::move(node);
        const int depth = std::max(f.input->depth, depth_of(f.args));
        node = make(pos, depth, std::move(f));
      } else if (skip_name("is")) {
        TestExpr t;
        t.negated = skip_name("not");
        const Token& name_token = peek();
        t.name = dotted_name("a test name after 'is'");
        t.test = find_test(t.name);
        if (!t.test) error(name_token, fmt::format("unknown test '{}'", t.name));
        if (skip_op("(")) {
          t.args = parse_call_arguments();
        } else if (starts_bare_test_argument(peek())) {
          t.args.positional.push_back(parse_postfix(parse_primary()));
        }
        t.input = std::move(node);
        const int depth = std::max(t.input->depth, depth_of(t.args));
        node = make(pos, depth, std::move(t));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> tokens_;
  std::string_view name_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse_template(std::string_view source, std::string_view template_name) {
  return Parser(tokenize(source, template_name), template_name).parse();
}

}  // namespace llamafast::jinja
