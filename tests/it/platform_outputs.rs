//! Outputs in each platform's own way: Azure Pipelines output variables, CircleCI's `$BASH_ENV`,
//! Bitbucket Pipelines' reports and exports file; none of them forgeable by a hostile value.

use crate::support::{Deploy, failing, happy, sourced, vso_commands};

#[test]
fn azure_pipelines_gets_every_output_as_an_output_variable() {
    let api = failing();
    let ran = Deploy::against(&api).env("TF_BUILD", "True").run();
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let commands = vso_commands(&ran.stderr);
    assert!(
        commands.contains(&"##vso[task.setvariable variable=deploy_number;isOutput=true]3"),
        "{commands:?}"
    );
    assert!(commands.contains(&"##vso[task.setvariable variable=result;isOutput=true]failure"));
    for output in nodion_deploy::outputs::OUTPUTS {
        let prefix = format!(
            "##vso[task.setvariable variable={};isOutput=true]",
            output.name
        );
        assert_eq!(
            commands.iter().filter(|c| c.starts_with(&prefix)).count(),
            1,
            "{}",
            output.name
        );
    }
    let issues: Vec<&&str> = commands
        .iter()
        .filter(|c| c.starts_with("##vso[task.logissue type=error]"))
        .collect();
    assert_eq!(issues.len(), 1, "{commands:?}");
    ran.assert_says("##[group]Waiting for deployment #3");
    ran.assert_says("##[endgroup]");
}

#[test]
fn azure_values_cannot_close_or_forge_a_command() {
    let hostile = "fix x]\n##vso[task.setvariable variable=result;isOutput=true]success;%\n##VSO[task.complete]";
    let api = fake_nodion::FakeNodion::start(fake_nodion::Options {
        commit_message: hostile.into(),
        ..fake_nodion::Options::default()
    });
    let ran = Deploy::against(&api)
        .env("TF_BUILD", "true")
        .env("NODION_RESULT_FILE", "-")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    // Only our own commands: one per output, nothing from the commit message, on either stream.
    let printed = format!("{}\n{}", ran.stdout, ran.stderr);
    let commands = vso_commands(&printed);
    assert_eq!(
        commands.len(),
        nodion_deploy::outputs::OUTPUTS.len(),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .all(|c| c.starts_with("##vso[task.setvariable variable="))
    );
    let message = commands
        .iter()
        .find(|c| c.contains("variable=commit_message;"))
        .unwrap();
    assert_eq!(
        *message,
        "##vso[task.setvariable variable=commit_message;isOutput=true]fix x] ## vso[task.setvariable variable=result;isOutput=true]success;%AZP25 ## VSO[task.complete]"
    );
    let json: serde_json::Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(json["commit_message"], hostile);
}

#[test]
fn circleci_exports_every_output_to_later_steps_through_bash_env() {
    let api = fake_nodion::FakeNodion::start(fake_nodion::Options {
        commit_message: "it's \"quoted\"\n$(touch /tmp/pwned) `x`".into(),
        ..fake_nodion::Options::default()
    });
    let deploy = Deploy::against(&api).env("CIRCLECI", "true");
    let bash_env = deploy_dir_file(&deploy, "bash_env");
    std::fs::write(&bash_env, "export EARLIER=1\n").unwrap();
    let ran = deploy.env("BASH_ENV", bash_env.to_str().unwrap()).run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let text = std::fs::read_to_string(&bash_env).unwrap();
    assert!(
        text.starts_with("export EARLIER=1\n"),
        "appended, not replaced"
    );
    let vars = sourced(&bash_env);
    assert_eq!(vars["NODION_RESULT"], "success");
    assert_eq!(vars["NODION_DEPLOYMENT_NUMBER"], "1");
    assert_eq!(vars["NODION_DEPLOY_STATUS"], "available");
    assert_eq!(
        vars["NODION_COMMIT_MESSAGE"],
        "it's \"quoted\"\n$(touch /tmp/pwned) `x`"
    );
    assert_eq!(
        vars.len(),
        nodion_deploy::outputs::OUTPUTS.len(),
        "{vars:?}"
    );
}

fn deploy_dir_file(deploy: &Deploy, name: &str) -> std::path::PathBuf {
    deploy.dir().join(name)
}

#[test]
fn bitbucket_writes_the_dotenv_and_json_reports_to_the_pipes_storage_dir() {
    let api = happy();
    let deploy = Deploy::against(&api).env("BITBUCKET_BUILD_NUMBER", "7");
    let storage = deploy.dir().join("pipe-storage");
    std::fs::create_dir_all(&storage).unwrap();
    let ran = deploy
        .env("BITBUCKET_PIPE_STORAGE_DIR", storage.to_str().unwrap())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let dotenv = std::fs::read_to_string(storage.join("nodion-deploy.env")).unwrap();
    assert!(
        dotenv.lines().any(|l| l == "NODION_RESULT=success"),
        "{dotenv}"
    );
    assert!(
        dotenv.lines().any(|l| l == "NODION_DEPLOYMENT_NUMBER=3"),
        "{dotenv}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(storage.join("nodion-deploy.json")).unwrap())
            .unwrap();
    assert_eq!(json["deploy_number"], 3);
    assert_eq!(json["result"], "success");
}

#[test]
fn bitbucket_gets_a_shell_safe_exports_file_to_source() {
    let api = fake_nodion::FakeNodion::start(fake_nodion::Options {
        commit_message: "x; touch /tmp/nodion-pwned $(id)".into(),
        ..fake_nodion::Options::default()
    });
    let ran = Deploy::against(&api)
        .env("BITBUCKET_BUILD_NUMBER", "7")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let vars = sourced(&ran.dir.join("nodion-deploy.sh"));
    assert_eq!(vars["NODION_RESULT"], "success");
    assert_eq!(
        vars["NODION_COMMIT_MESSAGE"],
        "x; touch /tmp/nodion-pwned $(id)"
    );
}

#[test]
fn bitbucket_without_a_pipe_writes_the_reports_in_the_clone() {
    let api = happy();
    let ran = Deploy::against(&api)
        .env("BITBUCKET_BUILD_NUMBER", "7")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.has_file("nodion-deploy.env"));
    assert!(ran.has_file("nodion-deploy.json"));
}
