#include "mtasts/hosting/report_dkim.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mtasts/hosting/report_mail.hpp"

// libopendkim's header is C99 and spells bool as _Bool (as hosting/src/report_dkim_lib.hpp).
// NOLINTNEXTLINE(readability-identifier-naming)
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define MTASTS_TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
#define MTASTS_TEST_LSAN 1
#endif
#endif

namespace mtasts::hosting {
namespace {

// A test-only key pair: the private key in PEM for libopendkim's signer, the public key as the
// TXT record a reporter would publish.
struct TestKey {
  std::string private_pem;
  std::string record;
};

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

TestKey make_key(const char* type) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      std::strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048})
                                    : EVP_PKEY_Q_keygen(nullptr, nullptr, type),
      &EVP_PKEY_free);
  if (!key) {
    throw std::runtime_error("key generation failed");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* pem = nullptr;
  const long pem_size = BIO_get_mem_data(bio.get(), &pem);
  TestKey out;
  out.private_pem.assign(pem, static_cast<std::size_t>(pem_size));
  if (std::strcmp(type, "RSA") == 0) {
    unsigned char* der = nullptr;
    const int der_size = i2d_PUBKEY(key.get(), &der);
    out.record = "v=DKIM1; k=rsa; p=" + base64(der, static_cast<std::size_t>(der_size));
    OPENSSL_free(der);
  } else {
    unsigned char raw[32];
    std::size_t raw_size = sizeof raw;
    EVP_PKEY_get_raw_public_key(key.get(), raw, &raw_size);
    out.record = "v=DKIM1; k=ed25519; p=" + base64(raw, raw_size);  // RFC 8463 §4.2
  }
  return out;
}

const TestKey& rsa_key() {
  static const TestKey key = make_key("RSA");
  return key;
}

const TestKey& other_rsa_key() {
  static const TestKey key = make_key("RSA");
  return key;
}

struct SignOptions {
  dkim_alg_t algorithm = DKIM_SIGN_RSASHA256;
  bool body_length = false;  // sign with l=
};

// Prepends a DKIM-Signature made with libopendkim's signing API to a CRLF message.
std::string sign(const std::string& message, const TestKey& key, const std::string& domain,
                 const std::string& selector, SignOptions options = {}) {
  std::unique_ptr<DKIM_LIB, decltype(&dkim_close)> lib(dkim_init(nullptr, nullptr), &dkim_close);
  if (options.body_length) {
    unsigned int flags = DKIM_LIBFLAGS_SIGNLEN;
    dkim_options(lib.get(), DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  }
  DKIM_STAT status = DKIM_STAT_OK;
  std::unique_ptr<DKIM, decltype(&dkim_free)> dkim(
      dkim_sign(lib.get(), reinterpret_cast<const u_char*>("test"), nullptr,
                reinterpret_cast<dkim_sigkey_t>(const_cast<char*>(key.private_pem.c_str())),
                reinterpret_cast<const u_char*>(selector.c_str()),
                reinterpret_cast<const u_char*>(domain.c_str()), DKIM_CANON_RELAXED,
                DKIM_CANON_RELAXED, options.algorithm, -1, &status),
      &dkim_free);
  if (!dkim) {
    throw std::runtime_error("dkim_sign failed: " + std::to_string(status));
  }
  std::string copy = message;
  auto* bytes = reinterpret_cast<u_char*>(copy.data());
#ifdef MTASTS_TEST_LSAN
  // libopendkim 2.11 never frees the Ed25519 private key dkim_eom loads to sign
  // (dkim_privkey_load); only tests sign, so LeakSanitizer looks away from that call.
  const __lsan::ScopedDisabler signing_leaks;
#endif
  if (dkim_chunk(dkim.get(), bytes, copy.size()) != DKIM_STAT_OK ||
      dkim_chunk(dkim.get(), nullptr, 0) != DKIM_STAT_OK ||
      dkim_eom(dkim.get(), nullptr) != DKIM_STAT_OK) {
    throw std::runtime_error(std::string("signing failed: ") + dkim_geterror(dkim.get()));
  }
  u_char* header = nullptr;
  std::size_t header_size = 0;
  const std::string name = "DKIM-Signature: ";
  if (dkim_getsighdr_d(dkim.get(), name.size(), &header, &header_size) != DKIM_STAT_OK) {
    throw std::runtime_error("dkim_getsighdr_d failed");
  }
  return name + std::string(reinterpret_cast<char*>(header), header_size) + "\r\n" + message;
}

const std::string kMessage =
    "From: TLS reports <tlsrpt@sender.example>\r\n"
    "To: tlsrpt@example.com\r\n"
    "Subject: Report Domain: example.com Submitter: sender.example Report-ID: "
    "<r1@sender.example>\r\n"
    "Date: Fri, 02 Jan 2026 00:00:00 +0000\r\n"
    "Message-ID: <r1@sender.example>\r\n"
    "TLS-Report-Domain: example.com\r\n"
    "TLS-Report-Submitter: sender.example\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=tlsrpt; boundary=\"B\"\r\n"
    "\r\n"
    "--B\r\nContent-Type: text/plain\r\n\r\nA TLS report.\r\n"
    "--B\r\nContent-Type: application/tlsrpt+json\r\n\r\n{\"policies\":[]}\r\n--B--\r\n";

// A lookup over a fixed table of key names, recording what it was asked.
struct Keys {
  std::map<std::string, std::string, std::less<>> records;
  std::vector<std::string> asked;

  DkimKeyLookup lookup() {
    return [this](std::string_view name) -> std::optional<std::string> {
      asked.emplace_back(name);
      const auto it = records.find(name);
      return it == records.end() ? std::nullopt : std::optional(it->second);
    };
  }
};

TEST(ReportDkim, ValidSignatureByReportingDomain_Passes) {
  const std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::pass) << verdict.reason;
  EXPECT_EQ(verdict.domain, "sender.example");
  EXPECT_EQ(verdict.selector, "s1");
  EXPECT_EQ(keys.asked, std::vector<std::string>{"s1._domainkey.sender.example"});
  EXPECT_EQ(dkim_key_names(message), keys.asked);
}

