// The files of a config: the main one and, through `include`, every file it
// reads, as nginx's ngx_conf_include finds them. A relative path resolves
// from the main file's folder (nginx's conf prefix, which -c sets to the
// folder of the file it names), not from the including file's. A path with
// any of `*?[` is a glob: one that matches nothing is no error, and its
// matches are read in byte order (glob(3) sorts them, and nginx runs in the
// C locale). Any other path must name a file. nginx itself would recurse
// into an include loop until it ran out of files; here a loop is an error
// naming its files.
//
// A config in an attached container (/proc/<pid>/root/...) is read in the
// container's root: its absolute includes name the container's files, and
// its links are followed there (platform/container_files.h), never onto the
// host.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "harness/common/text.h"
#include "harness/platform/container_files.h"
#include "harness/stack/nginx_conf_detail.h"

namespace faultline::stack::nginx_conf {

namespace detail {

namespace {

namespace fs = std::filesystem;

std::string relative_to(const std::string& path, const std::string& folder) {
  const fs::path rel = fs::path(path).lexically_relative(folder);
  return rel.empty() || *rel.begin() == ".." ? std::string{} : rel.string();
}

class Loader {
 public:
  Loader(bool follow, const KnownFiles& known, std::string folder) : known_(known) {
    config_.follows_includes = follow;
    config_.folder = std::move(folder);
    if (const auto in = platform::split_container_path(config_.folder)) {
      root_ = in->root;
    }
  }

  // Reads, parses and resolves the file at absolute `path`; its index.
  Result<size_t> add(const std::string& path, const std::string& label);
  Config take() { return std::move(config_); }

 private:
  Status resolve(std::vector<Directive>& list);
  Status follow(Directive& include);
  Result<std::vector<std::string>> expand(const Directive& include) const;
  std::string label_of(const std::string& path) const {
    const std::string rel = relative_to(path, config_.folder);
    return rel.empty() ? path : rel;
  }
  Error error_at(const Directive& d, const std::string& message) const {
    return Error{fmt::format("{}:{}:{}: {}", config_.files[d.file].label(), d.name.at.line, d.name.at.column,
                             message)};
  }

