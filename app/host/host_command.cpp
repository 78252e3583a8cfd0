#include "host/host_command.hpp"

#include <cctype>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "exit_codes.hpp"
#include "host/host_client.hpp"
#include "host/host_config.hpp"
#include "host/host_output.hpp"
#include "host/host_report_csv.hpp"
#include "host/host_report_import.hpp"
#include "host/host_report_output.hpp"
#include "host/host_service.hpp"
#include "mtasts/core/base/text.hpp"
#include "mtasts/hosting/host_tokens.hpp"

namespace mtasts::app {
namespace {

struct ClientArgs {
  std::string api;
  std::string token_file;
  std::string token_name;
  double timeout_seconds = 30;
  bool json = false;
  bool csv = false;  // report show|list|apart
};

struct DomainArgs {
  std::string domain;
  std::string mode;
  std::vector<std::string> mx;
  std::optional<std::int64_t> max_age;
  bool delegated = false;
};

struct ReportArgs {
  std::string domain;
  std::string id;
  unsigned days = 30;
  unsigned limit = 100;
  std::vector<std::string> inputs;
  bool no_dkim = false;
};

struct HostArgs {
  HostRunArgs run;
  ClientArgs client;
  DomainArgs domain;
  ReportArgs report;
};

int usage(const std::string& message) {
  std::cerr << "mtasts host: " << message << "\n";
  return kExitUsage;
}

// The API's address and token: the options, else the configuration's admin section, else
// the defaults.
struct ApiAccess {
  ApiTarget target;
  std::string token;
};

core::Result<ApiAccess> api_access(const HostArgs& args) {
  std::string api = args.client.api;
  std::string token_file = args.client.token_file;
  const bool have_config =
      !args.run.config.empty() || std::filesystem::exists(kDefaultHostConfigPath);
  if ((api.empty() || token_file.empty()) && have_config) {
    auto loaded =
        load_host_config(args.run.config.empty() ? std::nullopt : std::optional(args.run.config),
                         current_host_environment());
    if (!loaded) {
      return tl::unexpected(loaded.error());
    }
    if (api.empty()) {
      api = "http://" + endpoint_text(loaded->config.admin_listen);
    }
    if (token_file.empty()) {
      token_file = loaded->config.token_file;
    }
  }
  if (api.empty()) {
    api = "http://127.0.0.1:" + std::to_string(kDefaultAdminPort);
  }
  if (token_file.empty()) {
    token_file = std::string(kDefaultTokenFile);
  }
  auto target = parse_api_url(api);
  if (!target) {
    return core::fail(core::Errc::invalid_value, "--api: " + target.error().message);
  }
  auto token = hosting::read_client_token(token_file, args.client.token_name);
  if (!token) {
    return core::fail(core::Errc::invalid_value, "--token-file: " + token.error().message);
  }
  return ApiAccess{std::move(*target), std::move(token->token)};
}

// Sends one request and prints the answer; returns the exit code.
int call(const HostArgs& args, const std::string& method, const std::string& target,
         const nlohmann::json& body,
         const std::function<std::string(const nlohmann::json&)>& text) {
  auto access = api_access(args);
  if (!access) {
    return usage(access.error().message);
  }
  if (args.client.timeout_seconds <= 0 || args.client.timeout_seconds > 3600) {
    return usage("--timeout: expected seconds from 0 to 3600");
  }
  const auto timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(args.client.timeout_seconds * 1000));
  auto reply = call_admin_api(access->target, method, target, access->token,
                              body.is_null() ? std::string() : body.dump(), timeout);
  if (!reply) {
    std::cerr << "mtasts host: " << reply.error().message << "\n";
    return kExitNegative;
  }
  if (reply->status < 200 || reply->status > 299) {
    if (args.client.json) {
      std::cout << reply->body;
    }
    std::cerr << "mtasts host: " << api_error_text(reply->status, reply->body) << "\n";
    return kExitNegative;
  }
  if (args.client.json) {
    std::cout << reply->body;
    return kExitOk;
  }
  const nlohmann::json parsed = nlohmann::json::parse(reply->body, nullptr, false);
  if (parsed.is_discarded()) {
    std::cerr << "mtasts host: the API answered no JSON\n";
    return kExitNegative;
  }
  std::cout << text(parsed);
  return kExitOk;
}

std::string domain_path(const std::string& domain) {
  std::string out = "/v1/domains/";
  for (const char c : domain) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '.' || c == '-' || c == '_') {
      out += c;
    } else {
      out += '%';
      out += core::hex_byte(byte, core::HexCase::upper);
    }
  }
  return out;
}

