// The HostingStore contract, run against both backends: SQLite in a scratch directory, and the
// real PostgreSQL of scripts/start-test-stores.sh on a schema of the test's own.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "hosting_test_support.hpp"

namespace mtasts::store::test {
namespace {

using std::chrono::seconds;

using Backend = HostingStoreType;

// Runs `first` and `second` on two threads released together, and waits for both.
template <class First, class Second>
void at_once(First first, Second second) {
  std::atomic<bool> go{false};
  std::thread a([&] {
    while (!go) {
    }
    first();
  });
  std::thread b([&] {
    while (!go) {
    }
    second();
  });
  go = true;
  a.join();
  b.join();
}

class HostingContract : public HostingBackendTest {
 protected:
  // Sets the recorded schema version, as a newer mtasts would have.
  void set_schema_version(int version) {
    const std::string sql = "UPDATE host_schema SET version = " + std::to_string(version);
    if (GetParam() == Backend::postgres) {
      ASSERT_TRUE(schema_->sql(sql));
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(config_.filename.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  std::uint64_t generation() {
    auto value = store_->generation();
    EXPECT_TRUE(value.has_value()) << value.error().message;
    return value.value_or(0);
  }

  std::optional<DomainRow> domain(std::string_view name) {
    auto got = store_->get_domain(name);
    EXPECT_TRUE(got.has_value()) << got.error().message;
    return got ? *got : std::nullopt;
  }

  std::vector<std::string> history_ids(std::string_view name, std::size_t limit) {
    std::vector<std::string> ids;
    auto versions = store_->history(name, limit);
    EXPECT_TRUE(versions.has_value()) << versions.error().message;
    for (const core::PolicyVersion& version :
         versions.value_or(std::vector<core::PolicyVersion>{})) {
      ids.push_back(version.id);
    }
    return ids;
  }

  std::vector<std::string> audit_actions(std::string_view domain_name, std::size_t limit) {
    std::vector<std::string> actions;
    auto entries = store_->audit_log(domain_name, limit);
    EXPECT_TRUE(entries.has_value()) << entries.error().message;
    for (const AuditEntry& entry : entries.value_or(std::vector<AuditEntry>{})) {
      actions.push_back(entry.domain + " " + entry.action);
    }
    return actions;
  }

  const HostTime t0_ = host_time(kT0);
};

TEST_P(HostingContract, Add_ThenGetAndList_RoundTripEveryField) {
  DomainRow row = make_domain_row("example.com", "20231114221320", t0_);
  row.domain.records = core::RecordMode::delegated;
  row.domain.state = core::HostedState::removing;
  row.domain.serve_until = t0_ + seconds(604'800);
  row.domain.updated_at = t0_ + seconds(5);
  row.published_id = "20231114221320";
  row.published_at = t0_ + seconds(10);
  DomainRow other = make_domain_row("b.example", "1", t0_, {});
  other.domain.current.policy.mode = core::PolicyMode::none;

  ASSERT_OK(store_->add_domain(row, audit_entry("example.com", "domain.add", t0_)));
  ASSERT_OK(store_->add_domain(other, audit_entry("b.example", "domain.add", t0_)));

  EXPECT_EQ(domain("example.com"), row);
  EXPECT_EQ(domain("b.example"), other);
  EXPECT_EQ(domain("unknown.example"), std::nullopt);
  const auto all = store_->list_domains();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<DomainRow>{other, row}));  // by name
  const auto versions = store_->history("example.com", 10);
  ASSERT_TRUE(versions.has_value()) << versions.error().message;
  EXPECT_EQ(*versions, std::vector<core::PolicyVersion>{row.domain.current});
  EXPECT_EQ(store_->name(), backend_name(GetParam()));
}

TEST_P(HostingContract, Add_Existing_InvalidArgumentAndNothingWritten) {
  const DomainRow row = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(row, audit_entry("example.com", "domain.add", t0_)));
  const std::uint64_t before = generation();

  const auto again = store_->add_domain(changed(row, "2", t0_ + seconds(1)),
                                        audit_entry("example.com", "domain.add", t0_));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::invalid_argument);
  EXPECT_NE(again.error().message.find("example.com"), std::string::npos) << again.error().message;
  EXPECT_EQ(domain("example.com"), row);
  EXPECT_EQ(history_ids("example.com", 10), std::vector<std::string>{"1"});
  EXPECT_EQ(audit_actions("", 10), std::vector<std::string>{"example.com domain.add"});
  EXPECT_EQ(generation(), before);
}

TEST_P(HostingContract, Add_RowsThatCannotRoundTrip_InvalidArgument) {
  const AuditEntry audit = audit_entry("example.com", "domain.add", t0_);
  const std::vector<DomainRow> bad = {
      make_domain_row("", "1", t0_),
      make_domain_row("example.com", "", t0_),
      make_domain_row("example.com", "1", t0_, {"mx1.example.net", ""}),
      make_domain_row("example.com", "1", t0_, {"mx1.example.net\nmx2.example.net"}),
      make_domain_row("example.com", "1", t0_, {std::string("mx\0.example.net", 15)}),
  };
  for (const DomainRow& row : bad) {
    const auto added = store_->add_domain(row, audit);
    ASSERT_FALSE(added.has_value()) << row.domain.name << " " << row.domain.current.id;
    EXPECT_EQ(added.error().code, Errc::invalid_argument) << added.error().message;
  }
  const auto all = store_->list_domains();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_TRUE(all->empty());
}

TEST_P(HostingContract, Update_WithTheCurrentId_ReplacesAndAppendsTheVersion) {
  const DomainRow first = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(first, audit_entry("example.com", "domain.add", t0_)));
  DomainRow second = changed(first, "2", t0_ + seconds(60));
  second.domain.current.policy.mx = {"mx2.example.net"};