TEST(ReportDkim, StoredWithLfLineEndsOrMboxLine_StillPasses) {
  std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  std::string lf;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message.compare(i, 2, "\r\n") != 0) {
      lf.push_back(message[i]);
    }
  }
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  EXPECT_EQ(verify_report_dkim(lf, "sender.example", keys.lookup()).result, DkimResult::pass);
  const std::string mbox = "From tlsrpt@sender.example Fri Jan  2 00:00:01 2026\n" + lf;
  EXPECT_EQ(verify_report_dkim(mbox, "sender.example", keys.lookup()).result, DkimResult::pass);
  EXPECT_EQ(dkim_key_names(mbox), std::vector<std::string>{"s1._domainkey.sender.example"});
}

TEST(ReportDkim, MixedCaseDomainAndSelector_LookedUpInLowerCase) {
  const std::string message = sign(kMessage, rsa_key(), "Sender.Example", "S1");
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::pass) << verdict.reason;
  EXPECT_EQ(verdict.domain, "sender.example");
  EXPECT_EQ(keys.asked, dkim_key_names(message));
}

TEST(ReportDkim, SignatureByParentOfReportingDomain_Passes) {
  const std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  EXPECT_EQ(verify_report_dkim(message, "Mail.Sender.Example.", keys.lookup()).result,
            DkimResult::pass);
}

TEST(ReportDkim, BodyTampered_BadSignature) {
  std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  message.replace(message.find("\"policies\":[]"), 13, "\"policies\":[1]");
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::bad_signature);
  EXPECT_NE(verdict.reason.find("body hash"), std::string::npos) << verdict.reason;
}

TEST(ReportDkim, SignedHeaderTampered_BadSignature) {
  std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  message.replace(message.find("Report-ID: <r1@"), 15, "Report-ID: <r2@");
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  EXPECT_EQ(verify_report_dkim(message, "sender.example", keys.lookup()).result,
            DkimResult::bad_signature);
}

TEST(ReportDkim, PublishedKeyIsAnother_BadSignature) {
  const std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  Keys keys{{{"s1._domainkey.sender.example", other_rsa_key().record}}, {}};
  EXPECT_EQ(verify_report_dkim(message, "sender.example", keys.lookup()).result,
            DkimResult::bad_signature);
}

