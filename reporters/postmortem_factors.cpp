// Contributing factors: why the stack could not absorb the fault. Each one
// pairs what the stack was configured with (said as configured) with what
// the run measured, so a reader can tell a setting from an observation.
// And what would restore a service that never recovered.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

// Faults that make a server slow rather than wrong: a balancer without
// outlier detection keeps sending it its share.
bool slows_a_server(const std::string& fault) {
  static const std::set<std::string> slow = {"latency",      "pause",     "cpu_limit", "http_delay",
                                             "memory_limit", "bandwidth", "loss"};
  return slow.count(fault) != 0;
}

const ShareMove* move_of(const ImpactFigures& figures, const std::string& backend) {
  for (const auto& m : figures.moves) {
    if (m.backend == backend) {
      return &m;
    }
  }
  return nullptr;
}

std::string kept_share(const ImpactFigures& figures, const std::string& backend) {
  const ShareMove* m = move_of(figures, backend);
  if (m == nullptr) {
    return {};
  }
  // A server nothing reached (a wrong address, a dead process) did not
  // "answer 0%": its requests failed at the load balancer.
  if (m->answered && m->during < 0.005) {
    return fmt::format(
        "the requests meant for it kept failing: no backend answered {} of the requests while the "
        "fault was in force (measured)",
        pct(m->unanswered));
  }
  return fmt::format(
      "it still {} {} of the requests while the fault was in force, against {} in the baseline "
      "(measured)",
      m->answered ? "answered" : "received", pct(m->during), pct(m->before));
}

// The share of the requests a weight change gives a server, from the
// fault's parameters and the pool's size (configured, not measured): nullopt
// for other faults.
std::optional<double> configured_share(const Run& run, const journal::Service& lb,
                                       const std::string& backend) {
  const size_t pool = lb.backends.size();
  for (const auto* f : run.injected) {
    // The step's params as written: free-form, read as JSON.
    const json& params = f->activity->params;
    if (f->activity->name == "lb_weight" && str(params, "server") == backend && has_num(params, "weight") &&
        pool > 0) {
      const double w = num(params, "weight");
      const double others = has_num(params, "others") ? num(params, "others") : 1.0;
      const double total = w + others * double(pool - 1);
      if (total > 0) {
        return w / total;
      }
    }
  }
  return std::nullopt;
}

std::string lb_word(const journal::Service& lb) {
  return lb.kind == "nginx" ? "nginx" : "HAProxy";
}

// A setting the journal states as zero (or less): `maxconn: 0`, `retries: 0`.
bool configured_none(const std::optional<int64_t>& setting) {
  return setting && *setting <= 0;
}

}  // namespace

bool in_list(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

std::vector<std::string> hit_backends(const Run& run, const journal::Service& lb) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (in_list(lb.backends, name) && !in_list(out, name)) {
      out.push_back(name);
    }
  };
  for (const auto* f : run.injected) {
    add(f->activity->target);
    add(str(f->activity->params, "server"));
  }
  for (const auto& e : run.j.service_events) {
    if (e.event != "died") {
      add(e.service);
    }
  }
  return out;
}

std::optional<double> marked_down_at(const Run& run, const std::string& server, Span span) {
  for (const auto& e : run.j.lb_events) {
    const bool within = span == Span::run || (e.t >= run.inc_start && e.t <= run.inc_end);
    if (e.server == server && e.to == "DOWN" && within) {
      return e.t;
    }
  }
  return std::nullopt;
}

const journal::ServiceEvent* crash_of(const Run& run, const std::string& service) {
  for (const auto& e : run.j.service_events) {
    if (e.service == service && e.event != "died") {
      return &e;
    }
  }
  return nullptr;
}

const journal::Service& target_service(const Run& run) {
  return service_named(run, run.load.target);
}

const journal::Service& service_named(const Run& run, const std::string& name) {
  for (const auto& s : run.j.stack.services) {
    if (s.name == name) {
      return s;
    }
  }
  static const journal::Service none;
  return none;
}

