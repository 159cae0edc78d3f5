//! `models`, `history`, `config test-aws` and `serve`.

use std::io::Write;

use aws_credential_types::provider::ProvideCredentials;
use obs_service::config::{Config, ConfigSources};
use obs_service::credentials;

use crate::CliError;
use crate::args::{HistoryAction, ModelsArgs, ServeArgs};
use crate::client::ObsClient;
use crate::sessions::SessionStore;

/// `models`: a table of id and owner, or the raw JSON.
pub fn models(args: &ModelsArgs, runtime: &tokio::runtime::Runtime, out: &mut dyn Write) -> Result<(), CliError> {
    let list = runtime.block_on(ObsClient::new(&args.server).models())?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&list).map_err(|e| CliError::new(e.to_string()))?)?;
        return Ok(());
    }
    let models = list["data"].as_array().cloned().unwrap_or_default();
    let width = models.iter().filter_map(|m| m["id"].as_str()).map(str::len).max().unwrap_or(2).max(2);
    writeln!(out, "{:<width$}  OWNED BY", "ID")?;
    for model in &models {
        writeln!(out, "{:<width$}  {}", model["id"].as_str().unwrap_or(""), model["owned_by"].as_str().unwrap_or(""))?;
    }
    writeln!(out, "{} models", models.len())?;
    Ok(())
}

/// `history list | export | delete`.
pub fn history(action: &HistoryAction, store: &SessionStore, out: &mut dyn Write) -> Result<(), CliError> {
    match action {
        HistoryAction::List => {
            let sessions = store.list();
            if sessions.is_empty() {
                writeln!(out, "No chat sessions found.")?;
                return Ok(());
            }
            writeln!(out, "{:<14} {:<20} {:<40} {:>8}  UPDATED", "ID", "NAME", "MODEL", "MESSAGES")?;
            for s in sessions {
                writeln!(
                    out,
                    "{:<14} {:<20} {:<40} {:>8}  {}",
                    s.id,
                    s.name.as_deref().unwrap_or("(unnamed)"),
                    s.model,
                    s.messages.len(),
                    s.updated_at
                )?;
            }
        }
        HistoryAction::Export { id, output } => {
            let session = store.load(id)?;
            let path = output.clone().unwrap_or_else(|| format!("chat_export_{id}.json").into());
            let text = serde_json::to_string_pretty(&session).map_err(|e| CliError::new(e.to_string()))?;
            std::fs::write(&path, text).map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
            writeln!(out, "Session exported to: {}", path.display())?;
        }
        HistoryAction::Delete { id } => {
            store.delete(id)?;
            writeln!(out, "Session {id} deleted.")?;
        }
    }
    Ok(())
}

/// `config test-aws`: which credentials obs would use, and who STS says they are (one call, on demand).
pub fn test_aws(runtime: &tokio::runtime::Runtime, out: &mut dyn Write) -> Result<(), CliError> {
    let config = Config::load(ConfigSources::process(None)).map_err(|e| CliError::new(e.to_string()))?;
    runtime.block_on(async {
        let region = credentials::region(&config.bedrock_provider())
            .await
            .ok_or_else(|| CliError::new("no AWS region: set AWS_REGION (or a region in the AWS profile)"))?;
        let (provider, source) = credentials::provider(&config.aws, &region).await;
        writeln!(out, "Region:      {region}")?;
        writeln!(out, "Credentials: {}", source.label())?;
        let resolved = provider
            .provide_credentials()
            .await
            .map_err(|e| CliError::new(format!("could not resolve AWS credentials ({}): {e}", source.label())))?;
        let key = resolved.access_key_id();
        writeln!(out, "Access key:  {}…", &key[..key.len().min(4)])?;
        let mut sts = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(region)
            .credentials_provider(provider);
        if let Some(endpoint) = &config.aws.sts_endpoint_url {
            sts = sts.endpoint_url(endpoint);
        }
        let identity = aws_sdk_sts::Client::from_conf(sts.build()).get_caller_identity().send().await.map_err(|e| {
            CliError::new(format!("STS refused the credentials: {}", aws_sdk_sts::error::DisplayErrorContext(&e)))
        })?;
        writeln!(out, "Account:     {}", identity.account().unwrap_or("?"))?;
        writeln!(out, "Identity:    {}", identity.arn().unwrap_or("?"))?;
        Ok(())
    })
}

/// `serve`: the same server as obs-server.
pub fn serve(args: &ServeArgs, runtime: &tokio::runtime::Runtime) -> Result<(), CliError> {
    let options =
        obs_server::ServeOptions::load(args.config.clone(), args.host.clone(), args.port, args.demo, args.no_auth)
            .map_err(|e| CliError::new(e.to_string()))?;
    obs_server::init_logging(&options.config.logging.level, &options.config.logging.format);
    runtime.block_on(obs_server::run(options)).map_err(|e| CliError::new(e.to_string()))
}
