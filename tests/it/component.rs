//! The GitLab CI/CD component declares exactly the inputs the program reads (from the same table),
//! typed as GitLab types them, and runs the image of its own release. Its job is named by an input,
//! so that a pipeline can include it once per deploy.

use nodion_deploy::inputs::{INPUTS, Kind};
use regex::Regex;

use crate::support::Deploy;

const COMPONENT: &str = include_str!("../../templates/deploy.yml");

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The header (`spec:`) and the job, the component's two YAML documents.
fn documents() -> (&'static str, &'static str) {
    COMPONENT
        .split_once("\n---\n")
        .expect("spec and job documents")
}

/// The `key: value` lines declared under `spec: inputs: <name>:`, or `None` when it is not declared.
fn declared(spec: &str, name: &str) -> Option<Vec<(String, String)>> {
    let (_, rest) = spec.split_once(&format!("\n    {name}:\n"))?;
    let fields = rest
        .lines()
        .take_while(|line| line.starts_with("      "))
        .filter_map(|line| line.trim().split_once(": "))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    Some(fields)
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn the_gitlab_component_maps_every_input_but_the_token_to_its_variable() {
    let (spec, job) = documents();
    for input in INPUTS {
        let fields = declared(spec, input.name);
        let mapped = job.contains(&format!(
            "NODION_{}: \"$[[ inputs.{} ]]\"",
            input.name.to_ascii_uppercase(),
            input.name
        ));
        if input.name == "api_token" {
            assert!(
                fields.is_none() && !mapped,
                "the token comes from a masked CI/CD variable"
            );
            continue;
        }
        let fields = fields.unwrap_or_else(|| panic!("spec declares {}", input.name));
        assert!(mapped, "the job maps {} to its variable", input.name);
        // GitLab checks typed inputs when the pipeline is created, before the job starts.
        let (kind, default) = (field(&fields, "type"), field(&fields, "default"));
        match (input.kind, input.default_value()) {
            (Kind::Boolean, Some(value)) | (Kind::Number, Some(value)) => {
                let gitlab_type = if input.kind == Kind::Boolean {
                    "boolean"
                } else {
                    "number"
                };
                assert_eq!(kind, Some(gitlab_type), "{}", input.name);
                assert_eq!(default, Some(value), "{} (unquoted, typed)", input.name);
            }
            (_, Some(value)) => {
                assert_eq!(kind, None, "{}", input.name);
                assert_eq!(default, Some(quoted(value).as_str()), "{}", input.name);
            }
            // Required: GitLab refuses to create a pipeline that does not give it.
            (_, None) if input.name == "application_id" => assert_eq!(default, None),
            // The platform-dependent defaults are the GitLab ones here (dotenv) or none.
            (_, None) if input.name == "dotenv_file" => {
                assert_eq!(default, Some("\"nodion-deploy.env\""))
            }
            (_, None) => assert_eq!(default, Some("\"\""), "{}: optional", input.name),
        }
    }
    // Inputs are never spliced into the script, where they could run as shell code.
    let script = job
        .split("script:")
        .nth(1)
        .unwrap()
        .split("artifacts:")
        .next()
        .unwrap();
    assert!(!script.contains("$[["), "{script}");
    // The dotenv report is the job's artifact whatever its outcome, so later jobs read a failure too.
    let artifacts: Vec<&str> = job
        .split_once("\n  artifacts:\n")
        .expect("the job has artifacts:")
        .1
        .lines()
        .take_while(|line| line.starts_with("    "))
        .collect();
    assert_eq!(
        artifacts,
        [
            "    when: always",
            "    reports:",
            "      dotenv: $[[ inputs.dotenv_file ]]"
        ]
    );
}

/// The component's input `name`'s `regex:`, compiled (RE2 semantics, as GitLab evaluates it).
fn pattern(spec: &str, name: &str) -> Regex {
    let fields = declared(spec, name).unwrap_or_else(|| panic!("spec declares {name}"));
    let quoted = field(&fields, "regex").unwrap_or_else(|| panic!("{name} has a regex"));
    let pattern = quoted.strip_prefix('\'').and_then(|p| p.strip_suffix('\''));
    Regex::new(pattern.expect("a single-quoted pattern")).unwrap()
}

/// Two includes of one file with one job name are one job ("each additional job overwrites the
/// previous job with the same name"), so one of two deploys would silently never run. The job is
/// named by the component-only input `job_name`: two includes with two names are two jobs.
#[test]
fn the_gitlab_component_names_its_job_by_an_input() {
    let (spec, job) = documents();
    // The job document is the one job, keyed by the input (GitLab interpolates inputs in keys).
    let keys: Vec<&str> = job
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with([' ', '#']))
        .collect();
    assert_eq!(keys, ["$[[ inputs.job_name ]]:"], "{job}");
    // Inputs leak between two includes through an extended job (GitLab issue 498511).
    assert!(!job.contains("extends:"), "{job}");
    // A component-only input: declared with the old fixed name as its default, never passed on.
    let fields = declared(spec, "job_name").expect("spec declares job_name");
    assert_eq!(field(&fields, "default"), Some("\"nodion-deploy\""));
    assert_eq!(field(&fields, "type"), None);
    assert!(INPUTS.iter().all(|input| input.name != "job_name"));
    assert_eq!(job.matches("inputs.job_name").count(), 1, "{job}");
    assert!(!job.contains("NODION_JOB_NAME"), "{job}");
    // Names GitLab takes for a job that runs: at most 255 characters, no leading dot (a hidden
    // job never runs), and nothing that would need quoting where a job is named (`needs:`).
    let name = pattern(spec, "job_name");
    let (longest, too_long) = ("a".repeat(255), "a".repeat(256));
    for accepted in [
        "nodion-deploy",
        "deploy-staging",
        "deploy_production",
        "deploy/web.app",
        "2nd",
        &longest,
    ] {
        assert!(name.is_match(accepted), "job_name {accepted:?}");
    }
    for refused in [
        "",
        ".hidden",
        "-x",
        "a b",
        "a:b",
        "a\nb",
        "$[[ inputs.stage ]]",
        "$CI_JOB_NAME",
        &too_long,
    ] {
        assert!(!name.is_match(refused), "job_name {refused:?}");
    }
}

