#pragma once

#include <string>
#include <string_view>

// Small text helpers every part needs.
namespace faultline {

// ASCII lower case: for names, keywords and header fields, not prose.
std::string lower(std::string_view text);

// A whole file's bytes; empty when it cannot be read (a cgroup or a config
// that went away is read as empty, and the caller judges that).
std::string read_text(const std::string& path);

}  // namespace faultline