std::vector<std::string> contributing_factors(const Run& run, const ImpactFigures& figures) {
  std::vector<std::string> out;
  const journal::Service& lb = target_service(run);
  if (!run.fault_ran || lb.backends.empty()) {
    return out;
  }
  const std::string& lb_name = lb.name;
  bool any_slow = false;
  for (const auto* f : run.injected) {
    any_slow = any_slow || slows_a_server(f->activity->name);
  }
  const bool health_check = lb.health_check;
  // A load balancer run from the team's own file: its balancing, checks,
  // limits and retries are the file's, which the journal does not hold,
  // so no factor says what was configured; measured ones stand.
  const bool own_config = lb.config.has_value();
  const double rate = run.load.rate;
  const auto named = hit_backends(run, lb);
  auto hit = named;
  // A backend the fault did not name but that took a share it had not
  // (a balancing change sending everything to one server) was hit too.
  if (figures.skew && figures.skew->moved() > 0 &&
      std::find(hit.begin(), hit.end(), figures.skew->backend) == hit.end()) {
    hit.push_back(figures.skew->backend);
  }
  for (const auto& backend : hit) {
    const journal::ServiceEvent* crash = crash_of(run, backend);
    const journal::Service& svc = service_named(run, backend);
    const journal::Capacity cap = svc.capacity.value_or(journal::Capacity{});
    // Overload: more than the server can serve, both as configured.
    if (cap.workers && cap.service_time_ms && *cap.service_time_ms > 0) {
      const double workers = double(*cap.workers);
      const double capacity = workers * 1000.0 / *cap.service_time_ms;
      const auto share = configured_share(run, lb, backend);
      const double offered = share ? *share * rate : 0;
      const ShareMove* moved = move_of(figures, backend);
      if (share && offered > capacity) {
        out.push_back(
            fmt::format("{} can serve about {:.0f} requests/s (configured: {} workers of {} each); the "
                        "change gave it {} of "
                        "the weight, about {:.0f} of the {:g} requests/s the load offered (both configured).",
                        backend, capacity, workers, ms(*cap.service_time_ms), pct(*share), offered, rate));
      } else if (!share && moved != nullptr && moved->moved() >= kShareMoved &&
                 moved->during * rate > capacity) {
        // No weight says how much it was given: what it received says it.
        out.push_back(fmt::format(
            "{} can serve about {:.0f} requests/s (configured: {} workers of {} each); it {} {} of the "
            "requests "
            "while the fault was in force (measured), about {:.0f} of the {:g} requests/s the load offered.",
            backend, capacity, workers, ms(*cap.service_time_ms), moved->answered ? "answered" : "received",
            pct(moved->during), moved->during * rate, rate));
      }
    }
    if (crash != nullptr && cap.crash_on_overflow) {
      out.push_back(fmt::format(
          "{} exits when its queue of {} requests overflows (configured `on_overflow: crash`), and nothing "
          "restarted it: it crashed at {} ({}) and stayed down for the rest of the run (measured).",
          backend, cap.queue > 0 ? uint64_t(cap.queue) : 0, run.clock.at(crash->t), offset(crash->t)));
    }
    // A slow server: the balancing, then the missing limit, come first; a
    // health check would not have taken out a server that still answers.
    if (any_slow && crash == nullptr && !own_config) {
      const std::string& balance = lb.balance;
      if (balance != "leastconn" && balance != "least_conn" && !balance.empty()) {
        out.push_back(
            fmt::format("`balance: {}` (configured) keeps sending {} its turn however slowly it answers: {} "
                        "has no outlier "
                        "detection here to steer requests away from a slow server.",
                        balance, backend, lb_word(lb)));
      }
      if (configured_none(lb.maxconn)) {
        out.push_back(fmt::format(
            "No per-server connection limit (`maxconn`, configured none): requests piled up on the slow {} "
            "instead of waiting in {}'s queue or going to another server.",
            backend, lb_name));
      }
    }
    const ShareMove* m = move_of(figures, backend);
    const std::string after =
        crash != nullptr
            ? fmt::format(
                  ": {} kept sending it requests after it crashed{}", lb_name,
                  m != nullptr && m->answered
                      ? fmt::format(", and no backend answered {} of the requests while the fault was in "
                                    "force (measured)",
                                    pct(m->unanswered))
                      : std::string(" (measured)"))
        : kept_share(figures, backend).empty() ? std::string()
                                               : ": " + kept_share(figures, backend);
    const std::optional<double> down_at = marked_down_at(run, backend);
    if ((health_check || own_config) && down_at && (crash != nullptr || figures.failed > 0)) {
      const double interval = lb.health_check_interval_s.value_or(0);
      const double fall = double(lb.health_check_fall.value_or(0));
      out.push_back(fmt::format(
          "{}'s health check took {} out only {} after the fault{}; requests sent to it until then failed "
          "(measured).",
          lb_name, backend, human_duration(*down_at - run.inc_start),
          interval > 0 && fall > 0 && !own_config
              ? fmt::format(" (configured: a check every {}, down after {:g} failures in a row)",
                            human_duration(interval), fall)
              : std::string()));
    }
    // Only for a server the fault named or that crashed: one that merely
    // took more of the traffic was not failing, and taking it out would
    // move the overload to the next.
    const bool failing = std::find(named.begin(), named.end(), backend) != named.end();
    if (!failing || own_config) {
      continue;
    }
    if (!health_check) {
      out.push_back(fmt::format(
          "No health check was configured on {} ({}), so nothing could take {} out of the pool{}.", lb_name,
          // What "no health check" is on each kind, as faultline renders it.
          lb.kind == "nginx" ? "configured: `max_fails=0`, so nginx never counts a server's failures"
                             : "configured: no `check` on the server lines",
          backend, after));
    } else if (!marked_down_at(run, backend).has_value() && (crash != nullptr || figures.failed > 0)) {
      out.push_back(
          fmt::format("{} health-checks its servers (configured), but it never marked {} down during "
                      "the incident (measured){}.",
                      lb_name, backend, after));
    }
  }
  if (figures.failed > 0 && configured_none(lb.retries) && !own_config) {
    out.push_back(
        fmt::format("No retries were configured on {} (`retries: 0`, configured): a request that "
                    "failed on one server was not tried on another ({} failed, measured).",
                    lb_name, figures.failed));
  }
  return out;
}

