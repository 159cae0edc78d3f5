//! `config`: the managed keys in a `.env` file — set, get, unset, show (secrets masked), path, interactive set.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::CliError;

/// A key `config` manages.
pub struct ManagedKey {
    /// Environment name.
    pub name: &'static str,
    /// Masked in output unless `--show-secrets`.
    pub secret: bool,
    /// Checks a value.
    pub validate: fn(&str) -> Result<(), String>,
}

fn any(_: &str) -> Result<(), String> {
    Ok(())
}

fn url(v: &str) -> Result<(), String> {
    if v.starts_with("http://") || v.starts_with("https://") {
        Ok(())
    } else {
        Err("must be an http(s) URL".to_owned())
    }
}

fn positive(v: &str) -> Result<(), String> {
    match v.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(()),
        _ => Err("must be a whole number of at least 1".to_owned()),
    }
}

fn port(v: &str) -> Result<(), String> {
    v.parse::<u16>().map(|_| ()).map_err(|_| "must be a port number (0-65535)".to_owned())
}

fn log_level(v: &str) -> Result<(), String> {
    if ["trace", "debug", "info", "warn", "error"].contains(&v.to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err("must be trace, debug, info, warn or error".to_owned())
    }
}

fn log_format(v: &str) -> Result<(), String> {
    if ["text", "json"].contains(&v) { Ok(()) } else { Err("must be text or json".to_owned()) }
}

fn provider(v: &str) -> Result<(), String> {
    if ["openai", "bedrock"].contains(&v) { Ok(()) } else { Err("must be openai or bedrock".to_owned()) }
}

fn duration(v: &str) -> Result<(), String> {
    match v.parse::<u32>() {
        Ok(n) if (900..=43200).contains(&n) => Ok(()),
        _ => Err("must be a number of seconds between 900 and 43200".to_owned()),
    }
}

/// Every key `config` manages, in prompt order.
pub const KEYS: &[ManagedKey] = &[
    ManagedKey { name: "API_KEY", secret: true, validate: any },
    ManagedKey { name: "HOST", secret: false, validate: any },
    ManagedKey { name: "PORT", secret: false, validate: port },
    ManagedKey { name: "LOG_LEVEL", secret: false, validate: log_level },
    ManagedKey { name: "LOG_FORMAT", secret: false, validate: log_format },
    ManagedKey { name: "CHAT_SERVER_URL", secret: false, validate: url },
    ManagedKey { name: "CHAT_API_KEY", secret: true, validate: any },
    ManagedKey { name: "CHAT_MODEL", secret: false, validate: any },
    ManagedKey { name: "OPENAI_API_KEY", secret: true, validate: any },
    ManagedKey { name: "OPENAI_BASE_URL", secret: false, validate: url },
    ManagedKey { name: "OPENAI_ORG_ID", secret: false, validate: any },
    ManagedKey { name: "OBS_DEFAULT_PROVIDER", secret: false, validate: provider },
    ManagedKey { name: "AWS_REGION", secret: false, validate: any },
    ManagedKey { name: "AWS_PROFILE", secret: false, validate: any },
    ManagedKey { name: "AWS_ACCESS_KEY_ID", secret: false, validate: any },
    ManagedKey { name: "AWS_SECRET_ACCESS_KEY", secret: true, validate: any },
    ManagedKey { name: "AWS_SESSION_TOKEN", secret: true, validate: any },
    ManagedKey { name: "AWS_ROLE_ARN", secret: false, validate: any },
    ManagedKey { name: "AWS_EXTERNAL_ID", secret: false, validate: any },
    ManagedKey { name: "AWS_ROLE_SESSION_NAME", secret: false, validate: any },
    ManagedKey { name: "AWS_ROLE_SESSION_DURATION", secret: false, validate: duration },
    ManagedKey { name: "AWS_WEB_IDENTITY_TOKEN_FILE", secret: false, validate: any },
    ManagedKey { name: "BEDROCK_ENDPOINT_URL", secret: false, validate: url },
    ManagedKey { name: "DEFAULT_MAX_TOKENS_CLAUDE", secret: false, validate: positive },
    ManagedKey { name: "DEFAULT_MAX_TOKENS_TITAN", secret: false, validate: positive },
];

const MASK: &str = "********";

fn managed(name: &str) -> Result<&'static ManagedKey, CliError> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        let known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        CliError::new(format!("unknown configuration key {name}; known keys: {}", known.join(", ")))
    })
}

/// The `KEY=VALUE` pairs of a dotenv file (comments, blanks and `export ` prefixes handled; quotes removed).
pub fn read_env_file(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (key, value) = line.split_once('=')?;
    let value = value.trim();
    let value = if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        value[1..value.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\")
    } else if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        value[1..value.len() - 1].to_owned()
    } else {
        value.to_owned()
    };
    Some((key.trim().to_owned(), value))
}

