#include "common/config_file.hpp"

#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace mtasts::app {
namespace {

// Notes where each document starts and ignores the rest: a first pass that counts documents.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts_.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { note(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { note(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    note(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(mark);
  }
  void OnMapEnd() override {}

  // Where the second document's first node is, when there is one.
  [[nodiscard]] std::optional<YAML::Mark> second() const { return second_; }

 private:
  void note(const YAML::Mark& mark) {
    if (starts_.size() == 2 && !second_) {
      second_ = mark;
    }
  }
  std::vector<YAML::Mark> starts_;
  std::optional<YAML::Mark> second_;
};

// "line L, column C: " before `message` when the mark says where.
std::string at_mark(const YAML::Mark& mark, std::string message) {
  if (mark.is_null()) {
    return message;
  }
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) +
         ": " + message;
}

}  // namespace

// yaml-cpp 0.7's LoadAll() never returns on some invalid input, such as a multi-line quoted
// scalar followed by "," (yaml-cpp #1040, fixed upstream by PR #1319): the parser keeps
// reporting empty documents. So documents are counted here, two at most, and then the first
// is loaded alone.
core::Result<YAML::Node> load_config_document(std::string_view yaml_text) {
  if (yaml_text.size() > kMaxConfigSize) {
    return core::fail(core::Errc::too_large,
                      "the configuration is over " + std::to_string(kMaxConfigSize) + " bytes");
  }
  const std::string text(yaml_text);
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  int documents = 0;
  while (documents < 2 && parser.HandleNextDocument(starts)) {
    ++documents;
  }
  if (documents == 2) {
    const std::string message = "expected one YAML document, found a second one or stray text";
    const auto mark = starts.second();
    return core::fail(core::Errc::invalid_syntax, mark ? at_mark(*mark, message) : message);
  }
  return YAML::Load(text);
}

core::Error yaml_syntax_error(const YAML::Exception& error) {
  return core::Error{core::Errc::invalid_syntax, at_mark(error.mark, error.msg)};
}

core::Result<std::string> read_config_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return core::fail(core::Errc::invalid_value,
                      file + ": cannot read the configuration: " + std::strerror(errno));
  }
  std::string text(kMaxConfigSize + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    return core::fail(core::Errc::invalid_value, file + ": cannot read the configuration");
  }
  return text;
}

}  // namespace mtasts::app
