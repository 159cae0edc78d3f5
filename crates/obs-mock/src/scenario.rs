/// What the mock does for a request, chosen by a word in the model id (docs/demo.md), so any client can pick one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A deterministic text reply derived from the last user message — or, with tools offered, a tool call.
    Text,
    /// A short text, then one tool call.
    Tool,
    /// A short text, then two parallel tool calls.
    Tools2,
    /// One tool call and no text at all.
    ToolFirst,
    /// A reply of many chunks.
    Long,
    /// A text reply with delays before the first byte and between chunks.
    Slow,
    /// Rate limited (HTTP 429).
    Throttle,
    /// Access denied (HTTP 403).
    Denied,
    /// The request is rejected as invalid (HTTP 400).
    Invalid,
    /// The model does not exist (HTTP 404).
    NotFound,
    /// The service is unavailable (HTTP 503).
    Unavailable,
    /// Bedrock: `ModelTimeoutException`; OpenAI: no answer for a long time.
    Timeout,
    /// Streams: some text, then an error event; non-stream: a 500-class error.
    MidstreamError,
    /// The connection is closed in the middle of the reply.
    Disconnect,
    /// Reasoning (Claude thinking, Converse reasoningContent) before a text reply.
    Reasoning,
    /// The first request for a given model id fails with 503; later ones succeed (retry tests).
    Flaky,
}

impl Scenario {
    /// The scenario named in `model_id` (the more specific names are checked first).
    pub fn from_model(model_id: &str) -> Scenario {
        let id = model_id.to_ascii_lowercase();
        const TABLE: [(&str, Scenario); 15] = [
            ("midstream-error", Scenario::MidstreamError),
            ("tool-first", Scenario::ToolFirst),
            ("tools2", Scenario::Tools2),
            ("tool", Scenario::Tool),
            ("long", Scenario::Long),
            ("slow", Scenario::Slow),
            ("throttle", Scenario::Throttle),
            ("denied", Scenario::Denied),
            ("invalid", Scenario::Invalid),
            ("notfound", Scenario::NotFound),
            ("unavailable", Scenario::Unavailable),
            ("timeout", Scenario::Timeout),
            ("disconnect", Scenario::Disconnect),
            ("reasoning", Scenario::Reasoning),
            ("flaky", Scenario::Flaky),
        ];
        TABLE.iter().find(|(word, _)| id.contains(word)).map_or(Scenario::Text, |(_, s)| *s)
    }
}
