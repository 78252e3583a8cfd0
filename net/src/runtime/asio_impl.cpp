// The one translation unit that compiles Asio (BOOST_ASIO_SEPARATE_COMPILATION): every other
// file only sees declarations, which keeps builds fast.
#include <boost/asio/impl/src.hpp>
