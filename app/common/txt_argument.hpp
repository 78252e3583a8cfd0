#pragma once

// A TXT record as a user types it on the command line: either the plain text, or the
// presentation form dig prints ("v=STSv1; id=" "123"), whose strings are concatenated.

#include <optional>
#include <string>
#include <string_view>

namespace mtasts::app {

// Returns the record text. A leading '"' selects the presentation form: one or more quoted
// strings separated by whitespace, with \" \\ and \DDD escapes. nullopt when that form is
// malformed (unterminated quote, bad escape, junk between strings).
std::optional<std::string> parse_txt_argument(std::string_view arg);

}  // namespace mtasts::app
