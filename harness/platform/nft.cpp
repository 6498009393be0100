#include "harness/platform/nft.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>

#include "harness/platform/command.h"

namespace faultline::platform {

std::string nft_address_set(const std::vector<std::string>& addresses) {
  return fmt::format("{{ {} }}", fmt::join(addresses, ", "));
}

std::string nft_chain(const std::string& name, const std::string& hook,
                      const std::vector<std::string>& rules) {
  std::string text = fmt::format(
      "  chain {} {{\n    type filter hook {} priority filter - 10; policy accept;\n", name, hook);
  for (const auto& r : rules) {
    text += "    " + r + "\n";
  }
  text += "  }\n";
  return text;
}

NftTable::NftTable(std::string name, std::string script_dir)
    : name_(std::move(name)), script_dir_(std::move(script_dir)) {}

Status NftTable::run_script(const InNetns& in_netns, const std::string& script) {
  // A file rather than stdin, so that a failed change leaves its script to
  // be read; the folder's owner (a run's folder) removes what is left.
  const std::string path = fmt::format("{}/{}.nft", script_dir_, name_);
  {
    std::ofstream out(path, std::ios::trunc);
    out << script;
    if (!out) {
      return Error{fmt::format("nft: cannot write {}", path)};
    }
  }
  auto st = in_netns([&] { return run_checked({"nft", "-f", path}); });
  if (st) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  return st;
}

Status NftTable::install(const InNetns& in_netns, const std::string& body) {
  // Declaring the table before deleting it makes the delete succeed whether
  // or not an older copy exists; all of it is one transaction.
  const std::string script =
      fmt::format("table inet {0}\ndelete table inet {0}\ntable inet {0} {{\n{1}}}\n", name_, body);
  installed_ = true;  // from here on remove must try, even if nft failed halfway
  return run_script(in_netns, script);
}

Status NftTable::remove(const InNetns& in_netns) {
  if (!installed_) {
    return {};
  }
  auto st = run_script(in_netns, fmt::format("table inet {0}\ndelete table inet {0}\n", name_));
  if (st) {
    installed_ = false;
  }
  return st;
}

}  // namespace faultline::platform
