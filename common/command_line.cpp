#include "common/command_line.hpp"

namespace echo {

namespace po = boost::program_options;

command_line parse_command_line(int argc, const char* const argv[],
                                const po::options_description& visible) {
  command_line result;
  po::options_description hidden;
  hidden.add_options()("positional", po::value(&result.positionals));
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("positional", -1);
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
            result.values);
  po::notify(result.values);
  return result;
}

}  // namespace echo