nlohmann::json policy_body(const DomainArgs& args, bool create) {
  nlohmann::json body = nlohmann::json::object();
  if (create) {
    body["domain"] = args.domain;
    if (args.delegated) {
      body["records"] = "delegated";
    }
  }
  if (!args.mode.empty()) {
    body["mode"] = args.mode;
  }
  if (!args.mx.empty()) {
    body["mx"] = args.mx;
  }
  if (args.max_age) {
    body["max_age"] = *args.max_age;
  }
  return body;
}

void add_client_options(CLI::App& command, HostArgs& args) {
  command.add_option("-c,--config", args.run.config,
                     "configuration file giving the defaults of --api and --token-file");
  command.add_option("--api", args.client.api,
                     "admin API address, http://HOST:PORT (default: admin.listen of the config)");
  command.add_option("--token-file", args.client.token_file,
                     "file of NAME TOKEN lines (default: admin.token_file of the config)");
  command.add_option("--token-name", args.client.token_name,
                     "which token of the file to use (default: the first)");
  command.add_option("--timeout", args.client.timeout_seconds, "seconds allowed for the request");
  command.add_flag("--json", args.client.json, "print the API's JSON");
}

void add_policy_options(CLI::App& command, DomainArgs& args) {
  command.add_option("--mode", args.mode, "enforce, testing or none")
      ->check(CLI::IsMember({"enforce", "testing", "none"}));
  command.add_option("--mx", args.mx, "an mx pattern (repeat for each; e.g. *.mail.example)");
  command.add_option("--max-age", args.max_age, "policy max_age in seconds");
}

void add_domain_commands(CLI::App& host, const std::shared_ptr<HostArgs>& args, int& exit_code) {
  CLI::App* domain = host.add_subcommand("domain", "Manage hosted domains through the admin API");
  domain->require_subcommand(1);
  add_client_options(*domain, *args);

  CLI::App* add = domain->add_subcommand(
      "add", "Host a domain: mx proposed from its live MX records unless given, mode testing");
  add->add_option("DOMAIN", args->domain.domain, "the Policy Domain")->required();
  add_policy_options(*add, args->domain);
  add->add_flag("--delegated", args->domain.delegated,
                "_mta-sts.DOMAIN is a CNAME into the service's zone, which it keeps current");
  add_client_options(*add, *args);
  add->callback([args, &exit_code] {
    exit_code = call(*args, "POST", "/v1/domains", policy_body(args->domain, true),
                     [](const nlohmann::json& j) { return domain_text(j, "added"); });
  });

  CLI::App* list = domain->add_subcommand("list", "List hosted domains");
  add_client_options(*list, *args);
  list->callback([args, &exit_code] {
    exit_code = call(*args, "GET", "/v1/domains", nullptr,
                     [](const nlohmann::json& j) { return domain_list_text(j); });
  });

  CLI::App* show = domain->add_subcommand("show", "Show a domain, its records and history");
  show->add_option("DOMAIN", args->domain.domain, "the Policy Domain")->required();
  add_client_options(*show, *args);
  show->callback([args, &exit_code] {
    exit_code = call(*args, "GET", domain_path(args->domain.domain), nullptr,
                     [](const nlohmann::json& j) { return domain_text(j, ""); });
  });

  CLI::App* set = domain->add_subcommand("set", "Change mode, mx or max_age (a new policy id)");
  set->add_option("DOMAIN", args->domain.domain, "the Policy Domain")->required();
  add_policy_options(*set, args->domain);
  add_client_options(*set, *args);
  set->callback([args, &exit_code] {
    exit_code = call(*args, "PATCH", domain_path(args->domain.domain),
                     policy_body(args->domain, false), [](const nlohmann::json& j) {
                       return domain_text(j, j.value("changed", false) ? "changed" : "unchanged");
                     });
  });

  CLI::App* remove = domain->add_subcommand(
      "remove", "Remove a domain: mode none is served for the longest max_age, then nothing");
  remove->add_option("DOMAIN", args->domain.domain, "the Policy Domain")->required();
  add_client_options(*remove, *args);
  remove->callback([args, &exit_code] {
    exit_code = call(*args, "DELETE", domain_path(args->domain.domain), nullptr,
                     [](const nlohmann::json& j) { return domain_text(j, "removal started"); });
  });
}

