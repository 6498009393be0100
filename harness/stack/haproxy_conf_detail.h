#pragma once

#include <string>
#include <vector>

#include "harness/common/result.h"
#include "harness/stack/haproxy_conf.h"

// What the haproxy_conf files share and callers do not need.
namespace faultline::stack::haproxy_conf::detail {

// "file:line:column: message; fix", the form every located error takes.
Error located(const std::string& file, size_t line, size_t column, const std::string& message,
              const std::string& fix);

// A line as it will be written: its text and its ending.
struct RawLine {
  std::string text;
  std::string ending;
};
std::vector<RawLine> raw_lines(const Config& config);
std::string join(const std::vector<RawLine>& lines);

// `word` written so that HAProxy reads it back as `word`: as it is when it
// holds nothing HAProxy would interpret, else in single quotes (or escaped,
// when it holds a single quote itself).
std::string quote_word(const std::string& word);

// "a, b and c".
std::string listing(const std::vector<std::string>& items);
// "a b c".
std::string joined(const std::vector<std::string>& words);

// The indentation of a section's statements: its last one's, else the
// file's (that of its first indented statement), else four spaces.
std::string section_indent(const Config& config, const Section& section);
std::string file_indent(const Config& config);

}  // namespace faultline::stack::haproxy_conf::detail
