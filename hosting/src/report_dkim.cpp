#include "mtasts/hosting/report_dkim.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>

#include "mtasts/hosting/report_mail.hpp"
#include "report_dkim_lib.hpp"
#include "report_dkim_message.hpp"

namespace mtasts::hosting {

namespace {

struct DkimLibClose {
  void operator()(DKIM_LIB* lib) const { dkim_close(lib); }
};
struct DkimFree {
  void operator()(DKIM* dkim) const { dkim_free(dkim); }
};

// What the key lookup callback saw, reached through dkim_set_user_context.
struct LookupContext {
  const DkimKeyLookup* lookup = nullptr;
  std::vector<std::string> missing;  // key names the lookup had no record for
  std::string failure;               // why a record could not be handed over, if one could not
};

std::string text_of(const unsigned char* text) {
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

// libopendkim's key lookup callback (dkim_set_key_lookup): the record comes from the caller's
// lookup, never from DNS.
DKIM_CBSTAT lookup_key(DKIM* dkim, DKIM_SIGINFO* sig, u_char* buf, size_t buflen) {
  auto* context = static_cast<LookupContext*>(dkim_get_user_context(dkim));
  if (context == nullptr) {
    return DKIM_CBSTAT_ERROR;
  }
  // The name as dkim_key_names gave it to the caller; malformed ones are not looked up.
  const auto name =
      dkim_key_name(text_of(dkim_sig_getselector(sig)), text_of(dkim_sig_getdomain(sig)));
  if (!name) {
    return DKIM_CBSTAT_NOTFOUND;
  }
  std::optional<std::string> record;
  try {
    record = (*context->lookup)(*name);
  } catch (const std::exception& e) {  // an exception must not unwind through libopendkim
    context->failure = "the key lookup for " + *name + " failed: " + e.what();
    return DKIM_CBSTAT_ERROR;
  }
  if (!record) {
    context->missing.push_back(*name);
    return DKIM_CBSTAT_NOTFOUND;
  }
  const std::string usable = dkim_accept_tlsrpt_service(*record);
  if (usable.size() + 1 > buflen) {
    context->failure = "the key record of " + *name + " is too long";
    return DKIM_CBSTAT_ERROR;
  }
  std::memcpy(buf, usable.data(), usable.size());
  buf[usable.size()] = '\0';
  return DKIM_CBSTAT_CONTINUE;
}

struct SignatureOutcome {
  DkimResult result = DkimResult::error;  // pass, bad_signature, key_unavailable or error
  std::string domain;
  std::string selector;
  std::string reason;
};

SignatureOutcome judge_signature(DKIM_SIGINFO* sig, const LookupContext& context) {
  SignatureOutcome outcome;
  const std::string domain = text_of(dkim_sig_getdomain(sig));
  outcome.domain = dkim_domain_name(domain).value_or(domain);
  outcome.selector = text_of(dkim_sig_getselector(sig));
  const unsigned int flags = dkim_sig_getflags(sig);
  const int error = dkim_sig_geterror(sig);
  const auto name = dkim_key_name(outcome.selector, domain);
  if (!name) {
    outcome.result = DkimResult::bad_signature;
    outcome.reason = "d= or s= is not a domain name";
  } else if (std::find(context.missing.begin(), context.missing.end(), *name) !=
                 context.missing.end() ||
             error == DKIM_SIGERROR_NOKEY || error == DKIM_SIGERROR_KEYFAIL) {
    outcome.result = DkimResult::key_unavailable;
    outcome.reason = "no key record for " + *name;
  } else if ((flags & DKIM_SIGFLAG_PASSED) != 0 && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
    const bool length_limited =
        dkim_sig_gettagvalue(sig, false, reinterpret_cast<u_char*>(const_cast<char*>("l"))) !=
        nullptr;
    outcome.result = length_limited ? DkimResult::bad_signature : DkimResult::pass;
    outcome.reason =
        length_limited ? "signature uses l=, which RFC 8460 §3 forbids" : "valid signature";
  } else if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
    outcome.result = DkimResult::bad_signature;
    outcome.reason = "body hash mismatch: the body was changed";
  } else if (error != DKIM_SIGERROR_UNKNOWN && error != DKIM_SIGERROR_OK) {
    outcome.result = DkimResult::bad_signature;
    const char* text = dkim_sig_geterrorstr(error);
    outcome.reason = text != nullptr ? text : "signature unusable";
  } else if ((flags & DKIM_SIGFLAG_PROCESSED) != 0) {
    outcome.result = DkimResult::bad_signature;
    outcome.reason = "signature mismatch: the signed header fields were changed";
  } else {
    outcome.result = DkimResult::error;
    outcome.reason = context.failure.empty() ? "signature not processed" : context.failure;
  }
  return outcome;
}

// Lower is more telling; see verify_report_dkim's contract.
int rank(const SignatureOutcome& outcome, bool aligned) {
  const int base = aligned ? 0 : 4;
  switch (outcome.result) {
    case DkimResult::pass:
      return base;
    case DkimResult::key_unavailable:
      return base + 1;
    case DkimResult::bad_signature:
      return base + 2;
    case DkimResult::error:
    case DkimResult::no_signature:
    case DkimResult::wrong_domain:
      return base + 3;
  }
  return base + 3;
}

DkimVerdict verdict_of(const SignatureOutcome& outcome, bool aligned,
                       std::string_view reporting_domain) {
  DkimVerdict verdict{outcome.result, outcome.domain, outcome.selector, outcome.reason};
  if (outcome.result == DkimResult::pass && !aligned) {
    verdict.result = DkimResult::wrong_domain;
    verdict.reason = "valid signature by d=" + outcome.domain + ", which is not " +
                     std::string(reporting_domain) + " or a parent of it";
  } else if (outcome.result == DkimResult::pass) {
    verdict.reason = "valid signature by d=" + outcome.domain;
  }
  return verdict;
}

// Why the library stopped, in the most specific words there are.
std::string library_failure(DKIM* dkim, DKIM_STAT status, const LookupContext& context) {
  if (!context.failure.empty()) {
    return context.failure;
  }
  const char* error = dkim_geterror(dkim);
  if (error == nullptr || *error == '\0') {
    error = dkim_getresultstr(status);
  }
  return std::string("libopendkim: ") +
         (error != nullptr ? error : "status " + std::to_string(status));
}

DkimVerdict fail_verdict(DkimResult result, std::string reason) {
  return DkimVerdict{result, "", "", std::move(reason)};
}

bool has_signature_field(const DkimMessageParts& parts) {
  return std::any_of(parts.fields.begin(), parts.fields.end(), [](std::string_view field) {
    return dkim_field_value(field, "DKIM-Signature").has_value();
  });
}

u_char* bytes(std::string& text, std::size_t offset) {
  return reinterpret_cast<u_char*>(text.data() + offset);
}

struct VerifierRun {
  DKIM_STAT status = DKIM_STAT_OK;  // of the first step that failed, or of dkim_eom
  std::string unreadable;           // why a DKIM-Signature field was left out, if one was
};

// Feeds the message to `dkim`. A DKIM-Signature field libopendkim cannot parse is left out:
// dkim_header would stop at it, and the other signatures must still count.
VerifierRun run_verifier(DKIM* dkim, std::string& crlf, const DkimMessageParts& parts) {
  VerifierRun run;
  for (const std::string_view field : parts.fields) {
    if (const auto value = dkim_field_value(field, "DKIM-Signature")) {
      const auto offset = static_cast<std::size_t>(value->data() - crlf.data());
      if (dkim_sig_syntax(dkim, bytes(crlf, offset), value->size()) != DKIM_STAT_OK) {
        const char* error = dkim_geterror(dkim);
        run.unreadable = error != nullptr ? error : "syntax error";
        continue;
      }
    }
    const auto offset = static_cast<std::size_t>(field.data() - crlf.data());
    run.status = dkim_header(dkim, bytes(crlf, offset), field.size());
    if (run.status != DKIM_STAT_OK) {
      return run;
    }
  }
  run.status = dkim_eoh(dkim);
  if (run.status != DKIM_STAT_OK) {
    return run;
  }
  if (!parts.body.empty()) {
    const auto offset = static_cast<std::size_t>(parts.body.data() - crlf.data());
    run.status = dkim_body(dkim, bytes(crlf, offset), parts.body.size());
    if (run.status != DKIM_STAT_OK) {
      return run;
    }
  }
  run.status = dkim_eom(dkim, nullptr);
  return run;
}

// The verdict over every signature libopendkim read (see verify_report_dkim's contract).
DkimVerdict judge_all(DKIM* dkim, const VerifierRun& run, const LookupContext& context,
                      std::string_view reporting_domain) {
  DKIM_SIGINFO** sigs = nullptr;
  int count = 0;
  if (dkim_getsiglist(dkim, &sigs, &count) != DKIM_STAT_OK || sigs == nullptr || count < 1) {
    if (run.status == DKIM_STAT_NOSIG || !run.unreadable.empty()) {
      return fail_verdict(DkimResult::bad_signature,
                          "no DKIM-Signature header field is readable" +
                              (run.unreadable.empty() ? "" : ": " + run.unreadable));
    }
    return fail_verdict(DkimResult::error, library_failure(dkim, run.status, context));
  }
  std::optional<DkimVerdict> best;
  int best_rank = 0;
  for (int i = 0; i < count; ++i) {
    const SignatureOutcome outcome = judge_signature(sigs[i], context);
    const bool aligned = dkim_domain_aligned(outcome.domain, reporting_domain);
    const int r = rank(outcome, aligned);
    if (!best || r < best_rank) {
      best = verdict_of(outcome, aligned, reporting_domain);
      best_rank = r;
    }
  }
  return *best;
}

}  // namespace

std::string_view to_string(DkimResult result) {
  switch (result) {
    case DkimResult::pass:
      return "pass";
    case DkimResult::no_signature:
      return "no-signature";
    case DkimResult::bad_signature:
      return "bad-signature";
    case DkimResult::wrong_domain:
      return "wrong-domain";
    case DkimResult::key_unavailable:
      return "key-unavailable";
    case DkimResult::error:
      return "error";
  }
  return "error";
}

bool dkim_domain_aligned(std::string_view signing_domain, std::string_view reporting_domain) {
  if (signing_domain.ends_with('.')) {
    signing_domain.remove_suffix(1);
  }
  if (reporting_domain.ends_with('.')) {
    reporting_domain.remove_suffix(1);
  }
  const auto d = dkim_domain_name(signing_domain);
  const auto reporting = dkim_domain_name(reporting_domain);
  if (!d || !reporting || d->find('.') == std::string::npos) {
    return false;  // a single label is a top-level domain, never a reporter's
  }
  return *d == *reporting || reporting->ends_with("." + *d);
}

std::vector<std::string> dkim_key_names(std::string_view message) {
  std::vector<std::string> names;
  if (message.size() > kReportMailMaxBytes) {
    return names;
  }
  const std::string crlf = dkim_crlf(mail_without_envelope_line(message));
  std::size_t signatures = 0;
  for (const std::string_view field : dkim_split_message(crlf).fields) {
    const auto value = dkim_field_value(field, "DKIM-Signature");
    if (!value || signatures == kMaxDkimSignatures) {
      continue;
    }
    ++signatures;
    auto name = dkim_key_name(dkim_tag_value(*value, "s").value_or(""),
                              dkim_tag_value(*value, "d").value_or(""));
    if (name && std::find(names.begin(), names.end(), *name) == names.end()) {
      names.push_back(std::move(*name));
    }
  }
  return names;
}

DkimVerdict verify_report_dkim(std::string_view message, std::string_view reporting_domain,
                               const DkimKeyLookup& lookup) {
  if (message.size() > kReportMailMaxBytes) {
    return fail_verdict(DkimResult::error, "message exceeds the report mail size limit");
  }
  std::string crlf = dkim_crlf(mail_without_envelope_line(message));
  const DkimMessageParts parts = dkim_split_message(crlf);
  if (!has_signature_field(parts)) {
    return fail_verdict(DkimResult::no_signature, "no DKIM-Signature header field");
  }
  const std::unique_ptr<DKIM_LIB, DkimLibClose> lib(dkim_init(nullptr, nullptr));
  if (!lib || dkim_set_key_lookup(lib.get(), &lookup_key) != DKIM_STAT_OK) {
    return fail_verdict(DkimResult::error, "libopendkim cannot be initialised");
  }
  DKIM_STAT status = DKIM_STAT_OK;
  const std::unique_ptr<DKIM, DkimFree> dkim(
      dkim_verify(lib.get(), reinterpret_cast<const u_char*>("tlsrpt-report"), nullptr, &status));
  if (!dkim) {
    return fail_verdict(DkimResult::error, "libopendkim cannot start a verification");
  }
  LookupContext context{&lookup, {}, {}};
  dkim_set_user_context(dkim.get(), &context);
  const VerifierRun run = run_verifier(dkim.get(), crlf, parts);
  return judge_all(dkim.get(), run, context, reporting_domain);
}

}  // namespace mtasts::hosting
