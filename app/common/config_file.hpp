#pragma once

// The YAML configuration files of `mtasts daemon` and `mtasts host` are read alike: at most
// kMaxConfigSize bytes, exactly one YAML document, every yaml-cpp exception turned into an
// error with its line and column, and errors of a file prefixed with the file's name.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "mtasts/core/base/result.hpp"

namespace mtasts::app {

// A configuration file larger than this is refused (Errc::too_large).
inline constexpr std::size_t kMaxConfigSize = 1024 * 1024;

// The root of `yaml_text`'s one document. Errors: too_large over kMaxConfigSize bytes,
// invalid_syntax for a second document or stray text after the first. Throws what yaml-cpp
// throws on a syntax error (parse_config_document catches it).
[[nodiscard]] core::Result<YAML::Node> load_config_document(std::string_view yaml_text);

// invalid_syntax with "line L, column C: " before yaml-cpp's message when it has a mark.
[[nodiscard]] core::Error yaml_syntax_error(const YAML::Exception& error);

// Runs `parse` on the root of `yaml_text`'s one document; an exception of yaml-cpp, from the
// loading or from `parse` reading the nodes, becomes an invalid_syntax error: none escapes.
template <class Parse>
auto parse_config_document(std::string_view yaml_text, Parse&& parse)
    -> decltype(parse(std::declval<const YAML::Node&>())) {
  try {
    auto root = load_config_document(yaml_text);
    if (!root) {
      return tl::unexpected(root.error());
    }
    return std::forward<Parse>(parse)(*root);
  } catch (const YAML::Exception& error) {
    return tl::unexpected(yaml_syntax_error(error));
  } catch (const std::exception& error) {
    return core::fail(core::Errc::invalid_syntax,
                      std::string("cannot read the configuration: ") + error.what());
  }
}

// The text of `file`, at most kMaxConfigSize + 1 bytes of it (so that the parser can tell it
// is too large). Error: invalid_value "<file>: cannot read the configuration[: <why>]".
[[nodiscard]] core::Result<std::string> read_config_file(const std::string& file);

// read_config_file, then `parse_text` on its text; an error of the parse gets "<file>: " in
// front, a result gets `source` = file.
template <class ParseText>
auto load_config_file(const std::string& file, ParseText&& parse_text)
    -> decltype(parse_text(std::string_view())) {
  auto text = read_config_file(file);
  if (!text) {
    return tl::unexpected(text.error());
  }
  auto loaded = std::forward<ParseText>(parse_text)(std::string_view(*text));
  if (!loaded) {
    return tl::unexpected(core::Error{loaded.error().code, file + ": " + loaded.error().message});
  }
  loaded->source = file;
  return loaded;
}

}  // namespace mtasts::app
