// What the reporter tests share: journals from tests/data, rendering one
// through the registry as `faultline report` does, and looking into the text.

#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "reporters/reporter.h"

namespace faultline::reporters::testing {

using json = nlohmann::ordered_json;

// tests/data/journals/<path>, e.g. "weight_skew.json" or
// "outcomes/incident.json".
inline json journal_at(const std::string& path) {
  std::ifstream in(std::string(FAULTLINE_TEST_DATA) + "/journals/" + path);
  REQUIRE(in.good());
  return json::parse(in);
}

// The journal rendered by the reporter registered as `format` ("md",
// "html", "junit").
inline std::string render_as(const std::string& format, const json& j) {
  const auto* r = ReporterRegistry::instance().find(format);
  REQUIRE(r != nullptr);
  return r->render(j, "");
}

inline std::string render_md(const json& j) {
  return render_as("md", j);
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The text of one "## Section" of a Markdown report, up to the next "## ".
inline std::string section(const std::string& md, const std::string& title) {
  const size_t at = md.find("## " + title + "\n");
  REQUIRE(at != std::string::npos);
  const size_t end = md.find("\n## ", at + 3);
  return md.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace faultline::reporters::testing
