// Inside the library, failures are thrown as llamafast::Error and turned into a
// Status at the public API boundary (api/*.cpp), so parsers can stop at the
// first bad byte without threading error codes through every helper.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "llamafast/status.h"

namespace llamafast {

class Error : public std::runtime_error {
 public:
  Error(StatusCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  StatusCode code() const { return code_; }

 private:
  StatusCode code_;
};

// Bad input: a file or an argument the user can fix.
template <class... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(StatusCode::invalid_input, fmt::format(format, std::forward<Args>(args)...));
}

// A broken invariant inside llamafast.
template <class... Args>
[[noreturn]] void fail_internal(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(StatusCode::internal, fmt::format(format, std::forward<Args>(args)...));
}

// Runs f and converts what it throws into a Status (the API boundary).
template <class F>
Status catch_status(F&& f) {
  try {
    f();
    return {};
  } catch (const Error& e) {
    return Status(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::internal, "out of memory");
  } catch (const std::exception& e) {
    return Status(StatusCode::internal, e.what());
  }
}

}  // namespace llamafast
