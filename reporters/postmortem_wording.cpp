// Phrases the sections of the postmortem share: error kinds as a reader
// would say them, lists, plurals, and times of the run.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "reporters/postmortem_parts.h"
#include "reporters/time_format.h"

namespace faultline::reporters::postmortem {

namespace {

// Readers of a postmortem know "502 Bad Gateway" better than a bare code.
std::string reason(int code) {
  switch (code) {
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return {};
  }
}

// Transport error classes from the load generator, as a reader would say them.
std::string transport_phrase(const std::string& kind, uint64_t n) {
  if (kind == "response_timeout") {
    return plural(n, "response timeout", "response timeouts");
  }
  if (kind == "connect_timeout") {
    return plural(n, "connection timeout", "connection timeouts");
  }
  if (kind == "connect_refused") {
    return plural(n, "refused connection", "refused connections");
  }
  if (kind == "reset") {
    return plural(n, "connection reset", "connection resets");
  }
  if (kind == "tls") {
    return plural(n, "failed TLS handshake", "failed TLS handshakes");
  }
  return plural(n, "other transport error", "other transport errors");
}

}  // namespace

std::string capitalised(std::string s) {
  if (!s.empty()) {
    s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  }
  return s;
}

std::string sentence_case_off(std::string s) {
  if (s.size() >= 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
      std::islower(static_cast<unsigned char>(s[1]))) {
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  }
  return s;
}

std::string joined(const std::vector<std::string>& parts, const char* last_sep) {
  if (parts.empty()) {
    return {};
  }
  if (parts.size() == 1) {
    return parts[0];
  }
  std::vector<std::string> head(parts.begin(), parts.end() - 1);
  return fmt::format("{}{}{}", fmt::join(head, ", "), last_sep, parts.back());
}

std::string plural(uint64_t n, const std::string& one, const std::string& many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string offset(double t) {
  return fmt::format("t+{:.1f} s", t);
}

// The kind alone, for "all of them HTTP 503 (Service Unavailable)".
std::string kind_name(const std::string& kind) {
  if (!kind.empty() && std::isdigit(static_cast<unsigned char>(kind[0]))) {
    const std::string why = reason(std::atoi(kind.c_str()));
    return fmt::format("HTTP {}{}", kind, why.empty() ? "" : " " + why);
  }
  const std::string many = transport_phrase(kind, 2);
  return many.substr(many.find(' ') + 1);
}

// Both kinds read as a count of things users got.
std::string kind_phrase(const std::string& kind, uint64_t n) {
  if (!kind.empty() && std::isdigit(static_cast<unsigned char>(kind[0]))) {
    const std::string why = reason(std::atoi(kind.c_str()));
    return fmt::format("{} HTTP {}{} {}", n, kind, why.empty() ? "" : " (" + why + ")",
                       n == 1 ? "response" : "responses");
  }
  return transport_phrase(kind, n);
}

std::vector<std::string> kind_phrases(const std::vector<std::pair<std::string, uint64_t>>& kinds) {
  std::vector<std::string> out;
  for (const auto& [kind, n] : kinds) {
    out.push_back(kind_phrase(kind, n));
  }
  return out;
}

std::vector<std::pair<std::string, uint64_t>> error_kinds(const journal::Counts& statuses,
                                                          const journal::Counts& transport) {
  std::vector<std::pair<std::string, uint64_t>> kinds;
  for (const auto& [code, n] : statuses) {
    if (std::atoi(code.c_str()) >= 500 && n > 0) {
      kinds.emplace_back(code, n);
    }
  }
  for (const auto& [cls, n] : transport) {
    if (n > 0) {
      kinds.emplace_back(cls, n);
    }
  }
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return kinds;
}

std::string Clock::at(double t, const char* format) const {
  // Saturated: a huge or NaN time from the journal prints as some date,
  // never as undefined behaviour.
  return format_in_zone(saturating_add(start_epoch_ms, saturating_i64(std::round(t * 1000))), zone, format);
}

std::string fault_label(const Fault& f, size_t total) {
  return total > 1 ? fmt::format("fault {}", f.number) : std::string("the fault");
}

std::string fault_title(const Fault& f, size_t total) {
  return total > 1 ? fmt::format("Fault {}", f.number) : std::string("Fault");
}

}  // namespace faultline::reporters::postmortem