TEST(ReportDkim, Unsigned_NoSignature) {
  Keys keys;
  const auto verdict = verify_report_dkim(kMessage, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::no_signature);
  EXPECT_TRUE(keys.asked.empty());
  EXPECT_TRUE(dkim_key_names(kMessage).empty());
}

TEST(ReportDkim, SignedByAnotherDomain_WrongDomain) {
  const std::string message = sign(kMessage, rsa_key(), "other.example", "s1");
  Keys keys{{{"s1._domainkey.other.example", rsa_key().record}}, {}};
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::wrong_domain) << verdict.reason;
  EXPECT_EQ(verdict.domain, "other.example");
}

TEST(ReportDkim, SignedByChildOfReportingDomain_WrongDomain) {
  const std::string message = sign(kMessage, rsa_key(), "user.sender.example", "s1");
  Keys keys{{{"s1._domainkey.user.sender.example", rsa_key().record}}, {}};
  EXPECT_EQ(verify_report_dkim(message, "sender.example", keys.lookup()).result,
            DkimResult::wrong_domain);
}

TEST(ReportDkim, LookupHasNoRecord_KeyUnavailable) {
  const std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  Keys keys;
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::key_unavailable) << verdict.reason;
  EXPECT_EQ(verdict.selector, "s1");
}

TEST(ReportDkim, LookupThrows_NoPassAndNoEscape) {
  const std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  const DkimKeyLookup throwing = [](std::string_view) -> std::optional<std::string> {
    throw std::runtime_error("resolver gone");
  };
  const auto verdict = verify_report_dkim(message, "sender.example", throwing);
  EXPECT_EQ(verdict.result, DkimResult::error);
  EXPECT_NE(verdict.reason.find("resolver gone"), std::string::npos) << verdict.reason;
}

TEST(ReportDkim, SeveralSignatures_AnyAlignedValidOnePasses) {
  const std::string once = sign(kMessage, rsa_key(), "other.example", "a");
  const std::string twice = sign(once, other_rsa_key(), "sender.example", "b");
  Keys keys{{{"a._domainkey.other.example", rsa_key().record},
             {"b._domainkey.sender.example", other_rsa_key().record}},
            {}};
  const auto verdict = verify_report_dkim(twice, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::pass) << verdict.reason;
  EXPECT_EQ(verdict.domain, "sender.example");
  EXPECT_EQ(dkim_key_names(twice), (std::vector<std::string>{"b._domainkey.sender.example",
                                                             "a._domainkey.other.example"}));
  // Without the reporting domain's key, its signature is the one the verdict is about.
  keys.records.erase("b._domainkey.sender.example");
  EXPECT_EQ(verify_report_dkim(twice, "sender.example", keys.lookup()).result,
            DkimResult::key_unavailable);
}

TEST(ReportDkim, UnreadableSignatureBesideAGoodOne_GoodOneCounts) {
  const std::string message = "DKIM-Signature: v=1; d=sender.example; s=junk\r\n" +
                              sign(kMessage, rsa_key(), "sender.example", "s1");
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::pass) << verdict.reason;
  EXPECT_EQ(verdict.selector, "s1");
}

TEST(ReportDkim, KeyWithTlsrptServiceType_Accepted) {
  const std::string message = sign(kMessage, rsa_key(), "sender.example", "s1");
  std::string record = rsa_key().record;
  record.replace(record.find("k=rsa;"), 6, "k=rsa; s=tlsrpt;");  // RFC 8460 §3's sample record
  Keys keys{{{"s1._domainkey.sender.example", record}}, {}};
  EXPECT_EQ(verify_report_dkim(message, "sender.example", keys.lookup()).result, DkimResult::pass);
}

TEST(ReportDkim, BodyLengthTag_BadSignature) {
  const std::string message =
      sign(kMessage, rsa_key(), "sender.example", "s1", {.body_length = true});
  ASSERT_NE(message.find("l="), std::string::npos);
  Keys keys{{{"s1._domainkey.sender.example", rsa_key().record}}, {}};
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::bad_signature);
  EXPECT_NE(verdict.reason.find("l="), std::string::npos) << verdict.reason;
}

