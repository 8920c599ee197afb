// The syntax tree of a parsed template: expressions and statements, each
// with the position it came from (for error messages).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "generate/jinja_builtins.h"
#include "generate/jinja_lexer.h"
#include "generate/jinja_operators.h"
#include "generate/jinja_value.h"

namespace llamafast::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Arguments {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
};

struct LiteralExpr {
  Value value;
};
struct NameExpr {
  std::string name;
};
struct ListExpr {  // [a, b] or (a, b)
  std::vector<ExprPtr> items;
  bool tuple = false;
};
struct DictExpr {
  std::vector<std::pair<ExprPtr, ExprPtr>> items;
};
struct AttributeExpr {  // object.name
  ExprPtr object;
  std::string name;
};
struct IndexExpr {  // object[index]
  ExprPtr object;
  ExprPtr index;
};
struct SliceExpr {  // object[start:stop:step], each part optional (null)
  ExprPtr object, start, stop, step;
};
struct CallExpr {
  ExprPtr callee;
  Arguments args;
};
struct FilterExpr {  // input|name(args)
  ExprPtr input;
  std::string name;
  const FilterInfo* filter = nullptr;
  Arguments args;
};
struct TestExpr {  // input is [not] name(args)
  ExprPtr input;
  std::string name;
  const TestInfo* test = nullptr;
  Arguments args;
  bool negated = false;
};
enum class UnaryOp { negate, plus, logical_not };
struct UnaryExpr {
  UnaryOp op;
  ExprPtr operand;
};
struct BinaryExpr {
  BinaryOp op;
  ExprPtr left, right;
};
struct LogicalExpr {  // and / or: yields an operand, as in Python
  bool is_and = false;
  ExprPtr left, right;
};
struct CompareExpr {  // first op1 x op2 y ... (chained as in Python)
  ExprPtr first;
  std::vector<std::pair<CompareOp, ExprPtr>> rest;
};
struct ConditionalExpr {  // then if condition else otherwise (otherwise may be null)
  ExprPtr condition, then, otherwise;
};

struct Expr {
  using Node = std::variant<LiteralExpr, NameExpr, ListExpr, DictExpr, AttributeExpr, IndexExpr, SliceExpr, CallExpr,
                            FilterExpr, TestExpr, UnaryExpr, BinaryExpr, LogicalExpr, CompareExpr, ConditionalExpr>;
  SourcePos pos;
  int depth = 1;  // nodes on the longest path down from here (bounded by the parser)
  Node node;
};

struct Stmt;
using Body = std::vector<std::unique_ptr<Stmt>>;

struct TextStmt {
  std::string text;
};
struct OutputStmt {  // {{ value }}
  ExprPtr value;
};
struct IfStmt {
  std::vector<std::pair<ExprPtr, Body>> branches;  // if, then each elif
  Body otherwise;
};
struct ForStmt {  // for targets in iterable [if condition] ... [else ...] endfor
  std::vector<std::string> targets;
  ExprPtr iterable;
  ExprPtr condition;
  Body body;
  Body otherwise;
};
struct SetStmt {  // set a = v | set a, b = v | set ns.attribute = v
  std::vector<std::string> targets;
  std::string attribute;
  ExprPtr value;
};
struct SetBlockStmt {  // set target %}body{% endset
  std::string target;
  Body body;
};
struct MacroStmt {
  std::string name;
  std::vector<std::pair<std::string, ExprPtr>> params;  // default may be null
  Body body;
};
struct LoopControlStmt {  // break / continue
  bool is_break = false;
};
struct BlockStmt {  // {% generation %}: renders its body unchanged
  Body body;
};

struct Stmt {
  using Node = std::variant<TextStmt, OutputStmt, IfStmt, ForStmt, SetStmt, SetBlockStmt, MacroStmt, LoopControlStmt, BlockStmt>;
  SourcePos pos;
  Node node;
};

}  // namespace llamafast::jinja

namespace llamafast::jinja {

// A parsed template.
struct Program {
  Body body;
};

}  // namespace llamafast::jinja
