#include "server/descriptor_limit.hpp"

#include <sys/resource.h>

#include <fstream>

namespace echo {

std::size_t descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  return limit.rlim_cur == RLIM_INFINITY ? static_cast<std::size_t>(1) << 20
                                         : static_cast<std::size_t>(limit.rlim_cur);
}

std::size_t raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    // An unlimited hard limit is still capped by fs.nr_open: setrlimit refuses more than that.
    if (raised.rlim_cur == RLIM_INFINITY) {
      std::ifstream nr_open("/proc/sys/fs/nr_open");
      rlim_t cap = 1 << 20;
      nr_open >> cap;
      raised.rlim_cur = cap;
    }
    ::setrlimit(RLIMIT_NOFILE, &raised);
  }
  return descriptor_limit();
}

}  // namespace echo
