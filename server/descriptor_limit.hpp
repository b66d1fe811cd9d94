#pragma once
// The process's open-file limit, which bounds how many connections can be open at once. main()
// raises the soft limit to the hard one at start; the server derives its default
// --max-connections from the result.

#include <cstddef>

namespace echo {

// Raises the soft RLIMIT_NOFILE to the hard limit (as far as the kernel allows) and returns the
// soft limit now in force.
std::size_t raise_descriptor_limit();

// The soft RLIMIT_NOFILE now in force.
std::size_t descriptor_limit();

}  // namespace echo
