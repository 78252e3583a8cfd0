// The ACME account of the certificate manager: one registration however many first orders
// start at once, in one instance and in two instances on one store, with the real ACME client
// against the in-process CA (fake_acme_ca.hpp); a failed registration retried by a later
// order; an account stored by another instance meanwhile wins over one registered here.

#include "fake_acme_ca.hpp"
#include "host_test_support.hpp"
#include "mtasts/hosting/host_certificates.hpp"
#include "test_pki.hpp"

namespace mtasts::hosting::testing {
namespace {

using std::chrono::seconds;

const std::vector<std::string> kDomains{"a.example", "b.example", "c.example", "d.example"};

// What the CA answers every newOrder here: the orders fail once they used the account, so
// they end quickly and one at a time is no constraint of the fake CA.
constexpr const char* kRefused =
    R"({"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"not today"})";

class AcmeAccountTest : public HostFixture {
 protected:
  void SetUp() override {
    resolver_.set_address("acme.test", {"127.0.0.1"});
    ASSERT_TRUE(run(io_, sync_->sync_once(true)));
    net::testing::FakeAcmeScript script;
    script.new_order_problem = kRefused;
    ca_ = std::make_unique<net::testing::FakeAcmeCa>(io_, std::move(script));
  }

  // Adds `count` domains whose policy hosts point at the service.
  void add_domains(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      resolver_.set_mx(kDomains[i], {"mx1." + kDomains[i]});
      resolver_.set_address("mta-sts." + kDomains[i], {"192.0.2.10"}, {"mta-sts.provider.test"});
      const net::HttpResponse added =
          request("POST", "/v1/domains", R"({"domain":")" + kDomains[i] + R"("})");
      ASSERT_EQ(added.status, 201u) << added.body;
    }
  }

  std::unique_ptr<net::AcmeClient> client() {
    net::AcmeOptions options;
    options.directory_url = ca_->directory_url();
    options.ca_file = net::testing::TestPki::instance().ca_file();
    options.timeout = seconds(5);
    options.order_timeout = seconds(20);
    auto made = net::AcmeClient::create(io_.get_executor(), resolver_, options);
    EXPECT_TRUE(made) << made.error().message;
    return made ? std::move(*made) : nullptr;
  }

  std::unique_ptr<CertificateManager> manager(net::AcmeClient& acme, const std::string& instance,
                                              std::size_t concurrency = 4) {
    return std::make_unique<CertificateManager>(
        io_.get_executor(), *store_, *sync_, acme, *board_, resolver_, clock_, log_,
        CertificateManagerOptions{kService, instance, ca_->directory_url(), seconds(20),
                                  concurrency});
  }

  // Runs the loop until `certificates` failed `failed` orders in all and has none running.
  bool failed_and_idle(const CertificateManager& certificates, std::uint64_t failed) {
    return drive(io_, [&] {
      return certificates.counters().failed == failed && certificates.in_flight() == 0;
    });
  }

  std::string stored_account_url() {
    auto stored = store_->direct().get_acme_account(ca_->directory_url());
    EXPECT_TRUE(stored && *stored);
    return stored && *stored ? (*stored)->account_url : std::string();
  }

  std::unique_ptr<net::testing::FakeAcmeCa> ca_;
};

TEST_F(AcmeAccountTest, SeveralFirstOrdersAtOnce_RegisterOneAccount_AllUseIt) {
  add_domains(3);
  auto acme = client();
  auto certificates = manager(*acme, "test");
  certificates->scan();
  EXPECT_EQ(certificates->in_flight(), 3u);
  ASSERT_TRUE(failed_and_idle(*certificates, 3));
  EXPECT_EQ(ca_->log().new_accounts, 1);
  const std::string url = stored_account_url();
  EXPECT_EQ(ca_->log().order_accounts, (std::vector<std::string>(3, url)));
  EXPECT_EQ(ca_->log().jws_rejected, 0);
}

