// What users saw during the incident (failures, slow responses, the error
// kinds) and how the traffic split between the backends, phase by phase.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

// Requests of a phase that no backend answered (the load balancer's own
// error, a refused or timed-out connection: the error kinds say which).
constexpr const char* kNoBackend = "(no backend)";

// Each backend's share of a phase's requests. The denominator is every
// request, so a backend sent traffic it never answered does not look
// idle; what no backend answered is under kNoBackend.
std::map<std::string, double> phase_shares(const journal::Phase& phase) {
  uint64_t answered = 0;
  for (const auto& [name, n] : phase.backends) {
    answered = saturating_add(answered, n);
  }
  const uint64_t requests = std::max<uint64_t>(answered, phase.requests);
  std::map<std::string, double> out;
  if (requests == 0) {
    return out;
  }
  for (const auto& [name, n] : phase.backends) {
    out[name] = double(n) / double(requests);
  }
  if (requests > answered) {
    out[kNoBackend] = double(requests - answered) / double(requests);
  }
  return out;
}

// Every backend's largest move from the baseline over the fault phases (up
// for a weight skew, down for a server taken out or broken), largest first.
std::vector<ShareMove> share_moves(const Run& run) {
  std::map<std::string, double> baseline_shares;
  for (const auto& p : run.phases) {
    if (p.kind == "baseline") {
      baseline_shares = phase_shares(p);
    }
  }
  std::map<std::string, ShareMove> largest;
  for (const auto& p : run.phases) {
    if (p.kind != "fault" || baseline_shares.empty() || p.requests == 0) {
      continue;
    }
    const auto shares = phase_shares(p);
    const auto unanswered = shares.find(kNoBackend);
    for (const auto& [name, before] : baseline_shares) {
      if (name == kNoBackend || name == "(unknown)") {
        continue;
      }
      const auto it = shares.find(name);
      ShareMove m{name, before, it == shares.end() ? 0.0 : it->second, unanswered != shares.end(),
                  unanswered == shares.end() ? 0.0 : unanswered->second};
      auto& best = largest[name];
      if (best.backend.empty() || std::abs(m.moved()) > std::abs(best.moved())) {
        best = m;
      }
    }
  }
  std::vector<ShareMove> out;
  for (const auto& [name, m] : largest) {
    out.push_back(m);
  }
  std::stable_sort(out.begin(), out.end(), [](const ShareMove& a, const ShareMove& b) {
    return std::abs(a.moved()) > std::abs(b.moved());
  });
  return out;
}

std::string duration_basis(const Run& run) {
  if (!run.fault_ran) {
    return "the whole run; no fault was injected";
  }
  if (run.analysis.recovered_s) {
    return "from the first fault injected until every objective was seen holding again after the last revert";
  }
  if (run.analysis.first_breach_s) {
    return fmt::format("from the first fault injected to the end of the load: {}", not_recovered_phrase(run));
  }
  return "from the first fault injected to the last revert; no SLO was breached";
}

}  // namespace

std::string ImpactFigures::skew_clause() const {
  if (!skew) {
    return {};
  }
  const ShareMove& m = *skew;
  // "received" only when every request reached a backend: otherwise the
  // share a backend answered is all the client can know.
  return m.answered ? fmt::format(
                          "{} answered {} of the requests while the fault was in force, against {} in "
                          "the baseline (no backend answered {} of them)",
                          m.backend, pct(m.during), pct(m.before), pct(m.unanswered))
                    : fmt::format(
                          "{} received {} of the requests while the fault was in force, against {} in "
                          "the baseline",
                          m.backend, pct(m.during), pct(m.before));
}

