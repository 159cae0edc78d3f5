//! `chat`: an interactive (or piped) conversation with a model through a running gateway.

pub mod input;

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};

use crate::CliError;
use crate::args::ChatArgs;
use crate::client::{ClientError, ObsClient, Reply};
use crate::sessions::{Session, SessionStore};
use input::LineSource;

const HELP: &str = "Commands:
  /help            this list
  /clear           forget the conversation (the system prompt stays)
  /system TEXT     set the system prompt (empty: remove it)
  /model ID        switch model
  /save [NAME]     save the session (optionally naming it)
  /history         show the conversation
  /exit            leave (also: exit, quit, Ctrl-D)
Ctrl-C cancels a reply in progress.";

/// Where a session writes: the model's answers, and everything else (banner, command feedback, tool calls, errors,
/// "saved"). At a terminal both are stdout and answers read `Assistant: …`; in a pipe `answers` carries only the
/// answers' text, and `notices` is stderr.
pub struct Output<'a> {
    /// The answers.
    pub answers: &'a mut dyn Write,
    /// Everything else.
    pub notices: &'a mut dyn Write,
}

/// Runs a chat session. With piped input, any failed request makes the command fail at the end, and the session is
/// saved only with `--save`.
pub fn run(
    args: &ChatArgs,
    runtime: &tokio::runtime::Runtime,
    input: &mut dyn LineSource,
    output: Output<'_>,
    store: &SessionStore,
) -> Result<(), CliError> {
    let Output { answers: out, notices } = output;
    let save = input.interactive() || args.save;
    let client = ObsClient::new(&args.server);
    let mut session = match &args.session {
        Some(id) => store.load(id)?,
        None => Session::new(&args.model, args.session_name.clone()),
    };
    session.model.clone_from(&args.model);
    if let Some(system) = &args.system {
        set_system(&mut session, system);
    }
    let streaming = !args.no_stream;
    writeln!(
        notices,
        "obs chat — server {}, model {}{}",
        args.server.server_url,
        session.model,
        if streaming { "" } else { " (no streaming)" }
    )?;
    writeln!(notices, "Type /help for commands, exit to quit.")?;
    let mut failures = 0usize;
    while let Some(line) = input.read_line("You: ")? {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.eq_ignore_ascii_case("exit") || line.eq_ignore_ascii_case("quit") {
            break;
        }
        if let Some(command) = line.strip_prefix('/') {
            if !slash_command(command, &mut session, store, notices)? {
                break;
            }
            continue;
        }
        session.messages.push(json!({"role": "user", "content": line}));
        if !exchange(args, &client, runtime, input, Output { answers: out, notices }, &mut session, streaming)? {
            failures += 1;
        }
        if save && session.messages.iter().any(|m| m["role"] != "system") {
            store.save(&mut session)?;
        }
    }
    if save && session.messages.iter().any(|m| m["role"] != "system") {
        store.save(&mut session)?;
        writeln!(notices, "Session {} saved.", session.id)?;
    }
    if failures > 0 && !input.interactive() {
        return Err(CliError::new(format!("{failures} request(s) failed")));
    }
    Ok(())
}

fn set_system(session: &mut Session, text: &str) {
    session.messages.retain(|m| m["role"] != "system");
    if !text.is_empty() {
        session.messages.insert(0, json!({"role": "system", "content": text}));
    }
}

/// Handles `/command`; false ends the session.
fn slash_command(
    command: &str,
    session: &mut Session,
    store: &SessionStore,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let (name, rest) = command.split_once(' ').map_or((command, ""), |(n, r)| (n, r.trim()));
    match name {
        "help" => writeln!(out, "{HELP}")?,
        "clear" => {
            session.messages.retain(|m| m["role"] == "system");
            writeln!(out, "Conversation cleared.")?;
        }
        "system" => {
            set_system(session, rest);
            writeln!(out, "{}", if rest.is_empty() { "System prompt removed." } else { "System prompt set." })?;
        }
        "model" if !rest.is_empty() => {
            session.model = rest.to_owned();
            writeln!(out, "Model: {rest}")?;
        }
        "save" => {
            if !rest.is_empty() {
                session.name = Some(rest.to_owned());
            }
            store.save(session)?;
            writeln!(
                out,
                "Session saved: {}{}",
                session.id,
                session.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
            )?;
        }
        "history" => {
            for message in &session.messages {
                let content = message["content"].as_str().map(str::to_owned).unwrap_or_else(|| {
                    message["tool_calls"].as_array().map(|c| format!("[{} tool call(s)]", c.len())).unwrap_or_default()
                });
                writeln!(out, "{}: {content}", message["role"].as_str().unwrap_or("?"))?;
            }
        }
        "exit" | "quit" => return Ok(false),
        _ => writeln!(out, "Unknown command /{name} — type /help.")?,
    }
    Ok(true)
}