TEST_F(AcmeAccountTest, FailedRegistration_FailsTheWaitingOrders_ALaterOrderRegisters) {
  add_domains(3);
  ca_->script().new_account_problem =
      R"({"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many registrations"})";
  auto acme = client();
  auto certificates = manager(*acme, "test");
  certificates->scan();
  ASSERT_TRUE(failed_and_idle(*certificates, 3));
  EXPECT_EQ(ca_->log().posts, 1);  // one newAccount for three orders, and no newOrder
  auto row = store_->direct().get_certificate("mta-sts.b.example");
  ASSERT_TRUE(row && *row);
  EXPECT_NE((*row)->last_error.find("too many registrations"), std::string::npos);
  EXPECT_FALSE(*store_->direct().get_acme_account(ca_->directory_url()));
  // Past the backoff, the next orders register once.
  ca_->script().new_account_problem.reset();
  clock_.advance(seconds(301));
  certificates->scan();
  ASSERT_TRUE(failed_and_idle(*certificates, 6));
  EXPECT_EQ(ca_->log().new_accounts, 1);
  EXPECT_EQ(ca_->log().order_accounts, (std::vector<std::string>(3, stored_account_url())));
}

TEST_F(AcmeAccountTest, TwoInstancesOnOneStore_RegisterOneAccount) {
  add_domains(4);
  // Each instance has its own client, as separate processes do. The first takes two names,
  // the second the other two (their name leases are held by the first).
  auto acme_a = client();
  auto acme_b = client();
  auto a = manager(*acme_a, "host-a", 2);
  auto b = manager(*acme_b, "host-b", 4);
  a->scan();
  b->scan();
  ASSERT_TRUE(drive(io_, [&] {
    return a->in_flight() == 0 && b->in_flight() == 0 &&
           a->counters().failed + b->counters().failed == 4;
  }));
  EXPECT_EQ(a->counters().failed, 2u);
  EXPECT_EQ(b->counters().failed, 2u);
  EXPECT_EQ(ca_->log().new_accounts, 1);
  EXPECT_EQ(ca_->log().order_accounts, (std::vector<std::string>(4, stored_account_url())));
  EXPECT_EQ(ca_->log().jws_rejected, 0);
}

// Registers an account of its own, but another instance stores one first (its lease on the
// account expired while this registration ran); records which account each order used.
class OvertakenAcme final : public net::AcmeClient {
 public:
  OvertakenAcme(store::HostingStore& store, store::AcmeAccountRow theirs)
      : store_(store), theirs_(std::move(theirs)) {}
  std::vector<std::string> registered, ordered_with;

  asio::awaitable<net::AcmeResult<net::AcmeAccount>> ensure_account(
      std::optional<net::AcmeAccount> known) override {
    if (known) {
      co_return *known;
    }
    EXPECT_TRUE(store_.add_acme_account(theirs_));
    registered.push_back("https://ca.test/acct/mine");
    co_return net::AcmeAccount{"my-key", registered.back()};
  }

  asio::awaitable<net::AcmeResult<net::IssuedCertificate>> order(
      const net::AcmeAccount& account, std::vector<std::string>,
      net::ChallengePublisher&) override {
    ordered_with.push_back(account.url);
    co_return tl::unexpected(net::AcmeError{net::AcmeErrc::problem, "refused", {}, {}, {}, 403});
  }

 private:
  store::HostingStore& store_;
  store::AcmeAccountRow theirs_;
};

TEST_F(AcmeAccountTest, RegisteredWhileAnotherStoredOne_TheStoredOneIsUsed) {
  add_domains(2);
  const store::AcmeAccountRow theirs{ca_->directory_url(), "their-key",
                                     "https://ca.test/acct/theirs", clock_.now()};
  OvertakenAcme acme(store_->direct(), theirs);
  auto certificates = manager(acme, "test");
  certificates->scan();
  ASSERT_TRUE(failed_and_idle(*certificates, 2));
  EXPECT_EQ(acme.registered.size(), 1u);
  EXPECT_EQ(acme.ordered_with, (std::vector<std::string>(2, theirs.account_url)));
  EXPECT_EQ(*store_->direct().get_acme_account(ca_->directory_url()), theirs);
}

}  // namespace
}  // namespace mtasts::hosting::testing
