#pragma once

// `mtasts host report import FILE|DIR|- ...`: TLS-RPT report files (JSON, gzip or zip, told by
// their bytes) read into the hosting store of the configuration, through the same intake as
// reports POSTed to the service (hosting/report_intake.hpp), in batches of one transaction.
// Run it as the service's user or root: it opens the store itself.

#include <string>
#include <vector>

namespace mtasts::app {

struct ReportImportArgs {
  std::string config;               // host.yml; "" for the default
  std::vector<std::string> inputs;  // files, directories (their regular files), "-" for stdin
  bool json = false;
};

// Exit codes: 0 every report accepted or a duplicate; 1 some kept apart or refused, or a file
// unreadable; 2 a usage or configuration error.
[[nodiscard]] int run_report_import(const ReportImportArgs& args);

}  // namespace mtasts::app
