#include "harness/runner/nginx_upstream_log.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

namespace faultline::runner {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) {
      ++i;
    }
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
      ++i;
    }
    if (i > start) {
      out.push_back(line.substr(start, i - start));
    }
  }
  return out;
}

// "1712345678.123" -> 1712345678123; nginx prints $msec with three
// decimals, and fewer are read as what they say.
std::optional<int64_t> msec_of(std::string_view text) {
  const size_t dot = text.find('.');
  const std::string_view secs = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  // Twelve digits of seconds reach beyond the year 33000; more would only
  // overflow.
  if (!all_digits(secs) || secs.size() > 12 || (dot != std::string_view::npos && !all_digits(frac)) ||
      frac.size() > 3) {
    return std::nullopt;
  }
  int64_t ms = std::stoll(std::string(secs)) * 1000;
  int64_t scale = 100;
  for (const char c : frac) {
    ms += (c - '0') * scale;
    scale /= 10;
  }
  return ms;
}

}  // namespace

std::optional<UpstreamLogLine> parse_upstream_log_line(std::string_view line) {
  const auto w = words(line);
  if (w.size() < 3) {
    return std::nullopt;
  }
  const auto ms = msec_of(w.front());
  const std::string_view status = w.back();
  if (!ms || status.size() != 3 || !all_digits(status)) {
    return std::nullopt;
  }
  // The addresses between are separated by ", " (tries in one upstream
  // group) or " : " (an internal redirect to another): the last word is the
  // last try.
  std::string_view last = w[w.size() - 2];
  if (!last.empty() && last.back() == ',') {
    last.remove_suffix(1);
  }
  if (last.empty() || last == ":") {
    return std::nullopt;
  }
  UpstreamLogLine out;
  out.wall_ms = *ms;
  // "-": no server was tried. A word without a port is the upstream
  // group's name, which nginx writes once no live server was left to try.
  out.upstream = last == "-" || last.find(':') == std::string_view::npos ? std::string() : std::string(last);
  out.status = std::stoi(std::string(status));
  return out;
}

std::string answering_upstream(const UpstreamLogLine& line) {
  if (line.status == 499 || line.status == 502 || line.status == 504) {
    return {};
  }
  return line.upstream;
}

LogTail::LogTail(std::string path, bool from_end) : path_(std::move(path)) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_, ec);
  offset_ = from_end && !ec ? size : 0;
}

std::vector<std::string> LogTail::read_lines() {
  std::vector<std::string> lines;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path_, ec);
  if (ec) {
    return lines;  // not written yet, or gone
  }
  if (size < offset_) {
    offset_ = 0;
    partial_.clear();
  }
  if (size == offset_) {
    return lines;
  }
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(size - offset_, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  offset_ += chunk.size();
  partial_ += chunk;
  size_t start = 0;
  for (size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n', start)) {
    lines.push_back(partial_.substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  return lines;
}

NginxUpstreamLog::NginxUpstreamLog(const std::string& service, const std::string& path,
                                   const stack::Plan& plan, const RunClock& clock, Duration interval)
    : ShareSource("nginx-access-log",
                  fmt::format("nginx's access log on {} (the last server of each request's $upstream_addr "
                              "answered it, none when nginx answered 499, 502 or 504 itself), read every "
                              "{}, each request counted at its log line's time",
                              service, format_duration(interval)),
                  interval),
      // Lines already there are the bring-up's readiness probes.
      tail_(path, true),
      plan_(plan),
      wall_minus_run_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() -
                         clock.now_ns()),
      poller_(interval) {
  poller_.start([this] { poll(); });
}

NginxUpstreamLog::~NginxUpstreamLog() {
  stop();
}

void NginxUpstreamLog::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  poller_.stop();
  // The lines written since the last read carry their own times, which
  // may fall in the load's last window.
  poll();
}

void NginxUpstreamLog::poll() {
  // Requests ending in the same millisecond at the same server are one
  // count: $msec has no finer grain.
  std::map<std::pair<int64_t, std::string>, uint64_t> answered;
  for (const auto& text : tail_.read_lines()) {
    const auto line = parse_upstream_log_line(text);
    if (!line) {
      continue;
    }
    const std::string upstream = answering_upstream(*line);
    if (upstream.empty()) {
      continue;  // no server answered: the samples count that request
    }
    const std::string service = service_at(plan_, host_of(upstream));
    if (service.empty()) {
      unknown_.insert(upstream);
    }
    ++answered[{line->wall_ms * 1'000'000 - wall_minus_run_ns_, service}];
  }
  std::vector<verify::BackendCount> fresh;
  for (auto& [key, requests] : answered) {
    fresh.push_back({key.first, key.second, requests});
  }
  add(std::move(fresh), unknown_);
}

}  // namespace faultline::runner
