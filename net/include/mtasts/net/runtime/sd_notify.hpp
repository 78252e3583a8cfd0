#pragma once

// The systemd notification protocol (sd_notify(3)), written by hand: one datagram with
// "READY=1", "STOPPING=1", "STATUS=..." to the AF_UNIX socket named by $NOTIFY_SOCKET (a path,
// or an abstract name when it starts with '@').

#include <string_view>

namespace mtasts::net {

enum class NotifyResult {
  sent,       // the datagram was sent
  no_socket,  // $NOTIFY_SOCKET is not set: not started by systemd with Type=notify
  failed,     // the variable is malformed or the send failed
};

// Sends `state` (e.g. "READY=1\nSTATUS=listening") to $NOTIFY_SOCKET. Never throws.
NotifyResult sd_notify(std::string_view state);

}  // namespace mtasts::net
