#pragma once

// The compact value under which the Redis store (and the memory store) keep one policy:
//
//   "1:" fetched_at ":" expires_at ":" id-length ":" id body
//
// Numbers are decimal Unix seconds without leading zeros. The domain is not part of the value
// (it is the key). The Redis store's put script reads fetched_at with the pattern "^1:(%d+):",
// so the version and the first field stay in front.

#include <string>
#include <string_view>

#include "mtasts/store/store_error.hpp"
#include "mtasts/store/stored_policy.hpp"

namespace mtasts::store {

// The value of a policy that passes validate(); its domain is left out.
[[nodiscard]] std::string encode_policy_value(const StoredPolicy& policy);

// The policy of `value`, with `domain` as its domain; it passes validate(), and encoding it
// gives `value` back (the encoding is canonical). Never throws, reads nothing past the value.
// Errors: corrupt, naming the domain and what is wrong (unknown version, a malformed number,
// times out of order or range, an id or body too long or cut short, a domain or id that
// validate() refuses).
[[nodiscard]] Result<StoredPolicy> decode_policy_value(std::string_view domain,
                                                       std::string_view value);

}  // namespace mtasts::store
