//! The `ops` command: [`cli`] parses the arguments, [`commands`] does the work,
//! [`exit`] turns the outcome into a message and a documented exit code.

mod cli;
mod commands;
mod exit;
mod render;
mod state_dir;

fn main() -> std::process::ExitCode {
    // `ops __ops-guard …`: this process guards one agent (ops started it so).
    if let Some(code) = ops_dispatch::guard::serve_if_asked() {
        return code;
    }
    ops_dispatch::guard::enable();
    match <cli::Cli as clap::Parser>::try_parse() {
        Ok(cli) => exit::report(commands::run(
            &cli,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        )),
        Err(usage) => exit::usage(&usage),
    }
}
