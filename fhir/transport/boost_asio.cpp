// The one translation unit that compiles Boost.Asio (and its TLS layer) for the
// project. BOOST_ASIO_SEPARATE_COMPILATION is defined for every file that uses Asio.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
