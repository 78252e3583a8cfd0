#include "pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "mtasts/core/base/text.hpp"

namespace mtasts::store::pg {
namespace {

using Deadline = std::chrono::steady_clock::time_point;

Deadline deadline_after(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

// Waits until `fd` is ready for reading (or writing); false once `deadline` passes.
bool wait_for(int fd, bool for_write, Deadline deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd entry{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    const int ready = ::poll(
        &entry, 1,
        static_cast<int>(std::min<std::int64_t>(left.count(), std::numeric_limits<int>::max())));
    if (ready > 0) {
      return true;
    }
    if (ready < 0 && errno != EINTR) {
      return true;  // let libpq find and report the socket's error
    }
  }
}

std::string trimmed(const char* message) {
  return std::string(core::trim_space(message == nullptr ? "" : message));
}

}  // namespace

void Finish::operator()(pg_conn* conn) const {
  PQfinish(conn);
}
void Clear::operator()(pg_result* result) const {
  PQclear(result);
}

Result<std::string> describe_dsn(const std::string& dsn, std::string_view config_key) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (options == nullptr) {
    std::string why = trimmed(error);
    PQfreemem(error);
    return fail(Errc::invalid_config, std::string(config_key) + ": " + why);
  }
  std::string host = "localhost";
  std::string port = "5432";
  std::string db;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || *option->val == '\0') {
      continue;
    }
    if (std::strcmp(option->keyword, "host") == 0) {
      host = option->val;
    } else if (std::strcmp(option->keyword, "port") == 0) {
      port = option->val;
    } else if (std::strcmp(option->keyword, "dbname") == 0) {
      db = option->val;
    }
  }
  PQconninfoFree(options);
  return "PostgreSQL " + host + ":" + port + (db.empty() ? "" : "/" + db);
}

Result<Conn> connect(const std::string& dsn, std::chrono::milliseconds connect_timeout,
                     std::chrono::milliseconds statement_timeout, const std::string& describe) {
  // libpq's own connect_timeout (whole seconds, at least 2) backs up the deadline below.
  const std::string whole_seconds =
      std::to_string(std::max<std::int64_t>(2, (connect_timeout.count() + 999) / 1000));
  const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* const values[] = {whole_seconds.c_str(), "mtasts", dsn.c_str(), nullptr};
  Conn conn(PQconnectStartParams(keywords, values, 1));
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) {
    return fail(Errc::unavailable,
                describe + ": cannot connect: " +
                    (conn ? trimmed(PQerrorMessage(conn.get())) : std::string("out of memory")));
  }
  const Deadline deadline = deadline_after(connect_timeout);
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      return fail(Errc::unavailable,
                  describe + ": cannot connect: " + trimmed(PQerrorMessage(conn.get())));
    }
    if (!wait_for(PQsocket(conn.get()), status == PGRES_POLLING_WRITING, deadline)) {
      return fail(Errc::unavailable, describe + ": no connection within " +
                                         std::to_string(connect_timeout.count()) + " ms");
    }
    status = PQconnectPoll(conn.get());
  }
  // Server notices ("relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  const std::string setup = "SET statement_timeout = " + std::to_string(statement_timeout.count()) +
                            "; SET client_min_messages = warning";
  if (auto done = run(conn, setup, {}, statement_timeout, describe); !done) {
    return tl::unexpected(std::move(done.error().error));
  }
  return conn;
}

tl::expected<PgResult, RunFailure> run(Conn& conn, const std::string& sql,
                                       std::span<const char* const> params,
                                       std::chrono::milliseconds timeout,
                                       const std::string& describe) {
  PGconn* raw = conn.get();
  // Drops the connection; `lost` tells the caller whether a new one may succeed at once.
  auto drop = [&](const std::string& why, bool lost) {
    conn.reset();
    return tl::unexpected(RunFailure{Error{Errc::unavailable, describe + ": " + why}, lost, ""});
  };
  const int sent = params.empty()
                       ? PQsendQuery(raw, sql.c_str())
                       : PQsendQueryParams(raw, sql.c_str(), static_cast<int>(params.size()),
                                           nullptr, params.data(), nullptr, nullptr, 0);
  if (sent == 0) {
    return drop(trimmed(PQerrorMessage(raw)), true);
  }
  const Deadline deadline = deadline_after(timeout);
  PgResult last;
  std::optional<RunFailure> failed;
  std::string failed_reason;
  for (;;) {
    while (PQisBusy(raw) == 1) {
      if (!wait_for(PQsocket(raw), false, deadline)) {
        return drop("no answer within " + std::to_string(timeout.count()) + " ms", false);
      }
      if (PQconsumeInput(raw) == 0) {
        return drop(trimmed(PQerrorMessage(raw)), true);
      }
    }
    PgResult result(PQgetResult(raw));
    if (!result) {
      break;
    }
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && !failed) {
      const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
      const bool cancelled = state != nullptr && std::strcmp(state, "57014") == 0;
      failed_reason = trimmed(PQresultErrorMessage(result.get()));
      std::string message = describe;
      message.append(": ").append(failed_reason);
      failed =
          RunFailure{Error{cancelled ? Errc::unavailable : Errc::backend_error, std::move(message)},
                     false, state == nullptr ? "" : state};
    }
    last = std::move(result);
  }
  if (PQstatus(raw) == CONNECTION_BAD) {
    return drop(failed ? failed_reason : trimmed(PQerrorMessage(raw)), true);
  }
  if (failed) {
    return tl::unexpected(std::move(*failed));
  }
  return last;
}

std::string text_at(pg_result* result, int row, int column) {
  return std::string(PQgetvalue(result, row, column),
                     static_cast<std::size_t>(PQgetlength(result, row, column)));
}

std::int64_t number_at(pg_result* result, int row, int column) {
  const char* text = PQgetvalue(result, row, column);
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

bool is_null(pg_result* result, int row, int column) {
  return PQgetisnull(result, row, column) == 1;
}

}  // namespace mtasts::store::pg
