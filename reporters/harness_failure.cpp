#include "reporters/harness_failure.h"

#include <fmt/format.h>

namespace faultline::reporters {

namespace {

using json = nlohmann::ordered_json;

std::string text_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::optional<double> number_of(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number()) {
    return j[key].get<double>();
  }
  return std::nullopt;
}

// The first line only: the journal's error carries the server's last log
// lines after it, which belong in the journal, not in a sentence.
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::optional<HarnessFailure> harness_failure(const json& journal) {
  const json* died = nullptr;
  if (journal.is_object() && journal.contains("service_events") && journal["service_events"].is_array()) {
    for (const auto& e : journal["service_events"]) {
      if (text_of(e, "event") == "died") {
        died = &e;
        break;
      }
    }
  }
  const bool has_failure =
      journal.is_object() && journal.contains("failure") && journal["failure"].is_object();
  if (!has_failure && died == nullptr) {
    return std::nullopt;
  }
  HarnessFailure f;
  if (has_failure) {
    const json& failure = journal["failure"];
    f.stage = text_of(failure, "stage");
    f.service = text_of(failure, "service");
    f.t = number_of(failure, "t");
  }
  if (died != nullptr) {
    if (f.service.empty()) {
      f.service = text_of(*died, "service");
    }
    if (!f.t) {
      f.t = number_of(*died, "t");
    }
    if (f.stage.empty()) {
      f.stage = "run";
    }
    f.headline = fmt::format("service {} died", text_of(*died, "service"));
    f.detail = first_line(text_of(*died, "text"));
  } else {
    f.headline = f.stage == "bring-up" ? "the stack could not be brought up" : "the harness failed";
    if (!f.service.empty()) {
      f.headline += fmt::format(" at service {}", f.service);
    }
    f.detail = first_line(text_of(journal, "error"));
  }
  return f;
}

std::string describe_harness_failure(const HarnessFailure& failure) {
  return fmt::format("a harness failure stopped the run{}: {}{}",
                     failure.t ? fmt::format(" at t+{:.1f} s", *failure.t) : std::string(), failure.headline,
                     failure.detail.empty() ? std::string() : fmt::format(" ({})", failure.detail));
}

std::string brief_harness_failure(const HarnessFailure& failure) {
  return fmt::format("a harness failure stopped the run{} ({})",
                     failure.t ? fmt::format(" at t+{:.1f} s", *failure.t) : std::string(), failure.headline);
}

std::string harness_failure_consequence(const HarnessFailure& failure) {
  return fmt::format(
      "The figures after {} are not the fault's effect, and the verdict is not a result of the experiment",
      failure.t ? fmt::format("t+{:.1f} s", *failure.t) : std::string("that moment"));
}

}  // namespace faultline::reporters
