#include "reporters/harness_failure.h"

#include <fmt/format.h>

namespace faultline::reporters {

namespace {

// The first line only: the journal's error carries the server's last log
// lines after it, which belong in the journal, not in a sentence.
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

std::optional<HarnessFailure> harness_failure(const journal::Journal& journal) {
  const journal::ServiceEvent* died = nullptr;
  for (const auto& e : journal.service_events) {
    if (e.event == "died") {
      died = &e;
      break;
    }
  }
  if (!journal.failure && died == nullptr) {
    return std::nullopt;
  }
  HarnessFailure f;
  if (const auto& failure = journal.failure) {
    f.stage = failure->stage;
    f.service = failure->service.value_or("");
    f.t = failure->t;
  }
  if (died != nullptr) {
    if (f.service.empty()) {
      f.service = died->service;
    }
    if (!f.t) {
      f.t = died->t;
    }
    if (f.stage.empty()) {
      f.stage = "run";
    }
    f.headline = fmt::format("service {} died", died->service);
    f.detail = first_line(died->text);
  } else {
    f.headline = f.stage == "bring-up" ? "the stack could not be brought up" : "the harness failed";
    if (!f.service.empty()) {
      f.headline += fmt::format(" at service {}", f.service);
    }
    f.detail = first_line(journal.error.value_or(""));
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
