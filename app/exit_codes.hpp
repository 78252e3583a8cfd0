#pragma once

// Exit codes shared by every subcommand.
namespace mtasts::app {

inline constexpr int kExitOk = 0;        // success, valid, policy found
inline constexpr int kExitNegative = 1;  // the answer is negative: invalid, no policy, errors
inline constexpr int kExitUsage = 2;     // usage or configuration error

}  // namespace mtasts::app
