//! The `ops` command: [`cli`] parses the arguments, [`commands`] does the work,
//! [`exit`] turns the outcome into a message and a documented exit code.

mod cli;
mod commands;
mod exit;
mod render;
mod state_dir;

fn main() -> std::process::ExitCode {
    match <cli::Cli as clap::Parser>::try_parse() {
        Ok(cli) => exit::report(commands::run(
            &cli,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )),
        Err(usage) => exit::usage(&usage),
    }
}
