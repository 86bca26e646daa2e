// doctest's own main for the end-to-end tests of the rankpool binary.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
