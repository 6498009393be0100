#include "harness/stack/names.h"

#include <algorithm>

namespace faultline::stack {
namespace {

bool is_hex_lower(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string bridge_name(const std::string& run_id) {
  return "flbr-" + run_id;
}

std::string host_veth_name(const std::string& run_id, size_t index) {
  return "flv-" + run_id + "-" + std::to_string(index);
}

std::string netns_name(const std::string& run_id, const std::string& service) {
  return "fl-" + run_id + "-" + service;
}

bool is_run_id(const std::string& text) {
  return text.size() == kRunIdLength && std::all_of(text.begin(), text.end(), is_hex_lower);
}

std::optional<std::string> run_id_of_link(const std::string& link_name) {
  if (link_name.rfind("flbr-", 0) == 0) {
    auto id = link_name.substr(5);
    if (is_run_id(id)) {
      return id;
    }
    return std::nullopt;
  }
  if (link_name.rfind("flv-", 0) == 0 && link_name.size() > 4 + kRunIdLength + 1) {
    auto id = link_name.substr(4, kRunIdLength);
    if (is_run_id(id) && link_name[4 + kRunIdLength] == '-' &&
        is_digits(link_name.substr(4 + kRunIdLength + 1))) {
      return id;
    }
  }
  return std::nullopt;
}

std::optional<std::string> run_id_of_netns(const std::string& netns) {
  if (netns.rfind("fl-", 0) != 0 || netns.size() <= 3 + kRunIdLength + 1) {
    return std::nullopt;
  }
  auto id = netns.substr(3, kRunIdLength);
  if (!is_run_id(id) || netns[3 + kRunIdLength] != '-') {
    return std::nullopt;
  }
  return id;
}

}  // namespace faultline::stack