/// The identifiers the tool checks are checked by GitLab too, with the same rule: each pattern is
/// evaluated (RE2 semantics, as GitLab does) against values at the edges of the rule, and accepts
/// exactly the values the tool accepts.
#[test]
fn identifier_inputs_carry_the_tools_own_pattern() {
    let (spec, _) = documents();
    let names = ["application_id", "project_id", "image_tag", "deploy_number"];
    let patterns: Vec<Regex> = names.iter().map(|name| pattern(spec, name)).collect();
    let (longest, too_long) = ("a".repeat(128), "a".repeat(129));
    let (digits_19, digits_21) = ("9".repeat(19), "1".repeat(21));
    let agreed = [
        "", "a", "Az09_-", "-a", "_a", ".a", "a.b", "a b", "a/b", "a:b", "é", "0", "00", "1", "42",
        &longest, &too_long, &digits_19, &digits_21,
    ];
    // GitLab takes a deploy number only as written canonically; the tool reads any u64 >= 1.
    // Stricter at pipeline creation is safe: GitLab never passes a value the tool refuses.
    let canonical_only = ["01", "+5", "10000000000000000000"];
    // A deploy number may also be exactly one variable reference, to wait on purpose for the number
    // an earlier `wait: false` job handed on (`deploy_number: $NODION_DEPLOYMENT_NUMBER`). Inputs
    // are interpolated when the pipeline is created, so the job's variable becomes
    // `NODION_DEPLOY_NUMBER: "$NODION_DEPLOYMENT_NUMBER"`, and GitLab expands it from the earlier
    // job's dotenv report when the job runs: the tool never sees the reference itself, only the
    // number, which it checks as always. Taken literally (as here), the tool refuses it.
    let expanded_by_gitlab = [
        "$NODION_DEPLOYMENT_NUMBER",
        "${NODION_DEPLOYMENT_NUMBER}",
        "$_a1",
    ];
    // Anything more than one whole reference is refused at pipeline creation, as by the tool.
    let agreed_references = [
        "$", "${}", "$1", "${1}", "$A B", "$A$B", "${A", "$A}", "1$A", "$A1-", "%A%", "$(A)",
    ];
    let probes = agreed
        .into_iter()
        .chain(agreed_references)
        .chain(canonical_only)
        .chain(expanded_by_gitlab);
    for probe in probes {
        // Attaching (deploy_number) rules out an image tag, so that one is given on its own.
        let mut refused = refused_by_the_tool(&names[..3], probe);
        refused.extend(refused_by_the_tool(&names[3..], probe));
        for (name, pattern) in names.iter().zip(&patterns) {
            let (gitlab, tool) = (pattern.is_match(probe), !refused.contains(name));
            if canonical_only.contains(&probe) && *name == "deploy_number" {
                assert!(
                    !gitlab && tool,
                    "{name} = {probe:?}: GitLab {gitlab}, the tool {tool}"
                );
            } else if expanded_by_gitlab.contains(&probe) && *name == "deploy_number" {
                assert!(
                    gitlab && !tool,
                    "{name} = {probe:?}: GitLab {gitlab}, the tool {tool}"
                );
            } else {
                assert_eq!(
                    gitlab, tool,
                    "{name} = {probe:?}: GitLab's pattern {pattern} and the tool disagree"
                );
            }
        }
    }
}

/// The inputs among `names` that the tool refuses when each is given `value`. Another input is
/// always wrong, so the run stops at the inputs, where it lists every problem, and sends nothing.
fn refused_by_the_tool<'a>(names: &[&'a str], value: &str) -> Vec<&'a str> {
    let mut deploy = Deploy::bare()
        .env("NODION_API_TOKEN", "a-token-long-enough")
        .env("NODION_API_URL", "http://127.0.0.1:9/v1")
        .env("NODION_TIMEOUT", "not-a-duration");
    for name in names {
        deploy = deploy.env(&format!("NODION_{}", name.to_ascii_uppercase()), value);
    }
    let ran = deploy.run();
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    ran.assert_says("NODION_TIMEOUT");
    names
        .iter()
        .copied()
        .filter(|name| {
            let variable = format!("NODION_{}", name.to_ascii_uppercase());
            ran.stderr.lines().any(|line| line.contains(&variable))
        })
        .collect()
}
