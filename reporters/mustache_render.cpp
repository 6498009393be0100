#include "reporters/mustache_render.h"

#include <fmt/format.h>

#include <fstream>
#include <kainjow/mustache.hpp>
#include <map>
#include <sstream>
#include <stdexcept>

namespace faultline::reporters {

const std::map<std::string, std::string>& builtin_templates();

namespace {

namespace mus = kainjow::mustache;

mus::data to_data(const nlohmann::ordered_json& j) {
  if (j.is_object()) {
    mus::data d{mus::data::type::object};
    for (const auto& [k, v] : j.items()) {
      d.set(k, to_data(v));
    }
    return d;
  }
  if (j.is_array()) {
    mus::data d{mus::data::type::list};
    for (const auto& v : j) {
      d.push_back(to_data(v));
    }
    return d;
  }
  if (j.is_boolean()) {
    return j.get<bool>() ? mus::data{mus::data::type::bool_true} : mus::data{mus::data::type::bool_false};
  }
  if (j.is_null()) {
    return mus::data{mus::data::type::bool_false};  // absent values make sections disappear
  }
  if (j.is_string()) {
    return mus::data{j.get<std::string>()};
  }
  return mus::data{j.dump()};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error(fmt::format("cannot read template {}", path));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string render_mustache(const std::string& builtin_name, const std::string& template_path,
                            const nlohmann::ordered_json& view, bool escape_html) {
  std::string text;
  if (template_path.empty()) {
    const auto& all = builtin_templates();
    const auto it = all.find(builtin_name);
    if (it == all.end()) {
      throw std::runtime_error(fmt::format("no built-in template {}", builtin_name));
    }
    text = it->second;
  } else {
    text = read_file(template_path);
  }
  mus::mustache tmpl{text};
  if (!tmpl.is_valid()) {
    throw std::runtime_error(fmt::format(
        "template {}: {}", template_path.empty() ? builtin_name : template_path, tmpl.error_message()));
  }
  if (!escape_html) {
    tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
  return tmpl.render(to_data(view));
}

}  // namespace faultline::reporters
