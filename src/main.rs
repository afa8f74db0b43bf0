use std::process::ExitCode;

use anyhow::Context;

fn main() -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("nodion-deploy: {err:#}");
            ExitCode::from(nodion_deploy::outcome::EXIT_UNREACHABLE)
        }
    }
}

fn try_main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = nodion_deploy::run::main(&args, &nodion_deploy::env::ProcessEnv)
        .context("cannot start the deployment thread")?;
    Ok(ExitCode::from(code))
}
