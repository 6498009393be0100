#include "reporters/time_format.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "reporters/number_cast.h"

namespace faultline::reporters {

namespace {
// TZ is process-wide state; reports are rendered on one thread, but keep the
// swap atomic with respect to other renders anyway.
std::mutex tz_mutex;
}  // namespace

bool zone_is_known(const std::string& zone) {
  if (zone == "UTC" || zone == "GMT") {
    return true;
  }
  return !zone.empty() && zone.find("..") == std::string::npos &&
         std::filesystem::exists(std::filesystem::path("/usr/share/zoneinfo") / zone);
}

std::string format_in_zone(int64_t epoch_ms, const std::string& zone, const char* format) {
  std::lock_guard lock(tz_mutex);
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", zone_is_known(zone) ? zone.c_str() : "UTC", 1);
  tzset();
  const std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  std::array<char, 128> buf{};
  std::strftime(buf.data(), buf.size(), format, &tm);
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  return buf.data();
}

std::string human_duration(double seconds) {
  // 999.6 ms would print as "1000 ms": from there on it reads as seconds.
  if (seconds < 0.9995) {
    return fmt::format("{:.0f} ms", seconds * 1000);
  }
  if (seconds < 59.95) {
    return fmt::format("{:.1f} s", seconds);
  }
  const int64_t total = saturating_i64(std::round(seconds));
  if (total < 3600) {
    return fmt::format("{} min {:02d} s", total / 60, total % 60);
  }
  return fmt::format("{} h {:02d} min", total / 3600, (total % 3600) / 60);
}

}  // namespace faultline::reporters