ImpactFigures add_impact(const Run& run, json& view) {
  const Clock& clock = run.clock;
  const auto& impact = run.impact;
  const bool same_day = clock.date(run.inc_start) == clock.date(run.inc_end);
  view["duration"] = fmt::format("{} to {}, {}", clock.full(run.inc_start),
                                 clock.at(run.inc_end, same_day ? "%H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S %Z"),
                                 human_duration(run.inc_end - run.inc_start));
  view["duration_basis"] = duration_basis(run);

  ImpactFigures figures;
  for (const auto& p : run.phases) {
    if (p.kind == "baseline" && p.p99_ms && p.requests > 0) {
      figures.baseline_p99 = *p.p99_ms;
    }
  }
  figures.requests = impact.requests.value_or(0);
  figures.failed = impact.failed.value_or(0);
  figures.slow = impact.slow;
  figures.latency_objective_ms = impact.latency_objective_ms.value_or(-1);
  figures.users_seen = impact.users_seen.value_or(0);
  figures.users_affected = impact.users_affected.value_or(0);
  figures.kinds = error_kinds(impact.statuses, impact.transport_errors);
  figures.peak_p99 = impact.peak_p99_ms.value_or(0);
  figures.moves = share_moves(run);
  if (!figures.moves.empty() && std::abs(figures.moves.front().moved()) >= kShareMoved) {
    figures.skew = figures.moves.front();
  }

  std::vector<std::string> lines;
  if (figures.requests > 0) {
    lines.push_back(fmt::format("{} of requests failed ({} of {}) between {} and {}.",
                                pct(impact.failed_share.value_or(0)), figures.failed, figures.requests,
                                clock.at(run.inc_start), clock.at(run.inc_end)));
    const bool has_latency_objective = figures.latency_objective_ms >= 0;
    const std::string slow_part =
        has_latency_objective ? fmt::format(" or a response slower than {}", ms(figures.latency_objective_ms))
                              : std::string();
    if (figures.users_seen > 0) {
      lines.push_back(
          fmt::format("{} of the {} simulated users who sent a request in that time got at least "
                      "one error{} ({}).",
                      figures.users_affected, figures.users_seen, slow_part,
                      pct(double(figures.users_affected) / double(figures.users_seen))));
    }
    if (!figures.kinds.empty()) {
      lines.push_back("Users saw " + joined(kind_phrases(figures.kinds)) + ".");
    }
    if (has_latency_objective && figures.slow > 0) {
      lines.push_back(fmt::format("{} responses took longer than the {} objective.", figures.slow,
                                  ms(figures.latency_objective_ms)));
    }
    lines.push_back(figures.baseline_p99 >= 0
                        ? fmt::format("p99 latency peaked at {} in one window, against {} in the baseline.",
                                      ms(figures.peak_p99), ms(figures.baseline_p99))
                        : fmt::format("p99 latency peaked at {} in one window.", ms(figures.peak_p99)));
    // Statuses below 500 are not failures to the SLOs, but users still got
    // them (a rate limit answers 429), so they belong in the impact.
    std::vector<std::string> refused;
    for (const auto& [code, n] : impact.statuses) {
      const int c = std::atoi(code.c_str());
      if (c >= 400 && c < 500 && n > 0) {
        refused.push_back(kind_phrase(code, n));
      }
    }
    if (!refused.empty()) {
      lines.push_back(
          fmt::format("A further {} reached users; the SLOs do not count 4xx as failures.", joined(refused)));
    }
  }
  if (figures.skew) {
    lines.push_back(figures.skew_clause() + ".");
  }
  if (lines.empty()) {
    lines.push_back(run.outcome == Outcome::steady_state_failed
                        ? "No fault was injected, so there was no incident to measure."
                        : "No requests were measured during the incident window.");
  }
  view["impact"] = lines;
  return figures;
}

std::optional<std::string> shares_basis_sentence(const journal::Journal& j) {
  if (!j.shares_basis || j.shares_basis->source == "response-header") {
    return std::nullopt;
  }
  const auto& basis = *j.shares_basis;
  std::string text =
      fmt::format("The backend shares are counted from {}, not from a response header.", basis.detail);
  if (!basis.unknown_servers.empty()) {
    text += fmt::format(" What {} answered counts as unknown: no service of the stack is at {}.",
                        joined(basis.unknown_servers),
                        basis.unknown_servers.size() == 1 ? "its address" : "their addresses");
  }
  return text;
}

json phase_rows(const Run& run) {
  // The load target's backends in the order the stack lists them, so that
  // every phase's table has the same rows.
  std::vector<std::string> backends;
  for (const auto& s : run.j.stack.services) {
    if (s.name == run.load.target) {
      backends.insert(backends.end(), s.backends.begin(), s.backends.end());
    }
  }
  json rows_out = json::array();
  for (const auto& p : run.phases) {
    const auto phase = phase_shares(p);
    std::vector<std::string> rows = backends;
    if (phase.count(kNoBackend) != 0) {
      rows.push_back(kNoBackend);
    }
    json shares = json::array();
    // A phase nobody sent a request in has no shares to show: 0% for
    // every backend would read as "none of them was used".
    if (p.requests == 0) {
      rows.clear();
    }
    for (const auto& name : rows) {
      const auto it = phase.find(name);
      const double share = it == phase.end() ? 0.0 : it->second;
      // A bar of full blocks, one per 2.5% of traffic (a share is at most 1).
      const int64_t width = std::min<int64_t>(40, saturating_i64(std::round(share * 40)));
      std::string bar;
      for (int64_t i = 0; i < width; ++i) {
        bar += "\u2588";
      }
      shares.push_back({{"backend", name}, {"share", pct(share)}, {"bar", bar}});
    }
    // Per request of the mix (journals with one kind of request have none).
    json by_request = json::array();
    for (const auto& r : p.requests_by_name) {
      by_request.push_back({{"name", r.name},
                            {"requests", r.requests},
                            {"errors", r.errors},
                            {"p99", r.p99_ms ? ms(*r.p99_ms) : std::string("–")}});
    }
    rows_out.push_back({
        {"by_request", by_request},
        {"has_by_request", !by_request.empty()},
        {"name", p.name},
        {"from", run.clock.at(p.start_s)},
        {"to", run.clock.at(p.end_s)},
        {"requests", p.requests},
        {"error_rate", pct(p.error_rate)},
        {"p50", ms(p.p50_ms)},
        {"p99", ms(p.p99_ms.value_or(0))},
        {"shares", shares},
        {"no_requests", shares.empty()},
    });
  }
  return rows_out;
}

}  // namespace faultline::reporters::postmortem