TEST(ReportDkim, Ed25519Signature_Passes) {
  const TestKey key = make_key("ED25519");
  const std::string message =
      sign(kMessage, key, "sender.example", "ed", {.algorithm = DKIM_SIGN_ED25519SHA256});
  ASSERT_NE(message.find("a=ed25519-sha256"), std::string::npos);
  Keys keys{{{"ed._domainkey.sender.example", key.record}}, {}};
  const auto verdict = verify_report_dkim(message, "sender.example", keys.lookup());
  EXPECT_EQ(verdict.result, DkimResult::pass) << verdict.reason;
}

TEST(ReportDkim, NotCheckable_ErrorOrNoSignature) {
  Keys keys;
  EXPECT_EQ(verify_report_dkim("", "sender.example", keys.lookup()).result,
            DkimResult::no_signature);
  const auto unreadable = verify_report_dkim(
      "DKIM-Signature: v=1; d=sender.example; s=x\r\nFrom: a@sender.example\r\n\r\nbody",
      "sender.example", keys.lookup());
  EXPECT_EQ(unreadable.result, DkimResult::bad_signature);
  EXPECT_NE(unreadable.reason.find("missing parameter"), std::string::npos) << unreadable.reason;
  const auto no_from = verify_report_dkim(
      "DKIM-Signature: v=1; a=rsa-sha256; d=sender.example; s=x; h=from; bh=AA; b=BB\r\n\r\nbody",
      "sender.example", keys.lookup());
  EXPECT_EQ(no_from.result, DkimResult::error);
  EXPECT_NE(no_from.reason.find("from"), std::string::npos) << no_from.reason;
  const std::string huge =
      sign(kMessage, rsa_key(), "sender.example", "s1") + std::string(kReportMailMaxBytes, 'x');
  EXPECT_EQ(verify_report_dkim(huge, "sender.example", keys.lookup()).result, DkimResult::error);
  EXPECT_TRUE(dkim_key_names(huge).empty());
}

TEST(ReportDkim, KeyNames_WellFormedLowerCaseDeduplicated) {
  const std::string message =
      "DKIM-Signature: v=1; a=rsa-sha256; d=Sender.Example;\r\n s=Sel1; b=AAAA\r\n"
      "DKIM-Signature: v=1; d=sender.example; s=sel1; b=BBBB\r\n"
      "DKIM-Signature: v=1; d=bad/domain; s=x; b=CCCC\r\n"
      "DKIM-Signature: v=1; d=example.org; s=a.b_c; b=DDDD\r\n"
      "From: a@sender.example\r\n\r\nbody\r\n";
  EXPECT_EQ(dkim_key_names(message), (std::vector<std::string>{"sel1._domainkey.sender.example",
                                                               "a.b_c._domainkey.example.org"}));
}

TEST(ReportDkim, Alignment_ReportingDomainOrAParent) {
  EXPECT_TRUE(dkim_domain_aligned("example.com", "example.com"));
  EXPECT_TRUE(dkim_domain_aligned("Example.COM.", "example.com"));
  EXPECT_TRUE(dkim_domain_aligned("example.com", "mail.example.com"));
  EXPECT_FALSE(dkim_domain_aligned("mail.example.com", "example.com"));
  EXPECT_FALSE(dkim_domain_aligned("ample.com", "example.com"));
  EXPECT_FALSE(dkim_domain_aligned("com", "example.com"));
  EXPECT_FALSE(dkim_domain_aligned("", "example.com"));
  EXPECT_FALSE(dkim_domain_aligned("example.com", ""));
}

TEST(ReportDkim, ResultNames) {
  EXPECT_EQ(to_string(DkimResult::pass), "pass");
  EXPECT_EQ(to_string(DkimResult::no_signature), "no-signature");
  EXPECT_EQ(to_string(DkimResult::bad_signature), "bad-signature");
  EXPECT_EQ(to_string(DkimResult::wrong_domain), "wrong-domain");
  EXPECT_EQ(to_string(DkimResult::key_unavailable), "key-unavailable");
  EXPECT_EQ(to_string(DkimResult::error), "error");
}

}  // namespace
}  // namespace mtasts::hosting
