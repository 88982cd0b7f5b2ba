// tools/bottle-egress/awaitable.hpp — the completion token every coroutine
// of the proxy uses: errors come back as values (a tuple whose first member
// is the error_code), never as exceptions, so each await says what failure
// means at that point.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bottle::egress {

inline constexpr auto nothrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace bottle::egress
