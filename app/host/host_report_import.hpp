#pragma once

// `mtasts host report import FILE|DIR|- ...`: TLS-RPT report files (JSON, gzip or zip) and
// report mail (a message, each message of a Maildir, an mbox), told by their bytes, read into
// the hosting store of the configuration through the same intake as reports POSTed or mailed to
// the service (hosting/report_intake.hpp, report_mail_intake.hpp), in batches of one
// transaction. Mail is held to RFC 8460 §3 as at the SMTP intake: the DKIM keys are looked up
// through the configuration's DNS servers, and a report without a valid signature by its
// reporting domain is kept apart, unless --no-dkim says the operator vouches for the mail (an
// archive whose keys have since been rotated away). Run it as the service's user or root: it
// opens the store itself.

#include <string>
#include <vector>

namespace mtasts::app {

struct ReportImportArgs {
  std::string config;               // host.yml; "" for the default
  std::vector<std::string> inputs;  // files, directories (their regular files), "-" for stdin
  bool json = false;
  bool no_dkim = false;
};

// Exit codes: 0 every report accepted or a duplicate; 1 some kept apart or refused, or a file
// unreadable; 2 a usage or configuration error.
[[nodiscard]] int run_report_import(const ReportImportArgs& args);

}  // namespace mtasts::app
