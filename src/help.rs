//! `--help`, generated from the same tables the code reads, so it cannot drift from them.

use crate::ending::EXIT_CODES;
use crate::inputs::{Default, INPUTS};
use crate::outputs::OUTPUTS;

/// The full `--help` text.
pub fn text() -> String {
    let mut out = format!(
        "nodion-deploy {}\n\
         Trigger a deployment of a Nodion application, wait until that deployment finishes, write the\n\
         job's outputs, and exit with a code that gates the pipeline.\n\n\
         Usage: nodion-deploy [--help | --version]\n\n\
         Inputs are read from environment variables: INPUT_<NAME> (GitHub Actions inputs), then\n\
         NODION_<NAME>. The first non-empty value wins; values are trimmed.\n\n\
         INPUTS\n",
        crate::VERSION
    );
    for input in INPUTS {
        let [action, env] = input.variables();
        let default = match input.default {
            Default::None => "no default".to_string(),
            Default::Value(v) => format!("default: {v}"),
            Default::Note(n) => format!("default: {n}"),
        };
        out.push_str(&format!(
            "  {:<18} {action}, then {env}  ({default})\n      {}\n",
            input.name, input.help
        ));
    }
    out.push_str(
        "\nOUTPUTS (GitHub step outputs; in brackets the dotenv key and shell export, never an\n\
         input's variable; all in result_file JSON)\n",
    );
    for output in OUTPUTS {
        out.push_str(&format!(
            "  {} [{}]\n      {}\n",
            output.name, output.variable, output.help
        ));
    }
    out.push_str("\nEXIT CODES\n");
    for (code, meaning) in EXIT_CODES {
        out.push_str(&format!("  {code:<10} {meaning}\n"));
    }
    out
}
