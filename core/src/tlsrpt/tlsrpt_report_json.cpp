#include "tlsrpt/tlsrpt_report_json.hpp"

#include <set>
#include <utility>

#include "mtasts/core/base/json_depth.hpp"

namespace mtasts::core {
namespace {

using nlohmann::json;

// One open array or object while parsing.
struct Frame {
  bool is_array = false;
  std::size_t next_index = 0;  // arrays: the index of the next element
  std::string key;             // objects: the key whose value comes next
  std::string pointer;         // the JSON pointer of this container
  std::set<std::string, std::less<>> keys;
};

// Tracks the path of every event of nlohmann's parser callback. The callback's depth is the
// number of containers open around the event, so frames_[depth - 1] is the enclosing one; it is
// indexed by depth rather than pushed and popped because nlohmann does not report the end of a
// container it is discarding.
class DuplicateKeyTracker {
 public:
  // Returns false for a repeated key, which makes nlohmann drop its value: the first wins.
  bool on_event(int depth, json::parse_event_t event, const json& parsed) {
    const auto level = static_cast<std::size_t>(depth);
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        open(level, event == json::parse_event_t::array_start);
        return true;
      case json::parse_event_t::key:
        return on_key(level, parsed);
      case json::parse_event_t::value:
        if (level >= 1 && level <= frames_.size() && frames_[level - 1].is_array) {
          ++frames_[level - 1].next_index;
        }
        return true;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        return true;
    }
    return true;
  }

  std::vector<std::string> take_duplicates() { return std::move(duplicates_); }

 private:
  void open(std::size_t level, bool is_array) {
    std::string pointer;
    if (level >= 1 && level <= frames_.size()) {
      Frame& parent = frames_[level - 1];
      pointer = parent.pointer + (parent.is_array ? "/" + std::to_string(parent.next_index++)
                                                  : json_pointer_segment(parent.key));
    }
    frames_.resize(level + 1);
    frames_[level] = Frame{is_array, 0, {}, std::move(pointer), {}};
  }

  bool on_key(std::size_t level, const json& parsed) {
    if (level < 1 || level > frames_.size() || !parsed.is_string()) {
      return true;
    }
    Frame& object = frames_[level - 1];
    object.key = parsed.get<std::string>();
    if (!object.keys.insert(object.key).second) {
      duplicates_.push_back(object.pointer + json_pointer_segment(object.key));
      return false;
    }
    return true;
  }

  std::vector<Frame> frames_;
  std::vector<std::string> duplicates_;
};

}  // namespace

std::string json_pointer_segment(std::string_view key) {
  std::string out = "/";
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

Result<BoundedJson> parse_bounded_json(std::string_view text, std::size_t max_depth) {
  // Checked before parsing so that nothing, nlohmann's stacks included, grows with the nesting.
  if (json_nesting_depth(text, max_depth) > max_depth) {
    return fail(Errc::too_large, "the JSON nests arrays and objects deeper than " +
                                     std::to_string(max_depth) + " levels");
  }
  DuplicateKeyTracker tracker;
  const json::parser_callback_t callback = [&tracker](int depth, json::parse_event_t event,
                                                      json& parsed) {
    return tracker.on_event(depth, event, parsed);
  };
  BoundedJson out;
  out.value = json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (out.value.is_discarded()) {
    return fail(Errc::invalid_syntax,
                "the input is not JSON (RFC 8259, UTF-8): not a TLS-RPT report");
  }
  out.duplicate_key_paths = tracker.take_duplicates();
  return out;
}

}  // namespace mtasts::core