  const auto updated =
      store_->update_domain(second, "1", audit_entry("example.com", "domain.set", t0_));
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_TRUE(*updated);
  EXPECT_EQ(domain("example.com"), second);
  const auto versions = store_->history("example.com", 10);
  ASSERT_TRUE(versions.has_value()) << versions.error().message;
  EXPECT_EQ(*versions,
            (std::vector<core::PolicyVersion>{second.domain.current, first.domain.current}));
  EXPECT_EQ(audit_actions("example.com", 10),
            (std::vector<std::string>{"example.com domain.set", "example.com domain.add"}));
}

TEST_P(HostingContract, Update_StaleOrUnknown_FalseAndNothingWritten) {
  const DomainRow first = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(first, audit_entry("example.com", "domain.add", t0_)));
  const DomainRow second = changed(first, "2", t0_ + seconds(1));
  ASSERT_TRUE(store_->update_domain(second, "1", audit_entry("example.com", "domain.set", t0_))
                  .value_or(false));
  const std::uint64_t before = generation();

  const auto stale = store_->update_domain(changed(first, "3", t0_ + seconds(2)), "1",
                                           audit_entry("example.com", "domain.set", t0_));
  ASSERT_TRUE(stale.has_value()) << stale.error().message;
  EXPECT_FALSE(*stale);
  const auto unknown = store_->update_domain(make_domain_row("unknown.example", "2", t0_), "1",
                                             audit_entry("unknown.example", "domain.set", t0_));
  ASSERT_TRUE(unknown.has_value()) << unknown.error().message;
  EXPECT_FALSE(*unknown);

