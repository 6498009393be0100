#pragma once

#include <optional>
#include <string>

// The names a run gives to what it creates. Every name carries the run id, so
// a run's resources can be found (and only those) when it must be cleaned up
// after a crash. Link names must fit IFNAMSIZ (15 characters).
namespace faultline::stack {

inline constexpr size_t kMaxLinkName = 15;
inline constexpr size_t kRunIdLength = 6;

std::string bridge_name(const std::string& run_id);                             // flbr-<id>
std::string host_veth_name(const std::string& run_id, size_t index);            // flv-<id>-<n>
std::string netns_name(const std::string& run_id, const std::string& service);  // fl-<id>-<service>

bool is_run_id(const std::string& text);

// The run id a resource name belongs to when it matches exactly one of the
// patterns above; nullopt for anything else (it is never ours to touch).
std::optional<std::string> run_id_of_link(const std::string& link_name);
std::optional<std::string> run_id_of_netns(const std::string& netns);

}  // namespace faultline::stack
