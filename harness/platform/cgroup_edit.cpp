#include "harness/platform/cgroup_edit.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace faultline::platform {

namespace fs = std::filesystem;

CgroupFileEdits::CgroupFileEdits(CgroupVersion version, std::string dir, std::string record_path,
                                 const CgroupHost& host)
    : host_(&host), version_(version), dir_(std::move(dir)), record_path_(std::move(record_path)) {}

Status CgroupFileEdits::write(const std::string& file, const std::string& value) {
  if (host_ == nullptr) {
    return Error{fmt::format("cannot write {}: no group to change", file)};
  }
  std::optional<std::string> original;
  for (const auto& e : pending_) {
    if (e.file == file) {
      original = e.original;
    }
  }
  const bool first = !original;
  if (first) {
    auto text = read(file);
    if (!text) {
      return text.error();
    }
    // The kernel ends each value with a newline; a write takes it without.
    std::string value_read = *text;
    while (!value_read.empty() && (value_read.back() == '\n' || value_read.back() == ' ')) {
      value_read.pop_back();
    }
    original = value_read;
    pending_.push_back({file, *original, value});
    // Recorded before the change: a run killed right after the write still
    // leaves the original behind for whoever cleans up.
    if (auto st = save_record(); !st) {
      pending_.pop_back();
      return st;
    }
  }
  if (auto st = host_->write(dir_ + "/" + file, value); !st) {
    if (first) {
      pending_.pop_back();
      (void)save_record();
    }
    return st;
  }
  written_.push_back({file, *original, value});
  return {};
}

Result<std::string> CgroupFileEdits::read(const std::string& file) const {
  std::ifstream in(dir_ + "/" + file);
  if (!in) {
    return Error{fmt::format("cannot read {}/{}", dir_, file)};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool CgroupFileEdits::has(const std::string& file) const {
  std::error_code ec;
  return !dir_.empty() && fs::exists(dir_ + "/" + file, ec);
}

Status CgroupFileEdits::restore() {
  while (!pending_.empty()) {
    const Edit& last = pending_.back();
    if (auto st = host_->write(dir_ + "/" + last.file, last.original); !st) {
      (void)save_record();
      return st;
    }
    pending_.pop_back();
  }
  if (!record_path_.empty()) {
    std::error_code ec;
    fs::remove(record_path_, ec);
  }
  return {};
}

Status CgroupFileEdits::save_record() const {
  if (record_path_.empty()) {
    return {};
  }
  std::string text;
  for (const auto& e : pending_) {
    text += fmt::format("{}/{}\t{}\n", dir_, e.file, e.original);
  }
  std::ofstream out(record_path_, std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return Error{"cannot write " + record_path_};
  }
  return {};
}

}  // namespace faultline::platform