  EXPECT_EQ(domain("example.com"), second);
  EXPECT_EQ(history_ids("example.com", 10), (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(history_ids("unknown.example", 10), std::vector<std::string>{});
  EXPECT_EQ(audit_actions("", 10),
            (std::vector<std::string>{"example.com domain.set", "example.com domain.add"}));
  EXPECT_EQ(generation(), before);
}

TEST_P(HostingContract, Update_SameVersion_NoNewHistoryEntry) {
  const DomainRow first = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(first, audit_entry("example.com", "domain.add", t0_)));
  DomainRow published = first;
  published.published_id = "1";
  published.published_at = t0_ + seconds(5);

  const auto updated = store_->update_domain(
      published, "1", audit_entry("example.com", "record.updated", t0_ + seconds(5)));
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_TRUE(*updated);
  EXPECT_EQ(domain("example.com"), published);
  EXPECT_EQ(history_ids("example.com", 10), std::vector<std::string>{"1"});
}

TEST_P(HostingContract, Update_IdOfAnotherPolicy_InvalidArgumentAndNothingWritten) {
  const DomainRow first = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(first, audit_entry("example.com", "domain.add", t0_)));
  // Same id, another policy: an id names one policy forever.
  const DomainRow edited = changed(first, "1", t0_ + seconds(1));

  const auto updated =
      store_->update_domain(edited, "1", audit_entry("example.com", "domain.set", t0_));
  ASSERT_FALSE(updated.has_value());
  EXPECT_EQ(updated.error().code, Errc::invalid_argument) << updated.error().message;
  EXPECT_EQ(domain("example.com"), first);
  EXPECT_EQ(audit_actions("", 10), std::vector<std::string>{"example.com domain.add"});
}

TEST_P(HostingContract, Update_TwoStoresRacing_ExactlyOneWins) {
  const DomainRow first = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(first, audit_entry("example.com", "domain.add", t0_)));
  auto other = open_hosting_or_fail(config_);
  ASSERT_NE(other, nullptr);

  for (int round = 0; round < 20; ++round) {
    const auto current = domain("example.com");
    ASSERT_TRUE(current.has_value());
    const std::string expected = current->domain.current.id;
    const int base = 100 + round * 10;
    const DomainRow mine =
        changed(*current, std::to_string(base + 1), t0_ + seconds(base), core::PolicyMode::enforce);
    const DomainRow theirs =
        changed(*current, std::to_string(base + 2), t0_ + seconds(base), core::PolicyMode::none);
    Result<bool> mine_won = false;
    Result<bool> theirs_won = false;
    at_once(
        [&] {
          mine_won = store_->update_domain(mine, expected, audit_entry("example.com", "a", t0_));
        },
        [&] {
          theirs_won = other->update_domain(theirs, expected, audit_entry("example.com", "b", t0_));
        });
    ASSERT_TRUE(mine_won.has_value()) << mine_won.error().message;
    ASSERT_TRUE(theirs_won.has_value()) << theirs_won.error().message;
    ASSERT_NE(*mine_won, *theirs_won) << "round " << round;
    EXPECT_EQ(domain("example.com"), *mine_won ? mine : theirs);
  }
  EXPECT_EQ(history_ids("example.com", 100).size(), 21U);
  EXPECT_EQ(audit_actions("example.com", 100).size(), 21U);
}

