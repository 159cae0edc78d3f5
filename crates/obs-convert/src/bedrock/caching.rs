//! Prompt-cache breakpoints in an OpenAI body (docs/reference/formats.md §7.11): `cache_control: {"type":
//! "ephemeral"[, "ttl": "5m" | "1h"]}` on a content part, on a system or developer message (or one of its parts)
//! and on a tool (or its `function`) marks the end of a cached prefix, as Claude clients write it. Claude takes the
//! same objects on its blocks; Converse takes a `cachePoint` block after the marked one. At most
//! [`MAX_BREAKPOINTS`] per request, as both upstreams allow: more is a clear 400, never a silent drop.

use obs_models::JsonObject;
use obs_models::openai::{ChatCompletionRequest, ContentPart, Message, MessageContent, Tool};
use serde_json::Value;

use crate::Error;

/// Breakpoints Claude and Converse take per request.
pub const MAX_BREAKPOINTS: usize = 4;

/// A breakpoint's time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheTtl {
    /// `5m` (the default).
    FiveMinutes,
    /// `1h`.
    OneHour,
}

/// The breakpoint `extra` (a part's, message's or tool's other fields) marks, if any; 400 for a malformed one.
pub fn breakpoint(extra: &JsonObject, param: &str) -> Result<Option<CacheTtl>, Error> {
    let Some(control) = extra.get("cache_control").filter(|c| !c.is_null()) else { return Ok(None) };
    if control.get("type").and_then(Value::as_str) != Some("ephemeral") {
        return Err(Error::invalid(format!("{param}.cache_control.type"), "`cache_control.type` must be 'ephemeral'."));
    }
    match control.get("ttl").and_then(Value::as_str) {
        None | Some("5m") => Ok(Some(CacheTtl::FiveMinutes)),
        Some("1h") => Ok(Some(CacheTtl::OneHour)),
        Some(_) => {
            Err(Error::invalid(format!("{param}.cache_control.ttl"), "`cache_control.ttl` must be '5m' or '1h'."))
        }
    }
}

/// A tool's breakpoint: on the tool itself or on its `function`.
pub fn tool_breakpoint(tool: &Tool, i: usize) -> Result<Option<CacheTtl>, Error> {
    Ok(breakpoint(&tool.extra, &format!("tools.{i}"))?
        .or(breakpoint(&tool.function.extra, &format!("tools.{i}.function"))?))
}

/// A system or developer message's breakpoint: on the message, or on its last marked part.
pub fn system_breakpoint(extra: &JsonObject, content: &MessageContent, i: usize) -> Result<Option<CacheTtl>, Error> {
    let mut found = breakpoint(extra, &format!("messages.{i}"))?;
    if let MessageContent::Parts(parts) = content {
        for (j, part) in parts.iter().enumerate() {
            if let ContentPart::Text(text) = part {
                found = breakpoint(&text.extra, &format!("messages.{i}.content.{j}"))?.or(found);
            }
        }
    }
    Ok(found)
}

/// Counts the request's breakpoints (checking each) and refuses more than [`MAX_BREAKPOINTS`].
pub fn check(request: &ChatCompletionRequest) -> Result<usize, Error> {
    let mut count = 0;
    for (i, tool) in request.tools.iter().flatten().enumerate() {
        count += usize::from(tool_breakpoint(tool, i)?.is_some());
    }
    for (i, message) in request.messages.iter().enumerate() {
        let (extra, content) = match message {
            Message::System(m) | Message::Developer(m) => {
                count += usize::from(system_breakpoint(&m.extra, &m.content, i)?.is_some());
                continue;
            }
            Message::User(m) => (&m.extra, Some(&m.content)),
            Message::Tool(m) => (&m.extra, Some(&m.content)),
            Message::Assistant(m) => (&m.extra, m.content.as_ref()),
        };
        count += usize::from(breakpoint(extra, &format!("messages.{i}"))?.is_some());
        if let Some(MessageContent::Parts(parts)) = content {
            for (j, part) in parts.iter().enumerate() {
                let part_extra = match part {
                    ContentPart::Text(t) => &t.extra,
                    ContentPart::ImageUrl(image) => &image.extra,
                    ContentPart::Other(other) => other,
                };
                count += usize::from(breakpoint(part_extra, &format!("messages.{i}.content.{j}"))?.is_some());
            }
        }
    }
    if count > MAX_BREAKPOINTS {
        return Err(Error::invalid(
            "messages",
            format!(
                "At most {MAX_BREAKPOINTS} cache_control breakpoints are allowed per request (tools, system and \
                 messages together); this one has {count}."
            ),
        ));
    }
    Ok(count)
}

