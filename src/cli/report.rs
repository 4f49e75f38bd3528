//! `okta-sim report`: the HTML report of an earlier run, from its JSON report or transcript.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use okta_sim::conformance::html;

/// The largest file read (a transcript stops growing at 256 MiB).
const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A run's JSON report (`check --report json=PATH`) or transcript (`check --transcript PATH`).
    #[arg(value_name = "TRANSCRIPT_OR_JSON")]
    pub input: PathBuf,

    /// Where to write the HTML report (one self-contained file).
    #[arg(long, value_name = "PATH")]
    pub html: PathBuf,
}

pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let fail = |m: String| {
        eprintln!("error: {m}");
        Ok(ExitCode::from(2))
    };
    let shown = args.input.display();
    let file = match std::fs::File::open(&args.input) {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot read {shown}: {e}")),
    };
    let mut text = String::new();
    let read = file.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text);
    if let Err(e) = read {
        return fail(format!("cannot read {shown}: {e}"));
    }
    if text.len() as u64 > MAX_INPUT_BYTES {
        return fail(format!(
            "{shown} is larger than {} MiB",
            MAX_INPUT_BYTES >> 20
        ));
    }
    let value = match html::report_input(&text) {
        Ok(v) => v,
        Err(e) => return fail(format!("{shown}: {e}")),
    };
    if let Err(e) = std::fs::write(&args.html, html::render(&value)) {
        return fail(format!("cannot write {}: {e}", args.html.display()));
    }
    println!("wrote {}", args.html.display());
    Ok(ExitCode::SUCCESS)
}
