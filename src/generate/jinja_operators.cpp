#include "generate/jinja_operators.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace llamafast::jinja {

std::string_view symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::add:
      return "+";
    case BinaryOp::subtract:
      return "-";
    case BinaryOp::multiply:
      return "*";
    case BinaryOp::divide:
      return "/";
    case BinaryOp::floor_divide:
      return "//";
    case BinaryOp::modulo:
      return "%";
    case BinaryOp::power:
      return "**";
    case BinaryOp::concat:
      return "~";
  }
  return "?";
}

std::string_view symbol(CompareOp op) {
  switch (op) {
    case CompareOp::eq:
      return "==";
    case CompareOp::ne:
      return "!=";
    case CompareOp::lt:
      return "<";
    case CompareOp::le:
      return "<=";
    case CompareOp::gt:
      return ">";
    case CompareOp::ge:
      return ">=";
    case CompareOp::in:
      return "in";
    case CompareOp::not_in:
      return "not in";
  }
  return "?";
}

namespace {

[[noreturn]] void unsupported(BinaryOp op, const Value& a, const Value& b) {
  eval_error("unsupported operand type(s) for {}: '{}' and '{}'", symbol(op), type_name(a), type_name(b));
}

[[noreturn]] void undefined_operand(const Value& v) {
  if (v.undefined_name().empty()) eval_error("an undefined value was used in arithmetic");
  eval_error("'{}' is undefined", v.undefined_name());
}

[[noreturn]] void overflow() { eval_error("integer overflow (values beyond 64 bits are not supported)"); }

bool is_integral(const Value& v) { return v.is_int() || v.is_bool(); }

void check(bool overflowed) {
  if (overflowed) overflow();
}

// Python's floor division and modulo for floats (the result of % takes the
// sign of the divisor).
double float_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0.0 && ((b < 0) != (m < 0))) m += b;
  if (m == 0.0) m = std::copysign(0.0, b);
  return m;
}

double float_floor_div(double a, double b) {
  const double m = std::fmod(a, b);
  double div = (a - m) / b;
  if (m != 0.0 && ((b < 0) != (m < 0))) div -= 1.0;
  if (div == 0.0) return std::copysign(0.0, a / b);
  double floored = std::floor(div);
  if (div - floored > 0.5) floored += 1.0;
  return floored;
}

int64_t int_power(int64_t base, int64_t exponent) {
  int64_t result = 1;
  while (exponent > 0) {
    if (exponent & 1) check(__builtin_mul_overflow(result, base, &result));
    exponent >>= 1;
    if (exponent) check(__builtin_mul_overflow(base, base, &base));
  }
  return result;
}

Value repeat(const Value& seq, int64_t count) {
  if (count <= 0) return seq.is_string() ? Value("") : seq.kind() == Value::Kind::tuple ? Value::tuple({}) : Value::list({});
  if (seq.is_string()) {
    const std::string& s = seq.as_string();
    if (!s.empty() && uint64_t(count) > kMaxStringBytes / s.size()) check_string_size(kMaxStringBytes + 1);
    std::string out;
    out.reserve(s.size() * size_t(count));
    for (int64_t i = 0; i < count; ++i) out += s;
    return Value(std::move(out));
  }
  const List& items = seq.as_list();
  if (!items.empty() && uint64_t(count) > kMaxListItems / items.size()) eval_error("list longer than {} items", kMaxListItems);
  List out;
  out.reserve(items.size() * size_t(count));
  for (int64_t i = 0; i < count; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.kind() == Value::Kind::tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

// Python's printf-style `format % args`: %s %r %d %i %f %% with optional
// flags '-' and '0', a width and a precision.
Value printf_format(const std::string& format, const Value& args) {
  const List values = args.kind() == Value::Kind::tuple ? args.as_list() : List{args};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) eval_error("incomplete format");
    bool left = false, zero = false;
    for (; i < format.size() && (format[i] == '-' || format[i] == '0'); ++i) (format[i] == '-' ? left : zero) = true;
    size_t width = 0;
    for (; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i) width = std::min<size_t>(width * 10 + size_t(format[i] - '0'), 100000);
    int precision = -1;
    if (i < format.size() && format[i] == '.') {
      precision = 0;
      for (++i; i < format.size() && format[i] >= '0' && format[i] <= '9'; ++i) precision = std::min(precision * 10 + (format[i] - '0'), 1000);
    }
    if (i >= format.size()) eval_error("incomplete format");
    const char type = format[i];
    if (type == '%') {
      out += '%';
      continue;
    }
    if (next >= values.size()) eval_error("not enough arguments for format string");
    const Value& v = values[next++];
    std::string piece;
    switch (type) {
      case 's':
        piece = to_str(v);
        if (precision >= 0 && size_t(precision) < piece.size()) piece.resize(size_t(precision));
        break;
      case 'r':
        piece = repr(v);
        break;
      case 'd':
      case 'i':
        if (!v.is_number()) eval_error("%{} format: a real number is required, not {}", type, type_name(v));
        piece = std::to_string(v.is_float() ? int64_t(v.as_double()) : v.as_int());
        break;
      case 'f':
      case 'F':
        if (!v.is_number()) eval_error("must be real number, not {}", type_name(v));
        piece = fmt::format("{:.{}f}", v.as_double(), precision < 0 ? 6 : precision);
        break;
      default:
        eval_error("unsupported format character '{}'", type);
    }
    if (piece.size() < width) {
      const size_t pad = width - piece.size();
      if (left) {
        piece.append(pad, ' ');
      } else if (zero && type != 's' && type != 'r') {
        piece.insert(piece[0] == '-' ? 1 : 0, pad, '0');
      } else {
        piece.insert(0, pad, ' ');
      }
    }
    out += piece;
    check_string_size(out.size());
  }
  // Python takes a list or dict argument as a mapping, which may go unused.
  if (next < values.size() && args.kind() != Value::Kind::list && !args.is_dict()) {
    eval_error("not all arguments converted during string formatting");
  }
  return Value(std::move(out));
}

