#include "harness/common/verdict_rule.h"

#include <array>
#include <utility>

namespace faultline {

namespace {

constexpr std::array<std::pair<RunOutcome, std::string_view>, 9> kNames{{
    {RunOutcome::passed, "passed"},
    {RunOutcome::regression, "regression"},
    {RunOutcome::incident, "incident"},
    {RunOutcome::not_reproduced, "not_reproduced"},
    {RunOutcome::not_proven, "not_proven"},
    {RunOutcome::steady_state_failed, "steady_state_failed"},
    {RunOutcome::aborted, "aborted"},
    {RunOutcome::interrupted, "interrupted"},
    {RunOutcome::failed, "failed"},
}};

}  // namespace

RunOutcome decide_outcome(const VerdictFacts& facts) {
  // A run that did not complete states no verdict about the system: its
  // own status says why.
  if (facts.status == "not_proven") {
    return RunOutcome::not_proven;
  }
  if (facts.status == "steady_state_failed") {
    return RunOutcome::steady_state_failed;
  }
  if (facts.status == "aborted") {
    return RunOutcome::aborted;
  }
  if (facts.status == "interrupted") {
    return RunOutcome::interrupted;
  }
  if (facts.status != "completed") {
    return RunOutcome::failed;
  }
  if (facts.expect_hold) {
    return facts.breached_any ? RunOutcome::regression : RunOutcome::passed;
  }
  return facts.breached_after_fault ? RunOutcome::incident : RunOutcome::not_reproduced;
}

bool expectation_met(RunOutcome outcome) {
  return outcome == RunOutcome::passed || outcome == RunOutcome::incident;
}

int exit_code(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::passed:
    case RunOutcome::incident:
      return 0;
    case RunOutcome::regression:
    case RunOutcome::not_reproduced:
      return 1;
    case RunOutcome::not_proven:
    case RunOutcome::failed:
      return 3;
    case RunOutcome::steady_state_failed:
      return 4;
    case RunOutcome::aborted:
      return 5;
    case RunOutcome::interrupted:
      return 130;
  }
  return 3;
}

std::string_view verdict_headline(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::incident:
      return "Incident reproduced: the SLOs were breached once the fault was in force, as the drill "
             "expected (expect: breach).";
    case RunOutcome::not_reproduced:
      return "Incident not reproduced: no SLO was breached once the fault was in force, although the "
             "drill expected it (expect: breach).";
    case RunOutcome::passed:
      return "Regression test passed: no breach (none expected) with the fault in force (expect: hold).";
    case RunOutcome::regression:
      return "Regression test failed: the SLOs were breached although they were expected to hold "
             "(expect: hold).";
    case RunOutcome::not_proven:
      return "No verdict: the run proves nothing, because a fault did not apply or revert or the load "
             "was not delivered.";
    case RunOutcome::steady_state_failed:
      return "No verdict: the stack missed its SLOs before any fault (steady-state gate), so nothing "
             "was injected.";
    case RunOutcome::aborted:
      return "Inconclusive: the experiment's abort condition stopped the run before its timeline "
             "finished.";
    case RunOutcome::interrupted:
      return "Inconclusive: a signal stopped the run before its timeline finished.";
    case RunOutcome::failed:
      break;
  }
  return "No verdict: the harness failed (a server would not start, or died), so the outcome is not "
         "the experiment's.";
}

std::string_view to_string(RunOutcome outcome) {
  for (const auto& [o, name] : kNames) {
    if (o == outcome) {
      return name;
    }
  }
  return "failed";
}

bool parse_outcome(std::string_view text, RunOutcome& out) {
  for (const auto& [o, name] : kNames) {
    if (name == text) {
      out = o;
      return true;
    }
  }
  return false;
}

}  // namespace faultline
