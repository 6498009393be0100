// position_of_line: where a line of a multi-line YAML text is written, so a
// complaint about one line of a config fragment points at that line.

#include "harness/experiment/scalar_lines.h"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using faultline::experiment::Diagnostics;
using faultline::experiment::position_of_line;
using faultline::experiment::SourcePos;

namespace {

// Writes `yaml` to a file and returns the position of its `text` value.
SourcePos text_pos(const std::string& name, const std::string& yaml, std::string& value) {
  const std::string dir = std::string(FAULTLINE_BINARY_DIR).append("/test-output/scalar_lines");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << yaml;
  const YAML::Node doc = YAML::LoadFile(path);
  value = doc["text"].as<std::string>();
  return Diagnostics(path).pos_of(doc["text"]);
}

std::string at(const SourcePos& pos) {
  return std::to_string(pos.line) + ":" + std::to_string(pos.col);
}

}  // namespace

TEST_CASE("each line of a literal block is found on its own line", "[experiment][scalar_lines]") {
  std::string value;
  const SourcePos start = text_pos("block.yaml",
                                   "other: 1\n"
                                   "text: |\n"
                                   "  first line\n"
                                   "\n"
                                   "    indented third\n"
                                   "  fourth\n",
                                   value);
  REQUIRE(at(start) == "2:7");  // the `|`
  CHECK(at(position_of_line(start, value, 1)) == "3:3");
  CHECK(at(position_of_line(start, value, 3)) == "5:5");
  CHECK(at(position_of_line(start, value, 4)) == "6:3");
  // A blank line and a line that does not exist: the text's own position.
  CHECK(at(position_of_line(start, value, 2)) == "2:7");
  CHECK(at(position_of_line(start, value, 5)) == "2:7");
}

TEST_CASE("lines of a quoted text split by newline escapes are found on the same line",
          "[experiment][scalar_lines]") {
  std::string value;
  const SourcePos start = text_pos("quoted.yaml", "text: \"least_conn;\\nleastconn;\"\n", value);
  REQUIRE(value == "least_conn;\nleastconn;");
  CHECK(at(start) == "1:7");
  CHECK(at(position_of_line(start, value, 1)) == "1:8");
  CHECK(at(position_of_line(start, value, 2)) == "1:21");
}

TEST_CASE("a line that is not written verbatim falls back to the text's position",
          "[experiment][scalar_lines]") {
  std::string value;
  // Folded: the two lines are one in the value.
  const SourcePos folded = text_pos("folded.yaml",
                                    "text: >\n"
                                    "  balance\n"
                                    "  roundrobin\n",
                                    value);
  CHECK(at(position_of_line(folded, value, 1)) == "1:7");
  // An escape inside the line.
  const SourcePos escaped = text_pos("escaped.yaml", "text: \"a\\tb\\nc\"\n", value);
  CHECK(at(position_of_line(escaped, value, 1)) == "1:7");
  // ... and the lines after it, whose place depends on it.
  CHECK(at(position_of_line(escaped, value, 2)) == "1:7");
  // A file that cannot be read.
  const SourcePos gone{"/nonexistent/exp.yaml", 4, 9};
  CHECK(at(position_of_line(gone, "a\nb\n", 2)) == "4:9");
}

TEST_CASE("a line is not looked for further than the text can reach", "[experiment][scalar_lines]") {
  std::string value;
  // The second line is on the first, after the escape, though the same
  // words come again further down.
  const SourcePos start = text_pos("bounded.yaml",
                                   "text: \"x\\ntimeout 1s\"\n"
                                   "other: |\n"
                                   "  timeout 1s\n",
                                   value);
  CHECK(at(position_of_line(start, value, 2)) == "1:11");
  // A line that is not in the text is not taken from a key two lines down.
  const SourcePos other = text_pos("bounded2.yaml",
                                   "text: \"a\\nq\"\n"
                                   "other: 1\n"
                                   "zzz: 2\n",
                                   value);
  CHECK(at(position_of_line(other, "a\nzzz", 2)) == "1:7");
}