/// One user turn, including any tool-call round trips. On failure the turn is removed and one line printed;
/// returns false then.
fn exchange(
    args: &ChatArgs,
    client: &ObsClient,
    runtime: &tokio::runtime::Runtime,
    input: &mut dyn LineSource,
    output: Output<'_>,
    session: &mut Session,
    streaming: bool,
) -> Result<bool, CliError> {
    let Output { answers: out, notices } = output;
    let turn_start = session.messages.len() - 1;
    loop {
        let mut body = json!({"model": session.model, "messages": session.messages, "stream": streaming});
        if let Some(t) = args.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(n) = args.max_tokens {
            body["max_tokens"] = json!(n);
        }
        let outcome = request(client, runtime, &body, streaming, input.interactive(), out)?;
        let reply = match outcome {
            Some(Ok(reply)) => reply,
            Some(Err(error)) => {
                if input.interactive() {
                    writeln!(out)?;
                }
                writeln!(notices, "Error: {error}")?;
                session.messages.truncate(turn_start);
                return Ok(false);
            }
            None => {
                writeln!(notices, "\n(cancelled)")?;
                session.messages.truncate(turn_start);
                return Ok(true);
            }
        };
        let mut message = json!({"role": "assistant", "content": if reply.text.is_empty() { Value::Null } else { json!(reply.text) }});
        if reply.tool_calls.is_empty() {
            session.messages.push(message);
            return Ok(true);
        }
        message["tool_calls"] = reply
            .tool_calls
            .iter()
            .map(|(id, name, arguments)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}))
            .collect();
        session.messages.push(message);
        for (id, name, arguments) in &reply.tool_calls {
            writeln!(notices, "Tool call {name} ({id}): {arguments}")?;
        }
        for (id, name, _) in &reply.tool_calls {
            let Some(result) = input.read_line(&format!("Result of {name}: "))? else {
                writeln!(notices, "(no tool result: the turn is dropped)")?;
                session.messages.truncate(turn_start);
                return Ok(true);
            };
            session.messages.push(json!({"role": "tool", "tool_call_id": id, "content": result}));
        }
    }
}

/// Sends one request; `None` when the person pressed Ctrl-C.
fn request(
    client: &ObsClient,
    runtime: &tokio::runtime::Runtime,
    body: &Value,
    streaming: bool,
    interactive: bool,
    out: &mut dyn Write,
) -> Result<Option<Result<Reply, ClientError>>, CliError> {
    let spinner = interactive.then(|| {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        spinner.set_message("waiting for the model…");
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    });
    let stop_spinner = |spinner: &Option<indicatif::ProgressBar>| {
        if let Some(s) = spinner.as_ref().filter(|s| !s.is_finished()) {
            s.finish_and_clear();
        }
    };
    let mut printed_prefix = false;
    let mut write_error = None;
    let outcome = runtime.block_on(async {
        let call = async {
            if streaming {
                client
                    .chat_stream(body, |text| {
                        stop_spinner(&spinner);
                        let result = (|| -> std::io::Result<()> {
                            if !printed_prefix {
                                if interactive {
                                    write!(out, "Assistant: ")?;
                                }
                                printed_prefix = true;
                            }
                            write!(out, "{text}")?;
                            out.flush()
                        })();
                        if let Err(e) = result {
                            write_error = Some(e);
                        }
                    })
                    .await
            } else {
                client.chat(body).await
            }
        };
        if interactive {
            tokio::select! {
                result = call => Some(result),
                _ = tokio::signal::ctrl_c() => None,
            }
        } else {
            Some(call.await)
        }
    });
    stop_spinner(&spinner);
    if let Some(error) = write_error {
        return Err(error.into());
    }
    if let Some(Ok(reply)) = &outcome {
        if streaming {
            if printed_prefix {
                writeln!(out)?;
            }
        } else if !reply.text.is_empty() {
            let prefix = if interactive { "Assistant: " } else { "" };
            writeln!(out, "{prefix}{}", reply.text)?;
        }
    }
    Ok(outcome)
}
