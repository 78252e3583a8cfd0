#pragma once

// The hosting store on a worker thread of its own: the store's calls block (SQLite's disk,
// PostgreSQL's network, bounded by the store's timeout), so the event loop hands each call to
// the worker and resumes when it is done (the pattern of net's PolicyService). One thread:
// calls run one at a time, in the order they were made.

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <memory>
#include <utility>

#include "mtasts/store/hosting_store.hpp"

namespace mtasts::hosting {

class StoreWorker {
 public:
  explicit StoreWorker(std::unique_ptr<store::HostingStore> store) : store_(std::move(store)) {}
  ~StoreWorker() { pool_.join(); }
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Runs `job` on the worker and resumes the caller on its own executor with the result.
  // Pass a named std::function (GCC 12: no lambda temporary inside a co_await expression).
  template <class T>
  boost::asio::awaitable<T> run(std::function<T(store::HostingStore&)> job) {
    namespace asio = boost::asio;
    store::HostingStore* hosting = store_.get();
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
        [this, hosting](auto handler, std::function<T(store::HostingStore&)> work) {
          // Tracked work keeps the caller's event loop running while the job runs.
          auto caller = asio::prefer(asio::get_associated_executor(handler),
                                     asio::execution::outstanding_work.tracked);
          asio::post(pool_, [handler = std::move(handler), work = std::move(work),
                             caller = std::move(caller), hosting]() mutable {
            T result = work(*hosting);
            asio::post(caller,
                       [handler = std::move(handler), result = std::move(result)]() mutable {
                         std::move(handler)(std::move(result));
                       });
          });
        },
        asio::use_awaitable, std::move(job));
  }

  // The store itself, for calls made before the event loop runs (start-up) and for the
  // policy server's rare direct reads.
  [[nodiscard]] store::HostingStore& direct() { return *store_; }
  [[nodiscard]] std::string_view name() const { return store_->name(); }

  // Waits for the queued calls to finish (shutdown).
  void join() { pool_.join(); }

 private:
  std::unique_ptr<store::HostingStore> store_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace mtasts::hosting