Value arithmetic(BinaryOp op, const Value& a, const Value& b) {
  if (is_integral(a) && is_integral(b)) {
    const int64_t x = a.as_int(), y = b.as_int();
    int64_t r = 0;
    switch (op) {
      case BinaryOp::add:
        check(__builtin_add_overflow(x, y, &r));
        return Value(r);
      case BinaryOp::subtract:
        check(__builtin_sub_overflow(x, y, &r));
        return Value(r);
      case BinaryOp::multiply:
        check(__builtin_mul_overflow(x, y, &r));
        return Value(r);
      case BinaryOp::divide:
        if (y == 0) eval_error("division by zero");
        return Value(double(x) / double(y));
      case BinaryOp::floor_divide:
      case BinaryOp::modulo: {
        if (y == 0) eval_error("integer division or modulo by zero");
        if (x == std::numeric_limits<int64_t>::min() && y == -1) overflow();
        int64_t q = x / y, m = x % y;
        if (m != 0 && ((m < 0) != (y < 0))) {
          q -= 1;
          m += y;
        }
        return Value(op == BinaryOp::floor_divide ? q : m);
      }
      case BinaryOp::power:
        if (y >= 0) return Value(int_power(x, y));
        if (x == 0) eval_error("0.0 cannot be raised to a negative power");
        return Value(std::pow(double(x), double(y)));
      default:
        break;
    }
  }
  const double x = a.as_double(), y = b.as_double();
  switch (op) {
    case BinaryOp::add:
      return Value(x + y);
    case BinaryOp::subtract:
      return Value(x - y);
    case BinaryOp::multiply:
      return Value(x * y);
    case BinaryOp::divide:
      if (y == 0) eval_error("float division by zero");
      return Value(x / y);
    case BinaryOp::floor_divide:
      if (y == 0) eval_error("float floor division by zero");
      return Value(float_floor_div(x, y));
    case BinaryOp::modulo:
      if (y == 0) eval_error("float modulo");
      return Value(float_mod(x, y));
    case BinaryOp::power:
      if (x == 0 && y < 0) eval_error("0.0 cannot be raised to a negative power");
      if (x < 0 && y != std::floor(y)) eval_error("a negative number cannot be raised to a fractional power");
      return Value(std::pow(x, y));
    default:
      unsupported(op, a, b);
  }
}

}  // namespace

Value apply_binary(BinaryOp op, const Value& a, const Value& b) {
  if (op == BinaryOp::concat) {
    std::string left = to_str(a);
    const std::string right = to_str(b);
    check_string_size(left.size() + right.size());
    return Value(left + right);
  }
  if (a.is_undefined()) undefined_operand(a);
  if (b.is_undefined()) undefined_operand(b);
  if (a.is_number() && b.is_number()) return arithmetic(op, a, b);
  if (op == BinaryOp::add) {
    if (a.is_string() && b.is_string()) {
      check_string_size(a.as_string().size() + b.as_string().size());
      return Value(a.as_string() + b.as_string());
    }
    if (a.is_sequence() && a.kind() == b.kind()) {
      const List &x = a.as_list(), &y = b.as_list();
      if (x.size() + y.size() > kMaxListItems) eval_error("list longer than {} items", kMaxListItems);
      List out(x);
      out.insert(out.end(), y.begin(), y.end());
      return a.kind() == Value::Kind::tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
    }
  }
  if (op == BinaryOp::multiply) {
    if ((a.is_string() || a.is_sequence()) && is_integral(b)) return repeat(a, b.as_int());
    if ((b.is_string() || b.is_sequence()) && is_integral(a)) return repeat(b, a.as_int());
  }
  if (op == BinaryOp::modulo && a.is_string()) return printf_format(a.as_string(), b);
  unsupported(op, a, b);
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::string:
      if (!item.is_string()) eval_error("'in <string>' requires string as left operand, not {}", type_name(item));
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::list:
    case Value::Kind::tuple:
      for (const Value& element : container.as_list()) {
        if (equals(element, item)) return true;
      }
      return false;
    case Value::Kind::dict:
      return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
    case Value::Kind::undefined:
      return false;
    default:
      eval_error("argument of type '{}' is not iterable", type_name(container));
  }
}

bool apply_compare(CompareOp op, const Value& a, const Value& b) {
  switch (op) {
    case CompareOp::eq:
      return equals(a, b);
    case CompareOp::ne:
      return !equals(a, b);
    case CompareOp::lt:
      return compare(a, b, "<") < 0;
    case CompareOp::le:
      return compare(a, b, "<=") <= 0;
    case CompareOp::gt:
      return compare(a, b, ">") > 0;
    case CompareOp::ge:
      return compare(a, b, ">=") >= 0;
    case CompareOp::in:
      return contains(b, a);
    case CompareOp::not_in:
      return !contains(b, a);
  }
  return false;
}

Value negate(const Value& v) {
  if (v.is_float()) return Value(-v.as_double());
  if (is_integral(v)) {
    if (v.as_int() == std::numeric_limits<int64_t>::min()) overflow();
    return Value(-v.as_int());
  }
  if (v.is_undefined()) undefined_operand(v);
  eval_error("bad operand type for unary -: '{}'", type_name(v));
}

Value unary_plus(const Value& v) {
  if (v.is_float()) return v;
  if (is_integral(v)) return Value(v.as_int());
  if (v.is_undefined()) undefined_operand(v);
  eval_error("bad operand type for unary +: '{}'", type_name(v));
}

}  // namespace llamafast::jinja
