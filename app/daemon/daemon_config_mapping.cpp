#include <algorithm>
#include <set>
#include <utility>

#include "daemon/daemon_config_values.hpp"

namespace mtasts::app {
namespace {

// Merge keys through aliases can multiply work; no real configuration comes near this.
constexpr std::size_t kMaxMergedEntries = 10'000;
// yaml-cpp lets an alias name the mapping it sits in (`a: &x {<<: *x}`): a cycle.
constexpr int kMaxMergeDepth = 16;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_key_warning(std::string_view path, std::string_view key,
                                std::span<const std::string_view> known) {
  std::string message = key_path(path, key) + ": unknown key, ignored";
  for (const std::string_view candidate : known) {
    if (key.size() < 64 && edit_distance(key, candidate) <= 2) {
      message += " (did you mean " + std::string(candidate) + "?)";
      break;
    }
  }
  return message;
}

using EntryList = std::vector<std::pair<std::string, YAML::Node>>;

// PyYAML's flatten_mapping: the entries a `<<` value brings in, earlier sources first.
core::Result<EntryList> merged_entries(const YAML::Node& value, std::string_view path,
                                       std::size_t& budget, int depth) {
  if (depth > kMaxMergeDepth) {
    return value_error(value, key_path(path, "<<"),
                       "merge keys nested too deeply, or a mapping merged into itself");
  }
  std::vector<YAML::Node> sources;
  if (value.IsMap()) {
    sources.push_back(value);
  } else if (value.IsSequence()) {
    for (const YAML::Node& item : value) {
      if (!item.IsMap()) {
        return value_error(item, key_path(path, "<<"), expected("a mapping", item));
      }
      sources.push_back(item);
    }
  } else {
    return value_error(value, key_path(path, "<<"), expected("a mapping or list of them", value));
  }
  EntryList out;
  std::set<std::string, std::less<>> seen;
  const auto add = [&](std::string key, const YAML::Node& node) -> bool {
    if (budget == 0) {
      return false;
    }
    --budget;
    if (seen.insert(key).second) {
      out.emplace_back(std::move(key), node);
    }
    return true;
  };
  for (const YAML::Node& source : sources) {
    // A source's own keys beat what it merges itself, so they are added first.
    EntryList own;
    EntryList nested;
    for (auto it = source.begin(); it != source.end(); ++it) {
      if (!it->first.IsScalar()) {
        continue;
      }
      if (it->first.Scalar() == "<<" && it->first.Tag() == "?") {
        auto inner = merged_entries(it->second, path, budget, depth + 1);
        if (!inner) {
          return inner;
        }
        nested.insert(nested.end(), inner->begin(), inner->end());
      } else {
        own.emplace_back(it->first.Scalar(), it->second);
      }
    }
    own.insert(own.end(), nested.begin(), nested.end());
    for (auto& [key, node] : own) {
      if (!add(key, node)) {
        return value_error(value, key_path(path, "<<"), "too many merged keys");
      }
    }
  }
  return out;
}

}  // namespace

std::optional<YAML::Node> given(const Entries& entries, std::string_view key) {
  const auto it = entries.find(key);
  if (it == entries.end() || it->second.IsNull()) {
    return std::nullopt;
  }
  return it->second;
}

bool present(const Entries& entries, std::string_view key) {
  return entries.find(key) != entries.end();
}

core::Result<Entries> ConfigReader::mapping(const YAML::Node& node, std::string_view path,
                                            std::span<const std::string_view> known) {
  if (!node.IsDefined() || node.IsNull()) {
    return Entries{};
  }
  if (!node.IsMap()) {
    return value_error(node, path.empty() ? "top level" : path, expected("a mapping", node));
  }
  EntryList explicit_entries;
  EntryList merged;
  std::set<std::string, std::less<>> seen;
  std::size_t budget = kMaxMergedEntries;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // A copy: it-> returns a temporary proxy, so a reference into it would dangle.
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      warn((path.empty() ? std::string("top level") : std::string(path)) +
           ": a key that is not a string is ignored");
      continue;
    }
    if (key.Scalar() == "<<" && key.Tag() == "?") {
      auto entries = merged_entries(it->second, path, budget, 0);
      if (!entries) {
        return tl::unexpected(entries.error());
      }
      merged.insert(merged.end(), entries->begin(), entries->end());
      continue;
    }
    if (!seen.insert(key.Scalar()).second) {
      warn(key_path(path, key.Scalar()) + ": duplicate key, the last one is used");
    }
    explicit_entries.emplace_back(key.Scalar(), it->second);
  }
  for (auto& entry : merged) {
    if (seen.insert(entry.first).second) {
      explicit_entries.push_back(std::move(entry));
    }
  }
  Entries out;
  std::set<std::string, std::less<>> warned;
  for (auto& [key, value] : explicit_entries) {
    if (!known.empty() && std::find(known.begin(), known.end(), key) == known.end()) {
      if (warned.insert(key).second) {
        warn(unknown_key_warning(path, key, known));
      }
      continue;
    }
    out.insert_or_assign(key, value);
  }
  return out;
}

}  // namespace mtasts::app
