// Python's string behaviour for the Jinja engine: strings are UTF-8 bytes
// here but code points in Python, so lengths, indices, slices, case changes
// and whitespace follow code points. Bytes that are not valid UTF-8 decode
// to U+DC80..U+DCFF (Python's "surrogateescape") and encode back unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llamafast::jinja {

std::u32string decode_utf8(std::string_view s);
std::string encode_utf8(std::u32string_view s);
void append_utf8(std::string& out, char32_t c);
size_t count_code_points(std::string_view s);

// str.isspace() for one code point.
bool is_space(char32_t c);
// str.strip() / lstrip() / rstrip(): whitespace, or any code point of `chars`.
enum class StripSide { both, left, right };
std::string strip(std::string_view s, StripSide side);
std::string strip_chars(std::string_view s, std::u32string_view chars, StripSide side);

// str.splitlines(): splits at \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, U+2028, U+2029.
std::vector<std::string> split_lines(std::string_view s, bool keep_ends);

// Case mapping for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic
// (other scripts pass through unchanged).
char32_t to_upper(char32_t c);
char32_t to_lower(char32_t c);
bool is_cased(char32_t c);
std::string upper(std::string_view s);
std::string lower(std::string_view s);
// str.capitalize(): first character upper, the rest lower.
std::string capitalize(std::string_view s);
// str.title(): a letter after a non-letter goes upper, others lower.
std::string python_title(std::string_view s);
// Jinja's |title: words start after whitespace, '-', '(', '{', '[' or '<'.
std::string jinja_title(std::string_view s);

// repr() of a float ("1.0", "1e+16", "0.0001", "1e-05", "inf", "nan").
std::string format_float(double v);
// repr() of a str: quoted and escaped as Python prints it.
std::string quote_string(std::string_view s);

}  // namespace llamafast::jinja
