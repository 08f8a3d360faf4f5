// The one translation unit that compiles Boost.Beast for the project.
// BOOST_BEAST_SEPARATE_COMPILATION is defined for every file that uses Beast.
#include <boost/beast/src.hpp>