TEST_P(HostingContract, History_NewestFirstWithLimit) {
  DomainRow row = make_domain_row("example.com", "20231114221320", t0_);
  ASSERT_OK(store_->add_domain(row, audit_entry("example.com", "domain.add", t0_)));
  // Two changes in one second (ids then grow by one), and the clock going back.
  const std::vector<std::pair<std::string, std::int64_t>> changes = {
      {"20231114221321", 1}, {"20231114221322", 1}, {"20231114221323", -30}};
  for (const auto& [id, offset] : changes) {
    const std::string expected = row.domain.current.id;
    row = changed(row, id, t0_ + seconds(offset),
                  id.back() == '2' ? core::PolicyMode::none : core::PolicyMode::enforce,
                  static_cast<std::uint32_t>(86'400 + id.back()));
    ASSERT_TRUE(store_->update_domain(row, expected, audit_entry("example.com", "domain.set", t0_))
                    .value_or(false));
  }
  ASSERT_OK(store_->add_domain(make_domain_row("other.example", "20231114221399", t0_),
                               audit_entry("other.example", "domain.add", t0_)));

  EXPECT_EQ(history_ids("example.com", 3),
            (std::vector<std::string>{"20231114221323", "20231114221322", "20231114221321"}));
  EXPECT_EQ(history_ids("example.com", 100).size(), 4U);
  EXPECT_EQ(history_ids("example.com", 0), std::vector<std::string>{});
  EXPECT_EQ(history_ids("other.example", 100), std::vector<std::string>{"20231114221399"});
}

TEST_P(HostingContract, Drop_KeepsHistoryAndAudit) {
  const DomainRow row = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(row, audit_entry("example.com", "domain.add", t0_)));
  ASSERT_OK(store_->put_monitor_result({"example.com", t0_, false, "[]"}));

  const auto dropped = store_->drop_domain(
      "example.com", audit_entry("example.com", "domain.drop", t0_ + seconds(1)));
  ASSERT_TRUE(dropped.has_value()) << dropped.error().message;
  EXPECT_TRUE(*dropped);
  EXPECT_EQ(domain("example.com"), std::nullopt);
  EXPECT_EQ(history_ids("example.com", 10), std::vector<std::string>{"1"});
  EXPECT_EQ(audit_actions("example.com", 10),
            (std::vector<std::string>{"example.com domain.drop", "example.com domain.add"}));
  const auto monitor = store_->get_monitor_result("example.com");
  ASSERT_TRUE(monitor.has_value()) << monitor.error().message;
  EXPECT_EQ(*monitor, std::nullopt);  // it went with the domain

  const auto again = store_->drop_domain("example.com", audit_entry("example.com", "x", t0_));
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_FALSE(*again);
  EXPECT_EQ(audit_actions("example.com", 10).size(), 2U);

  // Added again later: a new first version beside the old history.
  ASSERT_OK(store_->add_domain(make_domain_row("example.com", "5", t0_ + seconds(9)),
                               audit_entry("example.com", "domain.add", t0_)));
  EXPECT_EQ(history_ids("example.com", 10), (std::vector<std::string>{"5", "1"}));
}

TEST_P(HostingContract, Generation_GrowsOnEveryWriteNotOnReads) {
  std::uint64_t last = generation();
  auto grew = [&](const char* what) {
    const std::uint64_t now = generation();
    EXPECT_GT(now, last) << what;
    last = now;
  };
  const DomainRow row = make_domain_row("example.com", "1", t0_);
  ASSERT_OK(store_->add_domain(row, audit_entry("example.com", "domain.add", t0_)));
  grew("add_domain");
  ASSERT_TRUE(
      store_->update_domain(changed(row, "2", t0_), "1", audit_entry("example.com", "s", t0_))
          .value_or(false));
  grew("update_domain");
  CertificateRow cert =
      make_certificate("mta-sts.example.com", "CHAIN", "KEY", t0_, t0_ + seconds(90 * 86400));
  ASSERT_OK(store_->put_certificate(cert));
  grew("put_certificate");
  cert.chain_pem = "CHAIN2";
  ASSERT_OK(store_->put_certificate(cert));
  grew("put_certificate (replace)");
  ASSERT_TRUE(store_->delete_certificate("mta-sts.example.com").value_or(false));
  grew("delete_certificate");
  ASSERT_TRUE(
      store_->drop_domain("example.com", audit_entry("example.com", "d", t0_)).value_or(false));
  grew("drop_domain");

  EXPECT_OK(store_->list_domains());
  EXPECT_OK(store_->get_domain("example.com"));
  EXPECT_OK(store_->history("example.com", 10));
  EXPECT_OK(store_->list_certificates());
  EXPECT_OK(store_->get_certificate("mta-sts.example.com"));
  EXPECT_OK(store_->audit_log("", 10));
  EXPECT_EQ(generation(), last);
  EXPECT_EQ(generation(), last);
}

TEST_P(HostingContract, Certificates_PutReplaceDelete) {
  const CertificateRow a = make_certificate("mta-sts.a.example", "-----BEGIN CERTIFICATE-----\nA\n",
                                            "KEY-A", t0_, t0_ + seconds(7'776'000));
  CertificateRow b = make_certificate("mta-sts.b.example", "", "", {}, {});
  b.failures = 3;
  b.last_error = "rateLimited: too many";
  b.retry_at = t0_ + seconds(300);
  ASSERT_OK(store_->put_certificate(a));
  ASSERT_OK(store_->put_certificate(b));
  auto all = store_->list_certificates();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<CertificateRow>{a, b}));

  b = make_certificate("mta-sts.b.example", "CHAIN-B", "KEY-B", t0_, t0_ + seconds(100));
  ASSERT_OK(store_->put_certificate(b));  // success clears the failures
  auto got = store_->get_certificate("mta-sts.b.example");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, b);

  auto deleted = store_->delete_certificate("mta-sts.a.example");
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_TRUE(*deleted);
  deleted = store_->delete_certificate("mta-sts.a.example");
  ASSERT_TRUE(deleted.has_value()) << deleted.error().message;
  EXPECT_FALSE(*deleted);
  got = store_->get_certificate("mta-sts.a.example");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::nullopt);
  all = store_->list_certificates();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(*all, std::vector<CertificateRow>{b});
}

