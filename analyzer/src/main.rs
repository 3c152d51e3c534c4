//! The `borderline` command: the only place that knows argv, the terminal and exit codes.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
