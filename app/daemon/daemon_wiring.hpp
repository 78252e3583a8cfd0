#pragma once

// DaemonConfig (the peer's keys and mtasts') turned into the options of the net layer.

#include <chrono>

#include "daemon/daemon_config.hpp"
#include "mtasts/net/socketmap/policy_service.hpp"

namespace mtasts::app {

// Most policy cache entries held when the store is not `internal` (which has cache_size).
inline constexpr std::size_t kDefaultCacheCapacity = 100'000;

// The service's options:
//   cache_grace                 -> recheck_interval (least interval between TXT re-checks)
//   cache.type internal         -> capacity = cache.options.cache_size
//   proactive_policy_fetching   -> enabled; a body is refetched once older than `interval`
//                                  (grace_ratio is read but the cache's own due test decides);
//                                  passes run every min(interval, 5 min), jittered;
//                                  concurrency_limit flights at once (preload list too)
//   default_zone, zones         -> ZoneSettings of the same names
//   mtasts.mx_match             -> MatchForm (resolve: mx_hosts; patterns, postfix: patterns,
//                                  postfix also turning every zone's tlsrpt attributes on)
//   mtasts.dane                 -> dane (on for auto; the daemon probes its resolver at start)
[[nodiscard]] net::PolicyServiceOptions service_options(const DaemonConfig& config);

// The largest zone timeout: the bound of each DNS query and of each policy fetch. (The
// resolver and fetcher are shared by every zone; a lookup still waits no longer than its
// own zone's timeout.)
[[nodiscard]] std::chrono::milliseconds longest_timeout(const DaemonConfig& config);

}  // namespace mtasts::app