void add_report_commands(CLI::App& host, const std::shared_ptr<HostArgs>& args, int& exit_code) {
  CLI::App* report =
      host.add_subcommand("report", "TLS-RPT reports received for the hosted domains");
  report->require_subcommand(1);

  CLI::App* show = report->add_subcommand(
      "show", "A domain's sessions by day, reporter and MX, findings and enforce readiness");
  show->add_option("DOMAIN", args->report.domain, "the Policy Domain")->required();
  show->add_option("--days", args->report.days, "the period, in days ending today")
      ->check(CLI::Range(1, 400));
  add_client_options(*show, *args);
  show->add_flag("--csv", args->client.csv, "print CSV (RFC 4180) instead of text");
  show->callback([args, &exit_code] {
    exit_code = call(
        *args, "GET",
        domain_path(args->report.domain) + "/reports?days=" + std::to_string(args->report.days),
        nullptr, [args](const nlohmann::json& j) {
          return args->client.csv ? report_summary_csv(j) : report_summary_text(j);
        });
  });

  CLI::App* list = report->add_subcommand("list", "Received reports, newest first");
  list->add_option("--domain", args->report.domain, "only this domain's");
  list->add_option("--days", args->report.days, "the period, in days ending today")
      ->check(CLI::Range(1, 400));
  list->add_option("--limit", args->report.limit, "at most this many")->check(CLI::Range(1, 1000));
  add_client_options(*list, *args);
  list->add_flag("--csv", args->client.csv, "print CSV (RFC 4180) instead of text");
  list->callback([args, &exit_code] {
    std::string target = "/v1/reports?days=" + std::to_string(args->report.days) +
                         "&limit=" + std::to_string(args->report.limit);
    if (!args->report.domain.empty()) {
      target +=
          "&domain=" + domain_path(args->report.domain).substr(std::string("/v1/domains/").size());
    }
    exit_code = call(*args, "GET", target, nullptr, [args](const nlohmann::json& j) {
      return args->client.csv ? report_list_csv(j) : report_list_text(j);
    });
  });

  CLI::App* get = report->add_subcommand("get", "One report: its facts, findings and JSON");
  get->add_option("ID", args->report.id, "the report's id (from report list)")->required();
  add_client_options(*get, *args);
  get->callback([args, &exit_code] {
    exit_code = call(*args, "GET", "/v1/reports/" + args->report.id, nullptr,
                     [](const nlohmann::json& j) { return report_detail_text(j); });
  });

  CLI::App* apart = report->add_subcommand(
      "apart", "Reports kept apart (not hosted here, not a report, ...) and why");
  apart->add_option("--limit", args->report.limit, "at most this many")->check(CLI::Range(1, 1000));
  add_client_options(*apart, *args);
  apart->add_flag("--csv", args->client.csv, "print CSV (RFC 4180) instead of text");
  apart->callback([args, &exit_code] {
    exit_code = call(*args, "GET", "/v1/reports/apart?limit=" + std::to_string(args->report.limit),
                     nullptr, [args](const nlohmann::json& j) {
                       return args->client.csv ? kept_apart_csv(j) : kept_apart_text(j);
                     });
  });

  CLI::App* import = report->add_subcommand(
      "import",
      "Read report files (JSON, gzip, zip) and report mail (a message, a Maildir, an mbox) into "
      "the store of the configuration");
  import->add_option("FILE", args->report.inputs, "files, directories, or - for standard input")
      ->required();
  import->add_option("-c,--config", args->run.config,
                     "configuration file (default: /etc/mtasts/host.yml)");
  import->add_flag("--json", args->client.json, "print the outcome of each file as JSON");
  import->add_flag("--no-dkim", args->report.no_dkim,
                   "take report mail without checking its DKIM signature (you vouch for it)");
  import->callback([args, &exit_code] {
    exit_code = run_report_import(
        ReportImportArgs{args->run.config, args->report.inputs, args->client.json,
                         args->report.no_dkim});
});
}  // namespace

}  // namespace mtasts::app

void add_host_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<HostArgs>();
  CLI::App* host = app.add_subcommand(
      "host", "Host MTA-STS policies for many domains: HTTPS, ACME certificates, DNS, monitoring");
  host->require_subcommand(0, 1);
  host->add_option("-c,--config", args->run.config,
                   "configuration file (default: /etc/mtasts/host.yml)");
  host->add_option("-v,--verbosity", args->run.level,
                   "log level: debug, info (default), warn, error, fatal");
  host->add_option("-l,--logfile", args->run.logfile, "append logs to this file (default: stderr)");
  add_domain_commands(*host, args, exit_code);
  add_report_commands(*host, args, exit_code);
  CLI::App* status = host->add_subcommand("status", "Show the service's state");
  add_client_options(*status, *args);
  status->callback([args, &exit_code] {
    exit_code = call(*args, "GET", "/v1/status", nullptr,
                     [](const nlohmann::json& j) { return status_text(j); });
  });
  host->callback([host, args, &exit_code] {
    if (host->get_subcommands().empty()) {
      exit_code = run_host_service(args->run);
    }
  });
}

}  // namespace mtasts::app
