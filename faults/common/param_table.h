#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faults/common/params.h"
#include "faults/fault.h"

// A fault type's parameters, declared once as a table: each row names a
// member of the fault's params struct, how its value is read and checked,
// whether it is required or what stands when it is left out, and what it
// means. Both the reading of a step's `params:` and the docs line of
// `faultline faults` (ParamSpec) come from the row, so neither restates
// the other:
//
//   param(&Params::delay, "delay", kind::duration(1ms, 60s)).required().doc("time every packet is held")
//
// Checks between parameters (jitter at most delay) stay code, run on the
// struct the table filled in (see faults/fault_type.h).
namespace faultline::faults {

// How a parameter's value is read and shown: its type in the docs
// ("duration 1ms..60s"), the getter that reads and checks it, and how a
// default value is written in the docs.
template <class T>
struct ParamKind {
  std::string type;
  std::function<std::optional<T>(experiment::FieldReader&, const experiment::SourceNode&, const std::string&)>
      read;
  std::function<std::string(const T&)> show;
};

namespace kind {

// A duration within [min, max]: "250ms", "1s".
ParamKind<Duration> duration(Duration min, Duration max);
// A whole number within [min, max].
ParamKind<int> integer(int min, int max);
// A decimal number within [min, max].
ParamKind<double> number(double min, double max);
// "20%", read as 0.2.
ParamKind<double> percent();
// Any single value; `type` says in the docs what form it must have when
// the fault checks that itself ("path", "IPv4 address").
ParamKind<std::string> text(std::string type = "string");
// One of `choices`, a near miss hinted at.
ParamKind<std::string> choice(std::vector<std::string> choices);
// One of the names in `choices`, read as the value beside it.
template <class E>
ParamKind<E> choice(std::vector<std::pair<std::string, E>> choices);
// One value or a list of them; `type` names them in the docs ("service or list").
ParamKind<std::vector<std::string>> names(std::string type);

}  // namespace kind

// One row of a table, whatever the type of its value.
template <class P>
struct Param {
  ParamSpec spec;
  // Reads the parameter into its member of P: the value given, else the
  // default; left empty when it is missing, given wrong or has no default.
  std::function<void(ParamReader&, P&)> read;
};

// Builds one row; converts to a Param<P> once complete.
template <class P, class T>
class ParamRow {
 public:
  using Field = std::function<std::optional<T>&(P&)>;

  ParamRow(Field field, std::string name, ParamKind<T> kind)
      : field_(std::move(field)), name_(std::move(name)), kind_(std::move(kind)) {}

  // Missing is an error.
  ParamRow& required() {
    required_ = true;
    return *this;
  }
  // The value taken when the parameter is left out.
  ParamRow& defaults_to(T value) {
    default_ = std::move(value);
    return *this;
  }
  // Left out, the member stays empty; `text` says in the docs what the fault
  // does then ("unchanged", "all servers").
  ParamRow& absent_means(std::string text) {
    absent_ = std::move(text);
    return *this;
  }
  ParamRow& doc(std::string text) {
    doc_ = std::move(text);
    return *this;
  }

  operator Param<P>() const {  // NOLINT(google-explicit-constructor): rows are listed as a table
    check_complete();
    std::string default_text = required_ ? std::string() : default_ ? kind_.show(*default_) : absent_;
    auto read = [field = field_, name = name_, kind = kind_, required = required_, fallback = default_](
                    ParamReader& params, P& values) {
      const experiment::SourceNode* node = params.find(name);
      if (node == nullptr) {
        if (required) {
          params.missing(name);
        }
        field(values) = fallback;
        return;
      }
      field(values) = kind.read(params.values(), *node, name);
    };
    return Param<P>{ParamSpec{name_, kind_.type, std::move(default_text), doc_}, std::move(read)};
  }

 private:
  // A row must say what stands without the parameter, and what it means:
  // the docs would be wrong otherwise. Tables are built at start-up, so a
  // slip aborts the first run of any test.
  void check_complete() const {
    const int said = (required_ ? 1 : 0) + (default_ ? 1 : 0) + (absent_.empty() ? 0 : 1);
    if (said != 1 || doc_.empty()) {
      std::fprintf(stderr,
                   "faultline: parameter '%s' needs a doc and one of required, defaults_to, absent_means\n",
                   name_.c_str());
      std::abort();
    }
  }

  Field field_;
  std::string name_;
  ParamKind<T> kind_;
  bool required_ = false;
  std::optional<T> default_;
  std::string absent_;
  std::string doc_;
};

// A row for the member `member` of P.
template <class P, class T>
ParamRow<P, T> param(std::optional<T> P::*member, std::string name, ParamKind<T> kind) {
  return ParamRow<P, T>([member](P& values) -> std::optional<T>& { return values.*member; }, std::move(name),
                        std::move(kind));
}

// A fault type's parameters, in the order they are read and listed.
template <class P>
class ParamTable {
 public:
  ParamTable() = default;                                             // no parameters
  ParamTable(std::vector<Param<P>> rows) : rows_(std::move(rows)) {}  // NOLINT: a table is its rows
  // A type's own rows followed by rows its family shares (net_target_params).
  ParamTable(std::vector<Param<P>> rows, std::vector<Param<P>> shared) : rows_(std::move(rows)) {
    rows_.insert(rows_.end(), shared.begin(), shared.end());
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& row : rows_) {
      out.push_back(row.spec.name);
    }
    return out;
  }

  std::vector<ParamSpec> docs() const {
    std::vector<ParamSpec> out;
    for (const auto& row : rows_) {
      out.push_back(row.spec);
    }
    return out;
  }

  // Every parameter read into a fresh P; problems go to `params`.
  P read(ParamReader& params) const {
    P values{};
    for (const auto& row : rows_) {
      row.read(params, values);
    }
    return values;
  }

 private:
  std::vector<Param<P>> rows_;
};

template <class E>
ParamKind<E> kind::choice(std::vector<std::pair<std::string, E>> choices) {
  std::vector<std::string> names;
  std::string type;
  for (const auto& c : choices) {
    type += (type.empty() ? "" : "|") + c.first;
    names.push_back(c.first);
  }
  auto read = [choices, names](experiment::FieldReader& r, const experiment::SourceNode& node,
                               const std::string& name) -> std::optional<E> {
    const auto picked = r.choice(node, name, names);
    for (const auto& c : choices) {
      if (picked && c.first == *picked) {
        return c.second;
      }
    }
    return std::nullopt;
  };
  auto show = [choices](const E& value) {
    for (const auto& c : choices) {
      if (c.second == value) {
        return c.first;
      }
    }
    return std::string();
  };
  return ParamKind<E>{type, read, show};
}

}  // namespace faultline::faults
