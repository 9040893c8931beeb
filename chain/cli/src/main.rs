//! The `handoff` command line. Exit codes: 0 done, 2 bad input, 3 rejected by a ledger
//! rule, 1 anything else. With `--json`, results go to stdout as JSON and errors as
//! `{"error": {"code", "message"}}` (also on stdout, so scripts read one stream).

use clap::Parser;
use handoff_cli::cli::{self, Cli, CliError};
use std::io::Write;

// glibc's allocator slows down as sled's page cache fragments the heap (measured: history
// queries 2x slower after a bulk load); mimalloc keeps allocation cost flat.
// `--features system-alloc` links the system allocator instead, so heap profilers that
// interpose malloc (heaptrack) see every allocation.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let wants_json = std::env::args().any(|a| a == "--json");
    let code = match Cli::try_parse() {
        Ok(cli) => {
            let json = cli.json;
            match cli::run(cli) {
                Ok(out) => {
                    if out.is_printed() {
                    } else if json {
                        emit(&serde_json::to_string_pretty(&out.json).unwrap_or_default());
                    } else if !out.text.is_empty() {
                        emit(out.text.trim_end());
                    }
                    0
                }
                Err(e) => report(&e, json),
            }
        }
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                let _ = e.print();
                0
            }
            _ if wants_json => report(
                &CliError::input("USAGE", e.to_string().trim().to_string()),
                true,
            ),
            _ => {
                let _ = e.print();
                2
            }
        },
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

/// Writes a result line to stdout. A reader that went away (`handoff … | head`) is not an
/// error of ours: the exit code still says what happened to the command.
fn emit(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
}

fn report(e: &CliError, json: bool) -> i32 {
    if let CliError::Partial { output, .. } = e {
        if output.is_printed() {
        } else if json {
            emit(&serde_json::to_string_pretty(&output.json).unwrap_or_default());
        } else {
            emit(output.text.trim_end());
        }
        return e.exit_code();
    }
    let (code, message) = e.parts();
    if json {
        emit(&serde_json::json!({"error": {"code": code, "message": message}}).to_string());
    } else {
        let what = match e {
            CliError::Rejected(_) | CliError::Partial { .. } => "rejected",
            CliError::Input { .. } => "bad input",
            CliError::Other(_) | CliError::Failed { .. } => "error",
        };
        eprintln!("{what}: {message} [{code}]");
    }
    e.exit_code()
}
