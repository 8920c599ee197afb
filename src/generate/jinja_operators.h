// Jinja's operators with Python's semantics: int arithmetic stays int (an
// overflow is an error, where Python would grow the int), / is true division,
// // and % floor, + joins strings and lists, ~ joins anything as text,
// str % args formats printf-style (%s %r %d %i %f).
#pragma once

#include <string_view>

#include "generate/jinja_value.h"

namespace llamafast::jinja {

enum class BinaryOp { add, subtract, multiply, divide, floor_divide, modulo, power, concat };
enum class CompareOp { eq, ne, lt, le, gt, ge, in, not_in };

std::string_view symbol(BinaryOp op);
std::string_view symbol(CompareOp op);

// Throws EvalError on a type error, a division by zero or an int overflow.
Value apply_binary(BinaryOp op, const Value& a, const Value& b);
bool apply_compare(CompareOp op, const Value& a, const Value& b);
Value negate(const Value& v);
Value unary_plus(const Value& v);
// Python's `item in container`: substring, list member or dict key.
bool contains(const Value& container, const Value& item);

}  // namespace llamafast::jinja