fn format_value(value: &str) -> String {
    let plain = value.chars().all(|c| c.is_ascii_alphanumeric() || "_-./:@+,=".contains(c));
    if plain && !value.is_empty() {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Writes `key=value` into the file, replacing an existing line or appending; `None` removes the key.
fn write_key(path: &Path, key: &str, value: Option<&str>) -> Result<bool, CliError> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut found = false;
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        if parse_line(line).is_some_and(|(k, _)| k == key) {
            found = true;
            if let Some(value) = value {
                lines.push(format!("{key}={}", format_value(value)));
            }
        } else {
            lines.push(line.to_owned());
        }
    }
    if !found && let Some(value) = value {
        lines.push(format!("{key}={}", format_value(value)));
    }
    let mut out = lines.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    std::fs::write(path, out).map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(found)
}

fn shown(key: &ManagedKey, value: &str, show_secrets: bool) -> String {
    if key.secret && !show_secrets { MASK.to_owned() } else { value.to_owned() }
}

/// `config set KEY VALUE`.
pub fn set(path: &Path, key: &str, value: &str, out: &mut dyn Write) -> Result<(), CliError> {
    let managed = managed(key)?;
    (managed.validate)(value).map_err(|why| CliError::new(format!("invalid value for {key}: {why}")))?;
    write_key(path, key, Some(value))?;
    writeln!(out, "Set {key} to: {} (in {})", shown(managed, value, false), path.display())?;
    Ok(())
}

/// `config get KEY`.
pub fn get(path: &Path, key: &str, show_secrets: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let managed = managed(key)?;
    let value = read_env_file(path).into_iter().find(|(k, _)| k == key).map(|(_, v)| v);
    match value {
        Some(value) => Ok(writeln!(out, "{}", shown(managed, &value, show_secrets))?),
        None => Err(CliError::new(format!("{key} is not set in {}", path.display()))),
    }
}

/// `config unset KEY`.
pub fn unset(path: &Path, key: &str, out: &mut dyn Write) -> Result<(), CliError> {
    managed(key)?;
    if write_key(path, key, None)? {
        Ok(writeln!(out, "Removed {key} from {}", path.display())?)
    } else {
        Err(CliError::new(format!("{key} is not set in {}", path.display())))
    }
}

/// `config show`.
pub fn show(path: &Path, show_secrets: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let values = read_env_file(path);
    writeln!(out, "Configuration in {}", path.display())?;
    for key in KEYS {
        let value = values.iter().find(|(k, _)| k == key.name).map(|(_, v)| v.as_str());
        let text = value.map_or_else(|| "(not set)".to_owned(), |v| shown(key, v, show_secrets));
        writeln!(out, "  {:<28} {text}", key.name)?;
    }
    Ok(())
}

/// `config set` without arguments: one prompt per key. Enter keeps the current value, `-` removes it.
pub fn interactive(path: &Path, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(out, "Editing {} — Enter keeps the shown value, '-' removes it.", path.display())?;
    for key in KEYS {
        let current = read_env_file(path).into_iter().find(|(k, _)| k == key.name).map(|(_, v)| v);
        loop {
            let shown_value = current.as_deref().map_or_else(|| "(not set)".to_owned(), |v| shown(key, v, false));
            write!(out, "{} [{shown_value}]: ", key.name)?;
            out.flush()?;
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                writeln!(out)?;
                writeln!(out, "Configuration saved.")?;
                return Ok(());
            }
            let answer = line.trim();
            if answer.is_empty() {
                break;
            }
            if answer == "-" {
                write_key(path, key.name, None)?;
                break;
            }
            match (key.validate)(answer) {
                Ok(()) => {
                    write_key(path, key.name, Some(answer))?;
                    break;
                }
                Err(why) => writeln!(out, "  invalid: {why}")?,
            }
        }
    }
    writeln!(out, "Configuration saved. Restart the gateway to apply it.")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "# comment\nexport LOG_LEVEL=debug\nOTHER=1\n").unwrap();
        write_key(&path, "OPENAI_API_KEY", Some("sk with \"quotes\" #x")).unwrap();
        write_key(&path, "LOG_LEVEL", Some("info")).unwrap();
        let values = read_env_file(&path);
        assert_eq!(
            values,
            vec![
                ("LOG_LEVEL".into(), "info".into()),
                ("OTHER".into(), "1".into()),
                ("OPENAI_API_KEY".into(), "sk with \"quotes\" #x".into())
            ]
        );
        assert!(std::fs::read_to_string(&path).unwrap().starts_with("# comment\n"));
    }
}
