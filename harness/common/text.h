#pragma once

#include <string>
#include <string_view>
#include <vector>

// Small text helpers every part needs.
namespace faultline {

// ASCII lower case: for names, keywords and header fields, not prose.
std::string lower(std::string_view text);

// A whole file's bytes; empty when it cannot be read (a cgroup or a config
// that went away is read as empty, and the caller judges that).
std::string read_text(const std::string& path);

// Lines of `text` without their newlines; join_lines puts them back, each
// ending in one.
std::vector<std::string> split_lines(const std::string& text);
std::string join_lines(const std::vector<std::string>& lines);
// Without leading and trailing spaces and tabs.
std::string trim(const std::string& s);

// `words` as one would type them into a shell to run them by hand: plain
// words as they are, others in single quotes.
std::string shell_words(const std::vector<std::string>& words);
// Split at runs of whitespace.
std::vector<std::string> split_words(const std::string& s);
bool starts_with(const std::string& s, const std::string& prefix);

}  // namespace faultline
