// How the filter registry (jinja_filters.cpp, which holds the filters on
// text and numbers) takes in the filters kept in other files.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "generate/jinja_builtins.h"

namespace llamafast::jinja {

using FilterTable = std::vector<std::pair<std::string_view, FilterInfo>>;

// Filters on lists and dicts (jinja_sequence_filters.cpp).
void add_sequence_filters(FilterTable& table);

// An item's attribute or key by a dotted path ("a.b", "items.0"), as the
// `attribute=` arguments of map, sort, selectattr and friends look it up.
Value get_attribute_path(const Value& item, std::string_view path);

}  // namespace llamafast::jinja