TEST_P(HostingContract, AcmeAccount_OnePerDirectory) {
  const AcmeAccountRow staging{"https://acme-staging.example/dir", "KEY1",
                               "https://acme-staging.example/acct/1", t0_};
  AcmeAccountRow production{"https://acme.example/dir", "KEY2", "https://acme.example/acct/7",
                            t0_ + seconds(1)};
  ASSERT_OK(store_->put_acme_account(staging));
  ASSERT_OK(store_->put_acme_account(production));
  production.account_url = "https://acme.example/acct/8";
  production.key_pem = "KEY3";
  ASSERT_OK(store_->put_acme_account(production));

  auto got = store_->get_acme_account("https://acme-staging.example/dir");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, staging);
  got = store_->get_acme_account("https://acme.example/dir");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, production);
  got = store_->get_acme_account("https://other.example/dir");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::nullopt);
}

TEST_P(HostingContract, AcmeAccount_Added_FirstStoredWins) {
  const AcmeAccountRow first{"https://acme.example/dir", "KEY1", "https://acme.example/acct/1",
                             t0_};
  const AcmeAccountRow second{"https://acme.example/dir", "KEY2", "https://acme.example/acct/2",
                              t0_ + seconds(5)};
  const AcmeAccountRow staging{"https://acme-staging.example/dir", "KEY3",
                               "https://acme-staging.example/acct/3", t0_};
  auto added = store_->add_acme_account(first);
  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_EQ(*added, first);
  added = store_->add_acme_account(second);
  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_EQ(*added, first);  // the one stored before, unchanged
  added = store_->add_acme_account(staging);
  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_EQ(*added, staging);
  auto got = store_->get_acme_account("https://acme.example/dir");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, first);
  added = store_->add_acme_account(AcmeAccountRow{"", "KEY", "https://acme.example/acct/9", t0_});
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, Errc::invalid_argument);
}