/// Adds breakpoints to a request for `cache.auto` (docs/reference/configuration.md): one after the tools when they
/// reach `min_tokens`, then one after the system prompt when it — with the tools, if those got none — reaches
/// `min_tokens`, as Bedrock creates a cache checkpoint only once the prompt since the previous one is that long.
/// Sizes are estimated as characters / 4 (no tokenizer is at hand; a short estimate only costs a missed
/// checkpoint, which Bedrock ignores). A part the client marked already is left alone, and the client's
/// breakpoints count toward [`MAX_BREAKPOINTS`], which is never exceeded. Returns how many were added.
pub fn auto(request: &mut ChatCompletionRequest, min_tokens: u64) -> usize {
    // A malformed or over-full request is left as it is: its builder gives the client the 400.
    let Ok(mut count) = check(request) else { return 0 };
    let estimate = |chars: usize| u64::try_from(chars / 4).unwrap_or(u64::MAX);
    let mut added = 0;
    let mut pending = 0;
    if let Some(tools) = request.tools.as_mut().filter(|tools| !tools.is_empty()) {
        let marked = tools.iter().enumerate().any(|(i, tool)| matches!(tool_breakpoint(tool, i), Ok(Some(_))));
        pending = estimate(serde_json::to_string(tools).map_or(0, |json| json.len()));
        if marked {
            pending = 0;
        } else if pending >= min_tokens
            && count < MAX_BREAKPOINTS
            && let Some(last) = tools.last_mut()
        {
            last.extra.insert("cache_control".to_owned(), serde_json::json!({"type": "ephemeral"}));
            (count, added, pending) = (count + 1, added + 1, 0);
        }
    }
    let mut system_chars = 0;
    let mut last_system = None;
    let mut system_marked = false;
    for (i, message) in request.messages.iter().enumerate() {
        if let Message::System(m) | Message::Developer(m) = message {
            system_chars += m.content.joined_text(" ").len();
            system_marked |= matches!(system_breakpoint(&m.extra, &m.content, i), Ok(Some(_)));
            last_system = Some(i);
        }
    }
    if let Some(i) = last_system
        && !system_marked
        && pending.saturating_add(estimate(system_chars)) >= min_tokens
        && count < MAX_BREAKPOINTS
        && let Some(Message::System(m) | Message::Developer(m)) =
            std::sync::Arc::make_mut(&mut request.messages).get_mut(i)
    {
        m.extra.insert("cache_control".to_owned(), serde_json::json!({"type": "ephemeral"}));
        added += 1;
    }
    added
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn request(body: Value) -> ChatCompletionRequest {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn breakpoints_are_found_everywhere_and_more_than_four_refused() {
        let mark = json!({"type":"ephemeral"});
        let body = json!({"model":"m",
            "tools":[{"type":"function","function":{"name":"a"},"cache_control":mark},
                     {"type":"function","function":{"name":"b","cache_control":{"type":"ephemeral","ttl":"1h"}}}],
            "messages":[{"role":"system","content":[{"type":"text","text":"s","cache_control":mark}]},
                        {"role":"user","content":[{"type":"text","text":"u","cache_control":mark}]}]});
        assert_eq!(check(&request(body.clone())).unwrap(), 4);
        let mut five = body;
        five["messages"]
            .as_array_mut()
            .unwrap()
            .push(json!({"role":"user","content":"x","cache_control":{"type":"ephemeral"}}));
        let error = check(&request(five)).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("messages"));
        assert!(error.message.contains("this one has 5"), "{}", error.message);
        let bad = json!({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"u",
            "cache_control":{"type":"ephemeral","ttl":"2d"}}]}]});
        assert_eq!(check(&request(bad)).unwrap_err().param.as_deref(), Some("messages.0.content.0.cache_control.ttl"));
    }

    #[test]
    fn auto_marks_tools_and_system_that_reach_the_minimum_and_never_a_fifth_breakpoint() {
        let long = "x".repeat(4400); // 1,100 estimated tokens
        let tool = |name: &str, description: &str| json!({"type":"function","function":{"name":name,"description":description}});
        let body = |tools: Value, messages: Value| request(json!({"model":"m","tools":tools,"messages":messages}));
        let mark = json!({"type":"ephemeral"});

        // Long tools and a long system prompt: one breakpoint after each.
        let mut both = body(
            json!([tool("a", "short"), tool("b", &long)]),
            json!([{"role":"system","content":long},{"role":"user","content":"hi"}]),
        );
        assert_eq!(auto(&mut both, 1024), 2);
        let json = serde_json::to_value(&both).unwrap();
        assert_eq!((json["tools"][0].get("cache_control"), &json["tools"][1]["cache_control"]), (None, &mark));
        assert_eq!(json["messages"][0]["cache_control"], mark);

        // Short tools and a short system prompt together reach it: one breakpoint, after the system prompt.
        let half = "y".repeat(2400);
        let mut together = body(
            json!([tool("a", &half)]),
            json!([{"role":"developer","content":half},{"role":"user","content":"hi"}]),
        );
        assert_eq!(auto(&mut together, 1024), 1);
        let json = serde_json::to_value(&together).unwrap();
        assert_eq!((json["tools"][0].get("cache_control"), &json["messages"][0]["cache_control"]), (None, &mark));

        // Too short for the minimum (Haiku's 2,048): nothing.
        let mut short = body(json!([tool("a", &long)]), json!([{"role":"system","content":"be brief"}]));
        assert_eq!(auto(&mut short, 2048), 0);

        // The client's four breakpoints: nothing more.
        let marked = json!({"role":"user","content":[{"type":"text","text":"u","cache_control":mark}]});
        let mut full = body(
            json!([tool("a", &long)]),
            json!([{"role":"system","content":long}, marked, {"role":"assistant","content":"a"}, marked,
                   {"role":"assistant","content":"b"}, marked, {"role":"assistant","content":"c"}, marked]),
        );
        assert_eq!(auto(&mut full, 1024), 0);
        assert_eq!(check(&full).unwrap(), 4);
    }
}
