#include "sql_database.hpp"

namespace mtasts::store {

Result<void> check_sql_params(std::span<const SqlValue> params, const std::string& describe) {
  for (const SqlValue& param : params) {
    const auto* text = std::get_if<std::string_view>(&param);
    if (text != nullptr && text->find('\0') != std::string_view::npos) {
      return fail(Errc::invalid_argument, describe + ": text with a NUL byte cannot be stored");
    }
  }
  return {};
}

Result<SqlRows> read_statement(SqlDatabase& database, const char* sql,
                               std::span<const SqlValue> params) {
  SqlRows rows;
  auto done = database.run(SqlMode::autocommit, [&](SqlSession& session) -> Result<void> {
    auto result = session.query(sql, params);
    if (!result) {
      return tl::unexpected(result.error());
    }
    rows = std::move(*result);
    return {};
  });
  return done.transform([&] { return std::move(rows); });
}

}  // namespace mtasts::store