TEST_P(HostingContract, AcmeAccount_TwoStoresAddingAtOnce_BothGetTheWinner) {
  auto other = open_hosting_or_fail(config_);
  ASSERT_NE(other, nullptr);
  for (int round = 0; round < 20; ++round) {
    const std::string directory = "https://acme.example/dir/" + std::to_string(round);
    const AcmeAccountRow mine{directory, "KEY-A", directory + "/acct/a", t0_};
    const AcmeAccountRow theirs{directory, "KEY-B", directory + "/acct/b", t0_};
    Result<AcmeAccountRow> mine_got = AcmeAccountRow{};
    Result<AcmeAccountRow> theirs_got = AcmeAccountRow{};
    at_once([&] { mine_got = store_->add_acme_account(mine); },
            [&] { theirs_got = other->add_acme_account(theirs); });
    ASSERT_TRUE(mine_got.has_value()) << mine_got.error().message;
    ASSERT_TRUE(theirs_got.has_value()) << theirs_got.error().message;
    EXPECT_EQ(*mine_got, *theirs_got) << "round " << round;
    EXPECT_TRUE(*mine_got == mine || *mine_got == theirs);
    EXPECT_EQ(store_->get_acme_account(directory).value_or(std::nullopt), *mine_got);
  }
}

TEST_P(HostingContract, Challenge_AnsweredUntilItExpires) {
  const ChallengeRow http{"tok-123_abc", "mta-sts.example.com", "tok-123_abc.thumbprint",
                          t0_ + seconds(600)};
  const ChallengeRow alpn{"alpn:mta-sts.example.com", "mta-sts.example.com", "ka",
                          t0_ + seconds(60)};
  ASSERT_OK(store_->put_challenge(http));
  ASSERT_OK(store_->put_challenge(alpn));

  auto got = store_->get_challenge("tok-123_abc", t0_ + seconds(599));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, http);
  got = store_->get_challenge("tok-123_abc", t0_ + seconds(600));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::nullopt) << "expired at now";
  got = store_->get_challenge("alpn:mta-sts.example.com", t0_);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, alpn);

  ASSERT_OK(store_->delete_challenge("alpn:mta-sts.example.com"));
  got = store_->get_challenge("alpn:mta-sts.example.com", t0_);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::nullopt);
  EXPECT_OK(store_->delete_challenge("never-stored"));
}

TEST_P(HostingContract, ListChallenges_ThoseNotExpired_ByToken) {
  const ChallengeRow late{"tok-b", "mta-sts.b.example", "tok-b.thumb", t0_ + seconds(600)};
  const ChallengeRow early{"alpn:mta-sts.a.example", "mta-sts.a.example", "ka", t0_ + seconds(60)};
  auto listed = store_->list_challenges(t0_);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_TRUE(listed->empty());
  ASSERT_OK(store_->put_challenge(late));
  ASSERT_OK(store_->put_challenge(early));

  listed = store_->list_challenges(t0_);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(*listed, (std::vector<ChallengeRow>{early, late}));
  listed = store_->list_challenges(t0_ + seconds(60));
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(*listed, std::vector<ChallengeRow>{late}) << "expired at now";
  ASSERT_OK(store_->delete_challenge("tok-b"));
  listed = store_->list_challenges(t0_);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(*listed, std::vector<ChallengeRow>{early});
}

