#include "mtasts/hosting/host_acme_account.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <utility>

#include "mtasts/hosting/host_async.hpp"

namespace mtasts::hosting {
namespace {

namespace asio = boost::asio;

// How often an instance waiting for another one's registration reads the store.
constexpr std::chrono::milliseconds kAccountPoll{500};

std::string lease_name(const std::string& directory_url) {
  return "acme-account:" + directory_url;
}

tl::unexpected<net::AcmeError> local_failure(std::string message) {
  net::AcmeError error;
  error.code = net::AcmeErrc::local;
  error.message = std::move(message);
  return tl::unexpected(std::move(error));
}

net::AcmeAccount account_of(const store::AcmeAccountRow& row) {
  return net::AcmeAccount{row.key_pem, row.account_url};
}

using StoredAccount = store::Result<std::optional<store::AcmeAccountRow>>;

// The store's answer to "may this instance register?": the stored account if there is one,
// else whether this instance now holds the lease.
struct AccountClaim {
  std::optional<store::AcmeAccountRow> stored;
  bool leased = false;
};

}  // namespace

// The result every caller of one establishment gets; `done` wakes those waiting for it.
struct AcmeAccountKeeper::Flight {
  explicit Flight(const asio::any_io_executor& executor)
      : done(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer done;
  std::optional<net::AcmeResult<net::AcmeAccount>> result;
};

AcmeAccountKeeper::AcmeAccountKeeper(asio::any_io_executor executor, StoreWorker& store,
                                     net::AcmeClient& acme, const net::Clock& clock,
                                     net::Logger& log, AcmeAccountOptions options)
    : executor_(std::move(executor)),
      store_(store),
      acme_(acme),
      clock_(clock),
      log_(log),
      options_(std::move(options)) {}

asio::awaitable<net::AcmeResult<net::AcmeAccount>> AcmeAccountKeeper::account() {
  if (account_) {
    co_return *account_;
  }
  if (flight_) {
    const std::shared_ptr<Flight> flight = flight_;
    while (!flight->result) {
      boost::system::error_code ec;  // cancelled when the result is there
      co_await flight->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return *flight->result;
  }
  const auto flight = std::make_shared<Flight>(executor_);
  flight_ = flight;
  net::AcmeResult<net::AcmeAccount> result = co_await establish();
  if (result) {
    account_ = *result;
  }
  // A failure is not kept: the next order that needs the account tries again.
  flight->result = result;
  flight_.reset();
  flight->done.cancel();
  co_return result;
}

asio::awaitable<net::AcmeResult<net::AcmeAccount>> AcmeAccountKeeper::establish() {
  const std::string directory = options_.directory_url;
  const std::string lease = lease_name(directory);
  const std::string holder = options_.instance;
  const std::chrono::seconds ttl = options_.lease_ttl;
  const auto polls = std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / kAccountPoll;
  for (std::int64_t poll = 0;; ++poll) {
    const core::HostTime now = clock_.now();
    // The stored account first; without one, the lease, and under it the store read again:
    // the holder before may have stored one in between.
    std::function<store::Result<AccountClaim>(store::HostingStore&)> claim =
        [directory, lease, holder, ttl,
         now](store::HostingStore& hosting) -> store::Result<AccountClaim> {
      auto stored = hosting.get_acme_account(directory);
      if (!stored || *stored) {
        return stored.transform([](auto row) { return AccountClaim{std::move(row), false}; });
      }
      auto leased = hosting.acquire_lease(lease, holder, ttl, now);
      if (!leased) {
        return tl::unexpected(leased.error());
      }
      auto again = hosting.get_acme_account(directory);
      if (*leased && (!again || *again)) {  // not registering here after all
        (void)hosting.release_lease(lease, holder);
      }
      return again.transform([&](auto row) {
        const bool register_here = *leased && !row;
        return AccountClaim{std::move(row), register_here};
      });
    };
    auto claimed = co_await store_.run(std::move(claim));
    if (!claimed) {
      co_return local_failure("cannot read the ACME account from the hosting store: " +
                              claimed.error().message);
    }
    if (claimed->stored) {
      auto confirmed = co_await confirm(std::move(*claimed->stored));
      co_return confirmed;
    }
    if (claimed->leased) {
      auto registered = co_await register_and_store();
      co_return registered;
    }
    if (poll == 0) {
      log_.log(net::LogLevel::info, "acme-account-wait", {{"lease", lease}});
    }
    if (poll >= polls) {
      co_return local_failure("another instance holds the lease " + lease +
                              " but stored no ACME account");
    }
    co_await sleep_for(kAccountPoll);
  }
}

asio::awaitable<net::AcmeResult<net::AcmeAccount>> AcmeAccountKeeper::confirm(
    store::AcmeAccountRow row) {
  const net::AcmeAccount known = account_of(row);
  net::AcmeResult<net::AcmeAccount> ensured = co_await acme_.ensure_account(known);
  if (!ensured || (ensured->url == known.url && ensured->key_pem == known.key_pem)) {
    co_return ensured;
  }
  // The CA forgot the account and registered its key anew: every instance does that with the
  // same key, and the CA answers them all with one account.
  row.key_pem = ensured->key_pem;
  row.account_url = ensured->url;
  std::function<store::Result<void>(store::HostingStore&)> write =
      [row](store::HostingStore& hosting) { return hosting.put_acme_account(row); };
  auto written = co_await store_.run(std::move(write));
  if (!written) {
    log_.log(net::LogLevel::warn, "acme-account-store-error", {{"error", written.error().message}});
  }
  log_.log(net::LogLevel::info, "acme-account", {{"url", ensured->url}});
  co_return ensured;
}

asio::awaitable<net::AcmeResult<net::AcmeAccount>> AcmeAccountKeeper::register_and_store() {
  const std::string lease = lease_name(options_.directory_url);
  const std::string holder = options_.instance;
  net::AcmeResult<net::AcmeAccount> ensured = co_await acme_.ensure_account(std::nullopt);
  std::optional<store::AcmeAccountRow> mine;
  if (ensured) {
    mine =
        store::AcmeAccountRow{options_.directory_url, ensured->key_pem, ensured->url, clock_.now()};
  }
  std::function<StoredAccount(store::HostingStore&)> store_and_release =
      [mine, lease, holder](store::HostingStore& hosting) -> StoredAccount {
    StoredAccount kept = std::nullopt;
    if (mine) {
      kept = hosting.add_acme_account(*mine).transform(
          [](store::AcmeAccountRow row) { return std::optional(std::move(row)); });
    }
    (void)hosting.release_lease(lease, holder);
    return kept;
  };
  auto stored = co_await store_.run(std::move(store_and_release));
  if (!ensured) {
    co_return ensured;
  }
  if (!stored) {
    // The account works; a later start of this instance registers another one.
    log_.log(net::LogLevel::warn, "acme-account-store-error", {{"error", stored.error().message}});
    co_return ensured;
  }
  const store::AcmeAccountRow& kept = **stored;
  if (kept.account_url != ensured->url || kept.key_pem != ensured->key_pem) {
    log_.log(net::LogLevel::warn, "acme-account-discarded",
             {{"url", ensured->url}, {"stored", kept.account_url}});
    co_return account_of(kept);
  }
  log_.log(net::LogLevel::info, "acme-account", {{"url", ensured->url}});
  co_return ensured;
}

}  // namespace mtasts::hosting