std::string restore_advice(const Run& run) {
  // Only a run that went on to its end can show that a service did not
  // come back; one stopped early (an abort, a signal) was not meant to.
  if (!run.breached || run.analysis.recovered_s ||
      (run.outcome != Outcome::incident && run.outcome != Outcome::regression) || run.harness) {
    return {};
  }
  if (!run.recovery_observable) {
    return fmt::format(
        "Whether it recovers is unknown: run the experiment again with the load going on at least {} after "
        "the "
        "last revert.",
        human_duration(run.tail_needed_s));
  }
  std::vector<std::string> crashed;
  for (const auto& e : run.j.service_events) {
    if (e.event != "died") {
      crashed.push_back(e.service);
    }
  }
  std::vector<std::string> reverted;
  for (const auto* f : run.injected) {
    reverted.push_back(fmt::format("`{}`", f->activity->name));
  }
  if (!crashed.empty()) {
    return fmt::format(
        "{} stayed down after crashing: restart {}; reverting {} alone does not bring {} back.",
        joined(crashed), crashed.size() == 1 ? "it" : "them", joined(reverted),
        crashed.size() == 1 ? "it" : "them");
  }
  // A server the load balancer still held down at the end.
  std::map<std::string, std::string> last_state;
  for (const auto& e : run.j.lb_events) {
    last_state[e.server] = e.to;
  }
  std::vector<std::string> down;
  for (const auto& [server, state] : last_state) {
    if (state == "DOWN") {
      down.push_back(server);
    }
  }
  if (!down.empty()) {
    return fmt::format(
        "The load balancer still had {} marked DOWN when the load stopped: bring {} back until "
        "its health check passes; reverting {} alone did not.",
        joined(down), down.size() == 1 ? "it" : "them", joined(reverted));
  }
  return fmt::format(
      "Reverting {} did not restore the SLOs before the load stopped: look at the servers' state "
      "and their logs (Supporting Information) for what the fault left behind.",
      joined(reverted));
}

std::vector<std::string> scripted_notes(const Run& run) {
  std::vector<std::string> out;
  for (const auto& note : run.j.notes) {
    if (note.source == "method") {
      std::string text = note.text;
      std::transform(text.begin(), text.end(), text.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.push_back(text);
    }
  }
  return out;
}

}  // namespace faultline::reporters::postmortem