TEST_P(HostingContract, Lease_ExclusiveExtendedTakenOverReleased) {
  const seconds ttl(60);
  auto acquire = [&](const char* holder, std::int64_t at) {
    auto got = store_->acquire_lease("acme:mta-sts.example.com", holder, ttl, t0_ + seconds(at));
    EXPECT_TRUE(got.has_value()) << got.error().message;
    return got.value_or(false);
  };
  EXPECT_TRUE(acquire("a", 0));
  EXPECT_FALSE(acquire("b", 1));
  EXPECT_FALSE(acquire("b", 59));
  EXPECT_TRUE(acquire("a", 30));  // extended to 90
  EXPECT_FALSE(acquire("b", 60));
  EXPECT_FALSE(acquire("b", 89));
  EXPECT_TRUE(acquire("b", 90));  // expired: taken over
  EXPECT_FALSE(acquire("a", 91));

  EXPECT_OK(store_->release_lease("acme:mta-sts.example.com", "a"));  // not a's: no effect
  EXPECT_FALSE(acquire("a", 92));
  EXPECT_OK(store_->release_lease("acme:mta-sts.example.com", "b"));
  EXPECT_TRUE(acquire("a", 93));
  // Another name is another lease.
  auto other = store_->acquire_lease("record:example.com", "b", ttl, t0_ + seconds(93));
  ASSERT_TRUE(other.has_value()) << other.error().message;
  EXPECT_TRUE(*other);

  const auto bad = store_->acquire_lease("x", "a", seconds(0), t0_);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

TEST_P(HostingContract, Lease_TwoStores_OneHolder) {
  auto other = open_hosting_or_fail(config_);
  ASSERT_NE(other, nullptr);
  const auto mine = store_->acquire_lease("sync", "a", seconds(30), t0_);
  const auto theirs = other->acquire_lease("sync", "b", seconds(30), t0_);
  ASSERT_TRUE(mine.has_value()) << mine.error().message;
  ASSERT_TRUE(theirs.has_value()) << theirs.error().message;
  EXPECT_TRUE(*mine);
  EXPECT_FALSE(*theirs);
}

TEST_P(HostingContract, Instances_HeartbeatReplacesTheRowAndBumpsNothing) {
  const std::uint64_t before = generation();
  InstanceRow a{"b-host:12", "1.2.0", t0_, t0_, seconds(5), R"(["https *:443"])"};
  const InstanceRow b{"a-host:7", "1.1.0", t0_ - seconds(60), t0_ - seconds(1), seconds(10), "[]"};
  ASSERT_OK(store_->put_instance(a));
  ASSERT_OK(store_->put_instance(b));
  a.last_seen = t0_ + seconds(5);
  a.listeners = R"(["https *:443","admin 127.0.0.1:8443"])";
  ASSERT_OK(store_->put_instance(a));

  auto all = store_->list_instances();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<InstanceRow>{b, a}));
  // Heartbeats are no change the instances reload for.
  EXPECT_EQ(generation(), before);
}

TEST_P(HostingContract, Instances_NoName_InvalidArgument) {
  const auto put = store_->put_instance(InstanceRow{"", "1.0", t0_, t0_, seconds(5), "[]"});
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, Errc::invalid_argument);
}

TEST_P(HostingContract, Instances_PruneDeletesThoseLastSeenBefore) {
  ASSERT_OK(store_->put_instance(InstanceRow{"old", "1.0", t0_, t0_, seconds(5), "[]"}));
  ASSERT_OK(
      store_->put_instance(InstanceRow{"edge", "1.0", t0_, t0_ + seconds(100), seconds(5), "[]"}));
  ASSERT_OK(
      store_->put_instance(InstanceRow{"new", "1.0", t0_, t0_ + seconds(200), seconds(5), "[]"}));

  auto pruned = store_->prune_instances(t0_ + seconds(100));
  ASSERT_TRUE(pruned.has_value()) << pruned.error().message;
  EXPECT_EQ(*pruned, 1U);
  auto all = store_->list_instances();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  ASSERT_EQ(all->size(), 2U);
  EXPECT_EQ((*all)[0].name, "edge");
  EXPECT_EQ((*all)[1].name, "new");
  pruned = store_->prune_instances(t0_);
  ASSERT_TRUE(pruned.has_value()) << pruned.error().message;
  EXPECT_EQ(*pruned, 0U);
}

TEST_P(HostingContract, Monitor_LatestResultPerDomain) {
  ASSERT_OK(store_->add_domain(make_domain_row("example.com", "1", t0_),
                               audit_entry("example.com", "domain.add", t0_)));
  const MonitorRow first{"example.com", t0_, true, "[]"};
  const MonitorRow second{"example.com", t0_ + seconds(3600), false,
                          R"([{"code":"hosted-id-stale","detail":"caf\u00e9 ☕"}])"};
  ASSERT_OK(store_->put_monitor_result(first));
  ASSERT_OK(store_->put_monitor_result(second));
  auto got = store_->get_monitor_result("example.com");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, second);
  got = store_->get_monitor_result("other.example");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::nullopt);

  const auto unhosted = store_->put_monitor_result({"other.example", t0_, true, "[]"});
  ASSERT_FALSE(unhosted.has_value());
  EXPECT_EQ(unhosted.error().code, Errc::invalid_argument) << unhosted.error().message;
}

