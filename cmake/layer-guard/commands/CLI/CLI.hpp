// Layer guard: found first on rankpool_commands' include path, so that a command including CLI11
// fails to build. Commands take validated options and return reports; parsing is the CLI's job.
#error "rankpool commands must not include CLI11: parse in src/cli/, pass options to the command"
