#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::verify {

// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into
// `b`; a swap counts as one, since "erorr" for "error" is one slip of the
// fingers.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word`, if near enough to be a likely typo: at
// most a third of the word's length away (at least one edit).
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace faultline::verify