TEST_P(HostingContract, Audit_NewestFirstWithTheDomainFilter) {
  ASSERT_OK(store_->append_audit(audit_entry("a.example", "cert.issued", t0_)));
  ASSERT_OK(store_->append_audit(audit_entry("", "system.start", t0_ + seconds(1))));
  ASSERT_OK(store_->append_audit(
      audit_entry("b.example", "cert.failed", t0_ + seconds(2), R"({"error":"ünïcode"})")));
  ASSERT_OK(store_->append_audit(audit_entry("a.example", "record.updated", t0_ + seconds(3))));

  const auto all = store_->audit_log("", 10);
  ASSERT_TRUE(all.has_value()) << all.error().message;
  ASSERT_EQ(all->size(), 4U);
  EXPECT_EQ((*all)[0].action, "record.updated");
  EXPECT_EQ((*all)[3].action, "cert.issued");
  for (std::size_t i = 1; i < all->size(); ++i) {
    EXPECT_GT((*all)[i - 1].seq, (*all)[i].seq);
  }
  AuditEntry expected =
      audit_entry("b.example", "cert.failed", t0_ + seconds(2), R"({"error":"ünïcode"})");
  expected.seq = (*all)[1].seq;
  EXPECT_EQ((*all)[1], expected);

  EXPECT_EQ(audit_actions("a.example", 10),
            (std::vector<std::string>{"a.example record.updated", "a.example cert.issued"}));
  EXPECT_EQ(audit_actions("a.example", 1), std::vector<std::string>{"a.example record.updated"});
  EXPECT_EQ(audit_actions("", 2),
            (std::vector<std::string>{"a.example record.updated", "b.example cert.failed"}));
  EXPECT_EQ(audit_actions("c.example", 10), std::vector<std::string>{});
}

TEST_P(HostingContract, Text_WithANulByte_InvalidArgument) {
  const auto put = store_->put_challenge({std::string("t\0k", 3), "n", "ka", t0_});
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, Errc::invalid_argument) << put.error().message;
}

TEST_P(HostingContract, OpenTwice_SharesTheData) {
  ASSERT_OK(store_->add_domain(make_domain_row("example.com", "1", t0_),
                               audit_entry("example.com", "domain.add", t0_)));
  auto again = open_hosting_or_fail(config_);
  ASSERT_NE(again, nullptr);
  const auto got = again->get_domain("example.com");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_TRUE(got->has_value());
  const auto first = store_->generation();
  const auto second = again->generation();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(*first, *second);
}

TEST_P(HostingContract, Open_NewerSchema_Incompatible) {
  store_.reset();
  set_schema_version(99);
  const auto store = open_hosting_store(config_);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, Errc::incompatible) << store.error().message;
  EXPECT_NE(store.error().message.find("99"), std::string::npos) << store.error().message;
}

TEST_P(HostingContract, StoredValueThatDoesNotDecode_CorruptNamingTheRow) {
  ASSERT_OK(store_->add_domain(make_domain_row("example.com", "1", t0_),
                               audit_entry("example.com", "domain.add", t0_)));
  const std::string sql = "UPDATE host_domains SET mode = 'strict'";
  if (GetParam() == Backend::postgres) {
    ASSERT_TRUE(schema_->sql(sql));
  } else {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(config_.filename.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  const auto got = store_->get_domain("example.com");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, Errc::corrupt);
  EXPECT_NE(got.error().message.find("example.com"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("strict"), std::string::npos) << got.error().message;
}

INSTANTIATE_TEST_SUITE_P(Backends, HostingContract,
                         ::testing::Values(Backend::sqlite, Backend::postgres), BackendParamName());

}  // namespace
}  // namespace mtasts::store::test