  const KnownFiles& known_;
  Config config_;
  std::string root_;                     // "/proc/<pid>/root" for a container's config, else empty
  std::map<std::string, size_t> index_;  // absolute path -> index in config_.files
  std::vector<size_t> reading_;          // the files being read, outermost first
};

Result<size_t> Loader::add(const std::string& path, const std::string& label) {
  File file;
  file.path = path;
  file.relative = config_.folder.empty() ? label : relative_to(path, config_.folder);
  if (const auto k = known_.find(path); k != known_.end()) {
    file.original = k->second.original;
    file.text = k->second.text;
  } else if (auto text = platform::read_confined(path)) {
    file.original = *text;
    file.text = std::move(*text);
  } else {
    return Error{fmt::format("cannot read \"{}\" (no such file, or not readable)", path)};
  }
  const size_t index = config_.files.size();
  index_[path] = index;
  config_.files.push_back(std::move(file));
  // Parsed from a copy: resolving the includes below adds files, and the
  // vector may move this one.
  const std::string text = config_.files[index].text;
  auto directives = parse_file(text, config_.files[index].label(), index);
  if (!directives) {
    return directives.error();
  }
  reading_.push_back(index);
  if (auto resolved = resolve(*directives); !resolved) {
    return resolved.error();
  }
  reading_.pop_back();
  config_.files[index].directives = std::move(*directives);
  return index;
}

Status Loader::resolve(std::vector<Directive>& list) {
  for (auto& d : list) {
    if (d.name.value == "include") {
      // nginx's own checks of the directive (ngx_conf_handler).
      if (d.has_block) {
        return error_at(d, "directive \"include\" is not terminated by \";\" (it takes a path, not a block)");
      }
      if (d.args.size() != 1) {
        return error_at(d,
                        "invalid number of arguments in \"include\" directive (it takes one path or glob)");
      }
      if (config_.follows_includes) {
        if (auto followed = follow(d); !followed) {
          return followed;
        }
      }
    }
    if (d.has_block) {
      if (auto inner = resolve(d.children); !inner) {
        return inner;
      }
    }
  }
  return {};
}

Status Loader::follow(Directive& include) {
  auto paths = expand(include);
  if (!paths) {
    return paths.error();
  }
  for (const auto& path : *paths) {
    if (const auto known = index_.find(path); known != index_.end()) {
      const auto open = std::find(reading_.begin(), reading_.end(), known->second);
      if (open != reading_.end()) {
        std::vector<std::string> chain;
        for (auto i = open; i != reading_.end(); ++i) {
          chain.push_back(config_.files[*i].label());
        }
        chain.push_back(config_.files[known->second].label());
        return error_at(include, fmt::format("include loop: {} (remove one of these includes)",
                                             fmt::join(chain, " -> ")));
      }
      // Read before, elsewhere (mime.types in two blocks): the same file.
      include.included.push_back(known->second);
      continue;
    }
    auto added = add(path, label_of(path));
    if (!added) {
      return added.error();
    }
    include.included.push_back(*added);
  }
  return {};
}

Result<std::vector<std::string>> Loader::expand(const Directive& include) const {
  const std::string& written = include.args.front().value;
  // An absolute path in a container's config names the container's file.
  const std::string full = starts_with(written, "/") ? root_ + written : config_.folder + "/" + written;
  std::vector<std::string> paths;
  if (written.find_first_of("*?[") == std::string::npos) {
    const std::string path = platform::lexically_normal_confined(full);
    if (!platform::exists_confined(path)) {
      return error_at(include, fmt::format("include \"{}\": no such file {} (fix the path; a relative one "
                                           "resolves from the main file's folder {})",
                                           written, path, config_.folder));
    }
    paths.push_back(path);
  } else {
    auto found = platform::glob_confined(full);
    if (!found) {
      return error_at(include, fmt::format("include \"{}\": {}", written, found.error().message));
    }
    for (const auto& match : *found) {
      paths.push_back(platform::lexically_normal_confined(match));
    }
    std::sort(paths.begin(), paths.end());
  }
  for (const auto& path : paths) {
    if (!platform::is_regular_file_confined(path)) {
      return error_at(include, fmt::format("include \"{}\": {} is not a file (include files, not folders)",
                                           written, path));
    }
  }
  return paths;
}

}  // namespace

Result<Config> build(const std::string& main_path, const std::string& main_label, bool follow_includes,
                     const KnownFiles& known) {
  std::string path = main_path;
  std::string folder;
  if (follow_includes) {
    path = platform::lexically_normal_confined(fs::absolute(main_path).string());
    folder = fs::path(path).parent_path().string();
  }
  Loader loader(follow_includes, known, folder);
  auto main = loader.add(path, main_label);
  if (!main) {
    return main.error();
  }
  return loader.take();
}

Status reload_with(Config& config, size_t file, std::string text) {
  KnownFiles known;
  for (const auto& f : config.files) {
    known[f.path] = KnownFile{f.original, f.text};
  }
  known[config.files[file].path].text = std::move(text);
  auto rebuilt = build(config.files[0].path, config.files[0].relative, config.follows_includes, known);
  if (!rebuilt) {
    return Error{"the edit would break the config: " + rebuilt.error().message};
  }
  config = std::move(*rebuilt);
  return {};
}

}  // namespace detail

const std::string& Directive::arg(size_t i) const {
  static const std::string none;
  return i < args.size() ? args[i].value : none;
}

std::vector<std::string> Directive::values() const {
  std::vector<std::string> out;
  for (const auto& a : args) {
    out.push_back(a.value);
  }
  return out;
}

const File* Config::find_file(const std::string& path) const {
  const std::string resolved = folder.empty() || starts_with(path, "/")
                                   ? path
                                   : std::filesystem::path(folder + "/" + path).lexically_normal().string();
  for (const auto& f : files) {
    if (f.path == path || f.path == resolved || (!f.relative.empty() && f.relative == path)) {
      return &f;
    }
  }
  return nullptr;
}

std::string Config::text(const std::string& path) const {
  const File* f = find_file(path);
  return f ? f->text : std::string{};
}

Result<Config> load(const std::string& main_path) {
  return detail::build(main_path, {}, true, {});
}

Result<Config> parse_text(const std::string& text, const std::string& name) {
  return detail::build(name, name, false, {{name, detail::KnownFile{text, text}}});
}

std::string where(const Config& config, const Directive& d) {
  return fmt::format("{}:{}:{}", config.files[d.file].label(), d.name.at.line, d.name.at.column);
}

}  // namespace faultline::stack::nginx_conf
