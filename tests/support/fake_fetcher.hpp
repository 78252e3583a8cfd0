#pragma once

// The PolicyFetcher of the unit tests: it serves a policy body per policy domain, or fails as
// scripted, after an optional delay (so concurrent fetches overlap), and records every domain
// it was asked for. A domain with neither a body nor a failure answers HTTP 404.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "mtasts/net/fetch/policy_fetcher.hpp"
#include "test_loop.hpp"

namespace mtasts::net::testing {

class FakeFetcher final : public PolicyFetcher {
 public:
  std::map<std::string, std::string> bodies;    // policy domain -> body
  std::map<std::string, FetchDetail> failures;  // over `bodies`: the fetch fails so
  std::chrono::milliseconds delay{0};           // before every answer
  std::vector<std::string> fetched;             // policy domains, in order

  boost::asio::awaitable<FetchResult> fetch(std::string policy_domain) override {
    fetched.push_back(policy_domain);
    co_await pause(delay);
    FetchResult result;
    if (auto failed = failures.find(policy_domain); failed != failures.end()) {
      result.detail = failed->second;
      result.message = "scripted failure";
    } else if (auto it = bodies.find(policy_domain); it != bodies.end()) {
      result.body = it->second;
    } else {
      result.detail = FetchDetail::http_status;
      result.message = "HTTP 404";
    }
    co_return result;
  }
};

}  // namespace mtasts::net::testing
